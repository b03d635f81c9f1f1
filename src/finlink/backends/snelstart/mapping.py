"""Relations and their one contact person, mapped to SnelStart's ``RelatieWriteModel`` and back.

What each CRM field becomes (snelstart.md §3.1):

============================  ==========================================================
``Relation``                  ``/relaties``
============================  ==========================================================
name                          ``naam`` (≤ 50)
roles                         ``relatiesoort``: ``["Klant"]`` or ``["Leverancier"]``, one
                              soort only (REL-0065), fixed after creation (REL-0064)
number                        ``relatiecode`` when it is a number (int32; unique, REL-0008)
visiting_address              ``vestigingsAdres`` (straat ≤ 50 incl. line2, postcode ≤ 25,
                              plaats ≤ 50, land as a GUID from ``/landen``), complete or
                              not at all (REL-0060)
postal_address                ``correspondentieAdres``, same rules
email / phone / mobile        ``email`` (≤ 250) / ``telefoon`` / ``mobieleTelefoon`` (≤ 25)
website                       ``websiteUrl`` (≤ 100)
vat_number                    ``btwNummer``: spaces, dots and dashes removed, 2..50 letters
                              and digits (REL-0057/0058/0059)
coc_number / iban / bic       ``kvkNummer`` (≤ 12) / ``iban`` (≤ 50) / ``bic`` (≤ 15)
payment_term_days             ``krediettermijn`` (-365..1000, REL-0003)
active                        ``nonactief`` (inverted)
the reference                 a ``[finlink:<reference>]`` line in ``memo`` (see below)
primary contact               its name in ``vestigingsAdres.contactpersoon`` (≤ 50), its
                              e-mail, phone and job title in a ``[finlink-contact:…]``
                              line in ``memo``
============================  ==========================================================

**Where the reference lives.** ``relatiecode`` is an int32 (§3.1) and the host may want its own
debtor number there, so it cannot hold an arbitrary CRM key. ``extraVeldenKlant`` is read-only
on ``/relaties``, exists for customers only, and needs a field the bookkeeper defined first
plus a second call (§3.1). ``memo`` is the one free-text field of ``RelatieWriteModel`` that
OData can filter on (P-ODATA filters any non-``Uri`` property), so the reference goes into it
as a line of its own, ``[finlink:<reference>]``, found in one call with
``substringof('[finlink:<reference>]', Memo) eq true``; the brackets keep ``crm-1`` from
matching ``crm-10``, and the backend re-checks the parsed reference. The bookkeeper's own memo
text is kept around it.

**The one contact.** SnelStart has no contact-persons collection; the only person field is the
free-text ``contactpersoon`` of an address (§3.1; COMPENDA "SnelStart ondersteunt slechts 1
contactpersoon per relatie"). The relation-level ``email``/``telefoon`` belong to the relation,
so the contact's own details would overwrite them; they are kept in the memo instead, so they
round-trip without touching the relation's fields.

**Customer and supplier.** SnelStart refuses both soorten on one relatie (REL-0065); the sync
engine splits such a relation in two (the supplier half's reference ends in ``#supplier``).
Relatiecodes are unique (REL-0008) and the customer half holds the CRM's number, so the
supplier half gets the number plus ``supplier_code_offset`` (default 1 000 000 000: debtor
10001 is creditor 1000010001). Leaving it to SnelStart instead would hand the supplier half
the next free code, which is the CRM's *next* debtor number when numbers are sequential.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from finlink._errors import Problem, ValidationError
from finlink.backends.snelstart.wire import ref, ref_id
from finlink.model.enums import RelationRole
from finlink.model.relation import Address, Contact, Relation

__all__ = [
    "CONTACT_SUFFIX",
    "SUPPLIER_SUFFIX",
    "apply_contact",
    "contact_from_wire",
    "contact_remote_id",
    "memo_parts",
    "normalize_btw",
    "reference_filter",
    "relation_fields",
    "relation_from_wire",
]

#: The engine's suffix for the supplier half of a relation split in two.
SUPPLIER_SUFFIX = "#supplier"
#: A contact's remote id is the relatie's id plus this (there is only one per relatie).
CONTACT_SUFFIX = ":contactpersoon"

_REF_OPEN = "[finlink:"
_CONTACT_OPEN = "[finlink-contact:"
_SOORT = {RelationRole.CUSTOMER: "Klant", RelationRole.SUPPLIER: "Leverancier"}
_ROLE = {soort: role for role, soort in _SOORT.items()}
_INT32_MAX = 2**31 - 1
_BTW_SEPARATORS = re.compile(r"[\s.\-]")

#: Relation attribute → (wire key, max length) for the plain text fields.
_TEXT_FIELDS: dict[str, tuple[str, int]] = {
    "name": ("naam", 50),
    "email": ("email", 250),
    "phone": ("telefoon", 25),
    "mobile": ("mobieleTelefoon", 25),
    "website": ("websiteUrl", 100),
    "coc_number": ("kvkNummer", 12),
    "iban": ("iban", 50),
    "bic": ("bic", 15),
}
_ADDRESS_KEYS = {"visiting_address": "vestigingsAdres", "postal_address": "correspondentieAdres"}
#: Attributes of ``Relation`` SnelStart has no place for; they are not sent.
IGNORED_FIELDS = frozenset({"id", "contacts", "updated_at", "extra", "language", "currency"})


class _Problems:
    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, path: str, rule: str, message: str, value: str | None = None) -> None:
        self.items.append(Problem(path=path, rule=rule, message=message, value=value))

    def length(self, path: str, value: str | None, limit: int, code: str) -> None:
        if value is not None and len(value) > limit:
            message = f"SnelStart holds at most {limit} characters here ({code}), not {len(value)}"
            self.add(path, "max_length", message, value)

    def raise_any(self, subject: str) -> None:
        if self.items:
            raise ValidationError(self.items, subject=subject)


def normalize_btw(value: str) -> str:
    """A VAT number as SnelStart takes it: no spaces, dots or dashes, upper case (REL-0059)."""
    return _BTW_SEPARATORS.sub("", value).upper()


def reference_filter(reference: str) -> str:
    """The ``$filter`` that finds the relatie carrying ``reference`` in its memo."""
    marker = (_REF_OPEN + reference + "]").replace("'", "''")
    return f"substringof('{marker}', Memo) eq true"


def memo_parts(memo: object) -> tuple[str | None, dict[str, Any] | None, list[str]]:
    """Split a memo into (reference, contact details, the bookkeeper's own lines)."""
    reference: str | None = None
    contact: dict[str, Any] | None = None
    rest: list[str] = []
    for line in (memo if isinstance(memo, str) else "").splitlines():
        stripped = line.strip()
        if stripped.startswith(_REF_OPEN) and stripped.endswith("]") and reference is None:
            reference = stripped[len(_REF_OPEN) : -1]
        elif stripped.startswith(_CONTACT_OPEN) and stripped.endswith("]"):
            try:
                parsed = json.loads(stripped[len(_CONTACT_OPEN) : -1])
            except ValueError:
                rest.append(line)
                continue
            contact = parsed if isinstance(parsed, dict) else None
        else:
            rest.append(line)
    return reference, contact, rest


def _memo(reference: str | None, contact: Mapping[str, Any] | None, rest: Iterable[str]) -> str:
    lines = [line for line in rest if line.strip()]
    if reference is not None:
        lines.append(f"{_REF_OPEN}{reference}]")
    if contact is not None:
        lines.append(_CONTACT_OPEN + json.dumps(contact, separators=(",", ":")) + "]")
    return "\n".join(lines)


def with_reference(memo: object, reference: str) -> str:
    """``memo`` with ``[finlink:<reference>]`` set (other lines kept)."""
    _, contact, rest = memo_parts(memo)
    return _memo(reference, contact, rest)


def _address(
    problems: _Problems, name: str, address: Address | None, lands: Mapping[str, str]
) -> dict[str, Any] | None:
    """The wire address, complete or None; every gap is a problem (REL-0060)."""
    if address is None:
        return None
    straat = address.line1 if not address.line2 else f"{address.line1}, {address.line2}"
    problems.length(f"{name}.line1", straat, 50, "REL-0020/0025")
    problems.length(f"{name}.postcode", address.postcode, 25, "REL-0021/0026")
    problems.length(f"{name}.city", address.city, 50, "REL-0022/0027")
    if not address.postcode:
        problems.add(
            f"{name}.postcode",
            "address_incomplete",
            "SnelStart takes an address with street, postcode, city and country, or none "
            "(REL-0060); this one has no postcode",
        )
    land = lands.get(address.country.upper())
    if land is None:
        problems.add(
            f"{name}.country",
            "unknown_country",
            f"the administration's /landen has no country {address.country!r} (REL-0055/0056)",
            address.country,
        )
    return {
        "straat": straat,
        "postcode": address.postcode,
        "plaats": address.city,
        "land": ref(land),
    }


def relation_fields(
    relation: Relation,
    fields: Iterable[str],
    *,
    lands: Mapping[str, str],
    code_offset: int | None = 0,
) -> dict[str, Any]:
    """The wire properties for ``fields`` (attribute names of ``Relation``), checked.

    Addresses come without ``contactpersoon``; the caller keeps the stored one. The
    relatiecode is the CRM number plus ``code_offset``, or left out when ``code_offset`` is
    None, the number is not a number, or the sum is no int32.

    Raises:
        ValidationError: Every broken SnelStart rule at once, each naming the field and rule.
    """
    problems = _Problems()
    out: dict[str, Any] = {}
    for field in fields:
        if field in _TEXT_FIELDS:
            key, limit = _TEXT_FIELDS[field]
            value = getattr(relation, field)
            problems.length(field, value, limit, "SPEC maxLength / REL-0012/0013/0085")
            out[key] = value
        elif field in _ADDRESS_KEYS:
            out[_ADDRESS_KEYS[field]] = _address(problems, field, getattr(relation, field), lands)
        elif field == "roles":
            if len(relation.roles) != 1:
                problems.add(
                    "roles",
                    "one_soort",
                    "a SnelStart relatie is a customer or a supplier, not both (REL-0065); "
                    "the sync engine sends such a relation as two relaties",
                )
            out["relatiesoort"] = [_SOORT[role] for role in sorted(relation.roles)]
        elif field == "number":
            out["relatiecode"] = _code(relation.number, code_offset)
        elif field == "vat_number":
            btw = normalize_btw(relation.vat_number) if relation.vat_number else None
            if btw is not None and not (2 <= len(btw) <= 50 and btw.isalnum() and btw.isascii()):
                problems.add(
                    "vat_number",
                    "vat_format",
                    "SnelStart takes 2 to 50 letters and digits (REL-0057/0058/0059)",
                    relation.vat_number,
                )
            out["btwNummer"] = btw
        elif field == "payment_term_days":
            term = relation.payment_term_days
            if term is not None and not -365 <= term <= 1000:
                problems.add(
                    "payment_term_days",
                    "range",
                    "SnelStart's krediettermijn is from -365 to 1000 days (REL-0003)",
                    str(term),
                )
            out["krediettermijn"] = term
        elif field == "active":
            out["nonactief"] = not relation.active
        elif field == "currency" and relation.currency != "EUR":
            problems.add("currency", "currency", "SnelStart books in euros only", relation.currency)
    problems.raise_any(f"relation {relation.id!r} for SnelStart")
    return out


def _code(number: str | None, offset: int | None) -> int | None:
    if offset is None or number is None or not number.isdigit() or len(number) > 10:
        return None
    code = int(number) + offset
    return code if 1 <= code <= _INT32_MAX else None


def relation_from_wire(
    body: Mapping[str, Any], countries: Mapping[str, str]
) -> tuple[Relation, str | None]:
    """A relatie as a ``Relation`` (``id`` is the reference, else the GUID) and its reference.

    Args:
        body: The relatie as SnelStart sent it.
        countries: Land GUID → ISO code, from ``/landen``.
    """
    reference, _, _ = memo_parts(body.get("memo"))
    roles = frozenset(_ROLE[s] for s in body.get("relatiesoort") or () if s in _ROLE)
    contact = contact_from_wire(body)
    code = body.get("relatiecode")
    relation = Relation(
        id=reference or str(body["id"]),
        name=str(body.get("naam") or ""),
        roles=roles,
        number=str(code) if code else None,
        visiting_address=_address_from_wire(body.get("vestigingsAdres"), countries),
        postal_address=_address_from_wire(body.get("correspondentieAdres"), countries),
        email=body.get("email") or None,
        phone=body.get("telefoon") or None,
        mobile=body.get("mobieleTelefoon") or None,
        website=body.get("websiteUrl") or None,
        vat_number=body.get("btwNummer") or None,
        coc_number=body.get("kvkNummer") or None,
        iban=body.get("iban") or None,
        bic=body.get("bic") or None,
        payment_term_days=body.get("krediettermijn"),
        contacts=() if contact is None else (contact[0],),
        active=not body.get("nonactief"),
    )
    return relation, reference


def _address_from_wire(raw: object, countries: Mapping[str, str]) -> Address | None:
    if not isinstance(raw, Mapping):
        return None
    iso = countries.get(ref_id(raw.get("land")) or "")
    if not raw.get("straat") or not raw.get("plaats") or iso is None:
        return None
    return Address(
        line1=str(raw["straat"]),
        postcode=raw.get("postcode") or None,
        city=raw["plaats"],
        country=iso,
    )


def contact_remote_id(relatie_id: str) -> str:
    """The remote id of a relatie's one contact."""
    return relatie_id + CONTACT_SUFFIX


def contact_from_wire(body: Mapping[str, Any]) -> tuple[Contact, str | None] | None:
    """The relatie's contact person and the reference finlink gave it, or None."""
    adres = body.get("vestigingsAdres")
    name = adres.get("contactpersoon") if isinstance(adres, Mapping) else None
    _, details, _ = memo_parts(body.get("memo"))
    if details is None:
        if not name:
            return None
        # Entered in SnelStart by the bookkeeper: a name only.
        return Contact(id=contact_remote_id(str(body["id"])), last_name=name), None
    reference = details.get("ref") if isinstance(details.get("ref"), str) else None
    contact = Contact(
        id=reference or contact_remote_id(str(body["id"])),
        first_name=details.get("first_name"),
        last_name=details.get("last_name"),
        email=details.get("email"),
        phone=details.get("phone"),
        job_title=details.get("job_title"),
        is_primary=True,
    )
    if name and name != contact.full_name:
        # The bookkeeper renamed the contact person in SnelStart: the name there wins.
        contact = attrs.evolve(contact, first_name=None, last_name=name)
    return contact, reference


def apply_contact(body: dict[str, Any], contact: Contact, reference: str | None) -> None:
    """Write ``contact`` into a relatie body: its name into ``contactpersoon``, the rest in memo.

    Raises:
        ValidationError: The name is longer than ``contactpersoon`` holds (REL-0023).
    """
    problems = _Problems()
    problems.length("contact.name", contact.full_name, 50, "REL-0023")
    problems.raise_any(f"contact {contact.id!r} for SnelStart")
    adres = dict(body.get("vestigingsAdres") or {})
    adres["contactpersoon"] = contact.full_name or None
    body["vestigingsAdres"] = adres
    own_reference, _, rest = memo_parts(body.get("memo"))
    details = {
        "ref": reference,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "email": contact.email,
        "phone": contact.phone,
        "job_title": contact.job_title,
    }
    body["memo"] = _memo(own_reference, {k: v for k, v in details.items() if v}, rest)
