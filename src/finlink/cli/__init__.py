"""The ``finlink`` command: sync CRM files, watch state, settle reviews, run sandboxes.

Needs the ``cli`` extra (``pip install finlink[cli]``: click and rich); the library itself
never imports this package. :data:`main` is the click group; ``docs/cli.md`` documents every
command and ``docs/configuration.md`` the ``finlink.toml`` file.
"""

from finlink.cli.app import main

__all__ = ["main"]
