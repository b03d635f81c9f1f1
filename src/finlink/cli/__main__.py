"""``python -m finlink.cli``: the same as the ``finlink`` command."""

from finlink.cli.app import main

main(prog_name="finlink")
