"""The keyset condition of one page of the error log, shared by the SQL stores.

The log is ordered by ``(administration, entity, crm_key)`` and a page starts after the key
of the last entry shown. A filter fixes some of those columns; the condition is then
rewritten on the columns left, so the database reads the page as one range of an index
whose leading columns are the fixed ones, however deep into the log the page is. (A
three-column row comparison behind a fixed column makes SQLite read from the start of the
filtered range on every page.)
"""

from __future__ import annotations

__all__ = ["ErrorKeyset", "error_keyset"]

#: (SQL condition with ``{}`` for each parameter, parameters), or None when no entry can
#: follow the key (the page is empty without asking the database).
ErrorKeyset = tuple[str, tuple[str, ...]] | None


def _behind(
    fixed: tuple[str, ...], last: tuple[str, ...], condition: str, values: tuple[str, ...]
) -> ErrorKeyset:
    """After the key when the filter fixes ``fixed`` and the key has ``last`` there."""
    if fixed > last:
        return ("", ())  # every entry of the filter comes after the key
    if fixed < last:
        return None  # none does
    return (condition, values)


def error_keyset(
    administration: str | None, entity: str | None, after: tuple[str, str, str]
) -> ErrorKeyset:
    """The condition "after ``after``" on the columns a filter leaves free.

    Strings compare by code point, as the stores' bytewise collations do for UTF-8.
    """
    after_adm, after_entity, after_key = after
    if administration is not None and entity is not None:
        return _behind(
            (administration, entity), (after_adm, after_entity), "crm_key > {}", (after_key,)
        )
    if administration is not None:
        return _behind(
            (administration,),
            (after_adm,),
            "(entity, crm_key) > ({}, {})",
            (after_entity, after_key),
        )
    if entity is not None:
        if entity == after_entity:
            return ("(administration, crm_key) > ({}, {})", (after_adm, after_key))
        # Another entity sorts before or after all of this one's within an administration.
        operator = ">" if entity < after_entity else ">="
        return (f"administration {operator} {{}}", (after_adm,))
    return ("(administration, entity, crm_key) > ({}, {}, {})", after)
