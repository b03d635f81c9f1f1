"""Generate ``_metadata.py``: Exact's property lists for the endpoints the sandbox emulates.

The sandbox must accept every property Exact's REST reference lists for an endpoint it
emulates, yet ship without the reference folder. This script reads the machine-readable
reference (``DannyvdSluijs/ExactOnlineRestApiReference:meta-data.json``, kept as
``../shared/reference/exact/eol-rest-meta-subset-2022-03-23.json`` beside the repository)
and writes a compact table: endpoint → ``Name:Type`` items, ``:ro`` for read-only ones.

Run it from the repository root, naming that file::

    python -m finlink.testing.exact._metadata_gen <reference>/exact/eol-rest-meta-subset-*.json

``tests/testing/exact/test_exact_metadata.py`` checks that the committed module equals what
this generator makes from the file, whenever the file is present.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["EMULATED", "generate", "main", "table_from_metadata"]

#: The endpoints the sandbox emulates that the reference describes, as in its ``uri``.
#: ``bulk/...`` endpoints are missing from the 2022 subset (upstream key collisions with the
#: ``sync/...`` ones) and share their entity's properties; ``hrm/Divisions`` is missing for
#: the same reason and is served with ``system/Divisions``'s properties.
EMULATED: tuple[str, ...] = (
    "current/Me",
    "crm/Accounts",
    "crm/BankAccounts",
    "crm/Contacts",
    "documents/DocumentAttachments",
    "documents/Documents",
    "financial/GLAccounts",
    "financial/Journals",
    "financialtransaction/TransactionLines",
    "hrm/Costcenters",
    "purchaseentry/PurchaseEntries",
    "purchaseentry/PurchaseEntryLines",
    "read/financial/PayablesList",
    "read/financial/ReceivablesList",
    "salesentry/SalesEntries",
    "salesentry/SalesEntryLines",
    "sync/CRM/Accounts",
    "sync/CRM/Contacts",
    "sync/Deleted",
    "sync/Documents/DocumentAttachments",
    "sync/Documents/Documents",
    "sync/Financial/GLAccounts",
    "sync/Financial/TransactionLines",
    "system/Divisions",
    "vat/VATCodes",
    "webhooks/WebhookSubscriptions",
)

_WIDTH = 86  # characters of one string chunk, so each line stays under ruff's 100


def _path(uri: str) -> str:
    for prefix in ("/api/v1/{division}/", "/api/v1/"):
        if uri.startswith(prefix):
            return uri[len(prefix) :]
    raise ValueError(f"unexpected uri {uri!r}")


def _item(prop: Mapping[str, Any], endpoint: Mapping[str, Any]) -> str:
    kind = str(prop["type"]).removeprefix("Edm.")
    methods, served = prop["supportedMethods"], endpoint["supportedMethods"]
    # A property's own post/put flags mean nothing on a GET-only endpoint (the crawler
    # defaults them to true there), so writable = the endpoint and the property both allow it.
    writable = (served["post"] and methods["post"]) or (served["put"] and methods["put"])
    return f"{prop['name']}:{kind}" + ("" if writable else ":ro")


def table_from_metadata(data: Mapping[str, Any]) -> dict[str, list[str]]:
    """The compact table (endpoint → items) for :data:`EMULATED` from the parsed JSON.

    Raises:
        ValueError: When an emulated endpoint is missing from the file.
    """
    by_path = {_path(entry["uri"]): entry for entry in data["endpoints"].values()}
    table: dict[str, list[str]] = {}
    for path in EMULATED:
        entry = by_path.get(path)
        if entry is None:
            raise ValueError(f"the metadata file has no endpoint {path}")
        table[path] = [_item(prop, entry) for prop in entry["properties"]]
    return table


def _chunks(items: Sequence[str]) -> list[str]:
    chunks: list[str] = []
    line = ""
    for item in items:
        if line and len(line) + 1 + len(item) > _WIDTH:
            chunks.append(line + " ")
            line = item
        else:
            line = f"{line} {item}" if line else item
    chunks.append(line)
    return chunks


def generate(source: Path) -> str:
    """The text of ``_metadata.py`` made from the metadata file at ``source``.

    Raises:
        OSError: When the file cannot be read.
        ValueError: When it is not the expected JSON.
    """
    data = json.loads(source.read_text(encoding="utf-8"))
    provenance = data["_provenance"]
    table = table_from_metadata(data)
    lines = [
        '"""Exact Online REST properties of the endpoints the sandbox emulates (GENERATED).',
        "",
        f"Source: ``{source.name}`` in the shared reference folder,",
        f"``{provenance['source_repo']}:{provenance['source_path']}`` at commit",
        f"``{provenance['source_commit']}`` ({provenance['source_commit_date']}), MIT licence.",
        "",
        "Do not edit by hand. Regenerate from the repository root with::",
        "",
        "    python -m finlink.testing.exact._metadata_gen <path to that JSON file>",
        "",
        "Each endpoint maps to ``Name:Type`` items separated by spaces, in the reference's order;",
        "``Type`` is the Edm type without ``Edm.`` (or an entity set / complex type name) and a",
        "trailing ``:ro`` marks a property POST and PUT do not set.",
        '"""',
        "",
        f'SOURCE = "{source.name}"',
        f'SOURCE_DATE = "{provenance["source_commit_date"]}"',
        "",
        "TABLE: dict[str, str] = {",
    ]
    for path, items in table.items():
        joined = " ".join(items)
        if len(f'    "{path}": "{joined}",') <= 100:
            lines.append(f'    "{path}": "{joined}",')
            continue
        # ruff's formatter joins implicitly concatenated strings that fit on one line.
        chunks = [joined] if len(joined) + 10 <= 100 else _chunks(items)
        lines.append(f'    "{path}": (')
        lines.extend(f'        "{chunk}"' for chunk in chunks)
        lines.append("    ),")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write ``_metadata.py`` next to this module from the file named on the command line."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print(__doc__, file=sys.stderr)  # noqa: T201 - a command-line tool's usage text
        return 2
    target = Path(__file__).with_name("_metadata.py")
    target.write_text(generate(Path(args[0])), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
