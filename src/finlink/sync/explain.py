"""Plain Dutch and English for a bookkeeper: why a record failed, why it waits, why it matched.

finlink's own messages are English sentences for a developer's log. A bookkeeper's screen
needs a sentence in their language that says what is wrong and what to do. This module turns
what the state store keeps into such sentences::

    from finlink.sync.explain import explain_error, negotiate_language

    language = negotiate_language(request.headers.get("Accept-Language"))  # "nl" or "en"
    for entry in store.errors(administration, limit=50):
        print(explain_error(entry, language))

- :func:`explain_error`: an error-log entry (:class:`~finlink.sync.store.ErrorEntry`), from its
  rule (``max_length``...), the vendor's code (SnelStart ``REL-0008``, Exact
  ``TooEarlyToRefreshTokens``...) or the kind of failure (``ServerError``...);
- :func:`explain_review`: why a review item waits for a person;
- :func:`explain_evidence`: a match candidate's evidence (what agreed, what differed, the
  score) in words.

Every validation rule finlink emits, every error class and the vendor codes the backends
meet have a Dutch and an English text (a test reads the source to hold this true). Anything
else falls back to the entry's own message, never to an empty string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final, Literal

from finlink.sync.store import ErrorEntry, Review

__all__ = [
    "KIND_TEXTS",
    "RULE_TEXTS",
    "VENDOR_TEXTS",
    "Language",
    "explain_error",
    "explain_evidence",
    "explain_review",
    "field_label",
    "negotiate_language",
]

#: The two languages finlink explains itself in.
Language = Literal["nl", "en"]

# -- language negotiation ---------------------------------------------------------------------

_QUALITY = re.compile(r"^q=([01](?:\.\d{0,3})?)$", re.IGNORECASE)


def negotiate_language(accept_language: str | None) -> Language:
    """Pick Dutch or English from an HTTP ``Accept-Language`` header (RFC 9110 §12.5.4).

    Ranges are weighed by their ``q`` value (1 when absent; ``q=0`` means "not this one"),
    ties keep the header's order. ``nl``, ``nl-NL``, ``nl-BE``... give Dutch, ``en-*`` English,
    ``*`` and an absent, empty or unreadable header English.
    """
    if not accept_language:
        return "en"
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(accept_language.split(",")):
        tag, *params = (part.strip() for part in item.split(";"))
        if not tag:
            continue
        quality = 1.0
        for param in params:
            found = _QUALITY.match(param.replace(" ", ""))
            if found:
                quality = float(found.group(1))
            elif param.lower().startswith("q="):
                quality = -1.0  # an unreadable weight: ignore the range
        if quality > 0:
            ranked.append((-quality, position, tag.lower()))
    for _, _, tag in sorted(ranked):
        primary = tag.split("-", 1)[0]
        if primary == "nl":
            return "nl"
        if primary in ("en", "*"):
            return "en"
    return "en"


def _language(language: str) -> int:
    """0 for Dutch, 1 for English (the position in the text pairs)."""
    return 0 if language.lower().startswith("nl") else 1


# -- field names --------------------------------------------------------------------------------

# Field name → (Dutch with its article, English with its article). finlink's own field names
# and the vendors' (SnelStart, Exact) where a refusal names one.
_FIELDS: Final[Mapping[str, tuple[str, str]]] = {
    "id": ("de sleutel", "the key"),
    "name": ("de naam", "the name"),
    "roles": ("de soort relatie (klant of leverancier)", "the kind of relation"),
    "number": ("het nummer", "the number"),
    "visiting_address": ("het vestigingsadres", "the visiting address"),
    "postal_address": ("het postadres", "the postal address"),
    "address": ("het adres", "the address"),
    "line1": ("de straat en het huisnummer", "the street and house number"),
    "line2": ("de tweede adresregel", "the second address line"),
    "postcode": ("de postcode", "the postcode"),
    "city": ("de plaats", "the city"),
    "country": ("het land", "the country"),
    "email": ("het e-mailadres", "the e-mail address"),
    "phone": ("het telefoonnummer", "the phone number"),
    "mobile": ("het mobiele nummer", "the mobile number"),
    "website": ("de website", "the website"),
    "vat_number": ("het btw-nummer", "the VAT number"),
    "coc_number": ("het KvK-nummer", "the Chamber of Commerce (KvK) number"),
    "iban": ("de IBAN", "the IBAN"),
    "bic": ("de BIC", "the BIC"),
    "payment_term_days": ("de betaaltermijn", "the payment term"),
    "currency": ("de valuta", "the currency"),
    "language": ("de taal", "the language"),
    "contacts": ("de contactpersonen", "the contacts"),
    "first_name": ("de voornaam", "the first name"),
    "last_name": ("de achternaam", "the last name"),
    "job_title": ("de functie", "the job title"),
    "is_primary": ("de hoofdcontactpersoon", "the primary contact"),
    "updated_at": ("de wijzigingsdatum", "the date of change"),
    "active": ("actief", "active"),
    "extra": ("de extra velden", "the extra fields"),
    "kind": ("de soort boeking", "the kind of booking"),
    "relation_id": ("de relatie", "the relation"),
    "invoice_number": ("het factuurnummer", "the invoice number"),
    "invoice_date": ("de factuurdatum", "the invoice date"),
    "due_date": ("de vervaldatum", "the due date"),
    "description": ("de omschrijving", "the description"),
    "lines": ("de boekingsregels", "the booking lines"),
    "ledger_account": ("de grootboekrekening", "the ledger account"),
    "amount": ("het bedrag", "the amount"),
    "vat_category": ("de btw-soort", "the VAT category"),
    "vat_amount": ("het btw-bedrag", "the VAT amount"),
    "project_id": ("het project", "the project"),
    "attachment": ("de bijlage", "the attachment"),
    "file_name": ("de bestandsnaam", "the file name"),
    "media_type": ("het bestandstype", "the file type"),
    "content": ("de inhoud van de bijlage", "the attachment's content"),
    "administration": ("de administratie", "the administration"),
    # Vendor field names a refusal may name.
    "naam": ("de naam", "the name"),
    "relatiecode": ("de relatiecode", "the relation code"),
    "kvknummer": ("het KvK-nummer", "the Chamber of Commerce (KvK) number"),
    "btwnummer": ("het btw-nummer", "the VAT number"),
    "telefoon": ("het telefoonnummer", "the phone number"),
    "mobieletelefoon": ("het mobiele nummer", "the mobile number"),
    "straat": ("de straat", "the street"),
    "plaats": ("de plaats", "the city"),
    "vestigingsadres": ("het vestigingsadres", "the visiting address"),
    "correspondentieadres": ("het postadres", "the postal address"),
    "factuurnummer": ("het factuurnummer", "the invoice number"),
    "omschrijving": ("de omschrijving", "the description"),
    "hashcode": ("de handtekening van het webhookbericht", "the webhook message's signature"),
}

_ITEMS: Final[Mapping[str, tuple[str, str]]] = {
    "contacts": ("contactpersoon", "contact"),
    "lines": ("regel", "line"),
}

_PART = re.compile(r"([^.\[\]]+)(?:\[(\d+)\])?")


def field_label(path: str | None, language: str) -> str:
    """A field path (``contacts[1].email``) in words, with its article.

    ``contacts[1].email`` is "het e-mailadres van contactpersoon 2" / "the e-mail address of
    contact 2". A name finlink does not know stays as it is, in quotes.
    """
    which = _language(language)
    if not path:
        return ("het record", "the record")[which]
    words: list[str] = []
    for match in _PART.finditer(path):
        name, index = match.group(1), match.group(2)
        key = name.strip().lower()
        if index is not None and key in _ITEMS:
            words.append(f"{_ITEMS[key][which]} {int(index) + 1}")
            continue
        label = _FIELDS.get(key) or _FIELDS.get(key.replace("_", ""))
        text = label[which] if label else f"'{name}'"
        if index is not None:
            text = f"{text} ({('nummer', 'number')[which]} {int(index) + 1})"
        words.append(text)
    if not words:
        return f"'{path}'"
    # The innermost field first: "the e-mail address of contact 2".
    return f" {('van', 'of')[which]} ".join(reversed(words))


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


# -- validation rules ---------------------------------------------------------------------------

#: Rule name → (Dutch, English). ``{field}``/``{Field}`` is the field in words, ``{limit}`` a
#: limit read from finlink's message (" (maximaal 50 tekens)"), empty where it gives none.
RULE_TEXTS: Final[Mapping[str, tuple[str, str]]] = MappingProxyType(
    {
        "address_incomplete": (
            "{Field} is niet compleet: vul straat, postcode, plaats en land in, of laat het "
            "adres helemaal leeg.",
            "{Field} is incomplete: fill in street, postcode, city and country, or leave the "
            "address out altogether.",
        ),
        "administration_required": (
            "Bij deze boeking staat niet in welke administratie zij hoort; vul de "
            "administratie in.",
            "This booking does not say which administration it belongs to; fill it in.",
        ),
        "amount_precision": (
            "{Field} heeft meer cijfers achter de komma dan de administratie kan bewaren.",
            "{Field} has more decimals than the administration can keep.",
        ),
        "base64": (
            "{Field} is geen geldig bestand (de codering klopt niet).",
            "{Field} is not a valid file (its encoding is wrong).",
        ),
        "bic": (
            "{Field} is geen geldige BIC (8 of 11 tekens, zoals ABNANL2A).",
            "{Field} is not a valid BIC (8 or 11 characters, such as ABNANL2A).",
        ),
        "blank": (
            "{Field} is leeg; laat het veld weg of vul het in.",
            "{Field} is blank; leave the field out or fill it in.",
        ),
        "cents": (
            "{Field} heeft meer dan twee cijfers achter de komma.",
            "{Field} has more than two decimals.",
        ),
        "coc_number": (
            "{Field} klopt niet: een Nederlands KvK-nummer heeft precies 8 cijfers, een "
            "Belgisch ondernemingsnummer 10.",
            "{Field} is not valid: a Dutch KvK number has exactly 8 digits, a Belgian "
            "enterprise number 10.",
        ),
        "cost_centre": (
            "Het project bij {field} bestaat niet als kostenplaats in de administratie.",
            "The project on {field} does not exist as a cost centre in the administration.",
        ),
        "cost_centre_required": (
            "Bij de grootboekrekening van {field} is een kostenplaats (project) verplicht.",
            "The ledger account of {field} requires a cost centre (project).",
        ),
        "country_code": (
            "{Field} is geen landcode; gebruik twee letters, zoals NL of BE.",
            "{Field} is not a country code; use two letters, such as NL or BE.",
        ),
        "currency": (
            "De administratie boekt niet in de valuta van {field}.",
            "The administration does not book in the currency of {field}.",
        ),
        "currency_code": (
            "{Field} is geen valutacode; gebruik drie letters, zoals EUR.",
            "{Field} is not a currency code; use three letters, such as EUR.",
        ),
        "cursor": (
            "De administratie gaf een leespositie terug die finlink niet begrijpt; de "
            "volgende keer wordt alles opnieuw gelezen.",
            "The administration returned a read position finlink cannot use; the next read "
            "starts from the beginning.",
        ),
        "date_format": (
            "{Field} is geen geldige datum (jjjj-mm-dd).",
            "{Field} is not a valid date (yyyy-mm-dd).",
        ),
        "datetime_format": (
            "{Field} is geen geldig tijdstip.",
            "{Field} is not a valid date and time.",
        ),
        "decimal_format": (
            "{Field} is geen geldig bedrag of getal.",
            "{Field} is not a valid amount or number.",
        ),
        "decimal_required": (
            "{Field} moet een exact bedrag zijn (geen benadering).",
            "{Field} must be an exact amount (not an approximation).",
        ),
        "digits": (
            "{Field} mag alleen cijfers bevatten.",
            "{Field} may only contain digits.",
        ),
        "due_date_mismatch": (
            "{Field} past niet bij de factuurdatum en de betaaltermijn.",
            "{Field} does not match the invoice date and the payment term.",
        ),
        "due_date_order": (
            "{Field} ligt vóór de factuurdatum.",
            "{Field} is before the invoice date.",
        ),
        "email_format": (
            "{Field} is geen geldig e-mailadres (naam@voorbeeld.nl).",
            "{Field} is not a valid e-mail address (name@example.com).",
        ),
        "enum": (
            "{Field} heeft een waarde die hier niet kan.",
            "{Field} has a value that is not allowed here.",
        ),
        "finite": (
            "{Field} moet een gewoon getal zijn.",
            "{Field} must be an ordinary number.",
        ),
        "iban": (
            "{Field} is geen geldige IBAN; controleer het rekeningnummer op een tikfout.",
            "{Field} is not a valid IBAN; check the account number for a typo.",
        ),
        "journal": (
            "De administratie heeft geen dagboek voor deze soort boeking; stel er een in.",
            "The administration has no journal for this kind of booking; set one up.",
        ),
        "json": (
            "De gegevens zijn onleesbaar (geen geldige JSON).",
            "The data cannot be read (it is not valid JSON).",
        ),
        "language_code": (
            "{Field} is geen taalcode; gebruik twee letters, zoals nl of en.",
            "{Field} is not a language code; use two letters, such as nl or en.",
        ),
        "max_contacts": (
            "De relatie heeft meer contactpersonen dan de administratie kan bewaren{limit}.",
            "The relation has more contacts than the administration can keep{limit}.",
        ),
        "max_length": (
            "{Field} is te lang{limit}; maak de tekst in het CRM korter.",
            "{Field} is too long{limit}; shorten it in the CRM.",
        ),
        "max_size": (
            "{Field} is te groot{limit}.",
            "{Field} is too large{limit}.",
        ),
        "media_type": (
            "{Field} heeft een bestandstype dat de administratie niet aanneemt (gebruik PDF).",
            "{Field} has a file type the administration does not accept (use PDF).",
        ),
        "name_required": (
            "De relatie heeft geen naam; vul de naam in.",
            "The relation has no name; fill in the name.",
        ),
        "one_primary": (
            "Er is meer dan één hoofdcontactpersoon; kies er één.",
            "More than one contact is marked as primary; choose one.",
        ),
        "one_soort": (
            "De administratie kent een relatie als klant óf als leverancier, niet allebei.",
            "The administration keeps a relation as a customer or a supplier, not both.",
        ),
        "pdf_signature": (
            "{Field} is geen echt PDF-bestand.",
            "{Field} is not a real PDF file.",
        ),
        "phone_format": (
            "{Field} is geen telefoonnummer (cijfers, eventueel met +).",
            "{Field} is not a phone number (digits, optionally with +).",
        ),
        "postcode": (
            "{Field} klopt niet voor het land (Nederland: 1234 AB, België: 4 cijfers).",
            "{Field} is not valid for the country (Netherlands: 1234 AB, Belgium: 4 digits).",
        ),
        "project_number": (
            "Het projectnummer kan geen kostenplaatsnummer worden (alleen cijfers, 1 tot "
            "999999999).",
            "The project number cannot become a cost centre number (digits only, 1 to 999999999).",
        ),
        "project_pending": (
            "Het project van deze boeking staat nog niet in de administratie; de boeking "
            "volgt zodra het project er is.",
            "This booking's project is not in the administration yet; the booking follows "
            "once it is.",
        ),
        "project_refused": (
            "Het project van deze boeking is door de administratie geweigerd; los dat eerst op.",
            "The administration refused this booking's project; fix that first.",
        ),
        "project_unknown": (
            "Het project van deze boeking is onbekend; het CRM moet het project eerst sturen.",
            "This booking's project is unknown; the CRM must send the project first.",
        ),
        "range": (
            "{Field} ligt buiten wat de administratie toestaat{limit}.",
            "{Field} is outside what the administration allows{limit}.",
        ),
        "relation_refused": (
            "De relatie van deze boeking is door de administratie geweigerd; los dat eerst op.",
            "The administration refused this booking's relation; fix that first.",
        ),
        "relation_unknown": (
            "De relatie van deze boeking is onbekend; het CRM moet de relatie eerst sturen.",
            "This booking's relation is unknown; the CRM must send the relation first.",
        ),
        "required": (
            "{Field} ontbreekt; vul het in.",
            "{Field} is missing; fill it in.",
        ),
        "shape": (
            "Het webhookbericht heeft niet de verwachte vorm.",
            "The webhook message does not have the expected shape.",
        ),
        "sign": (
            "{Field} heeft het verkeerde teken (positief of negatief).",
            "{Field} has the wrong sign (positive or negative).",
        ),
        "signature": (
            "De handtekening van het webhookbericht klopt niet; het bericht is genegeerd.",
            "The webhook message's signature does not match; the message was ignored.",
        ),
        "soort_fixed": (
            "In deze administratie kan een klant geen leverancier worden (of andersom).",
            "In this administration a customer cannot become a supplier (or the other way round).",
        ),
        "timezone_required": (
            "{Field} heeft geen tijdzone.",
            "{Field} has no time zone.",
        ),
        "type": (
            "{Field} heeft het verkeerde soort waarde.",
            "{Field} has the wrong kind of value.",
        ),
        "unique": (
            "{Field} komt twee keer voor; elke waarde mag maar één keer.",
            "{Field} appears twice; each value may appear only once.",
        ),
        "unknown_administration": (
            "De administratie van deze boeking is niet ingesteld in finlink.",
            "This booking's administration is not configured in finlink.",
        ),
        "unknown_country": (
            "De administratie kent het land van {field} niet.",
            "The administration does not know the country of {field}.",
        ),
        "unknown_field": (
            "{Field} is geen veld dat finlink kent.",
            "{Field} is not a field finlink knows.",
        ),
        "unknown_ledger": (
            "De grootboekrekening van {field} bestaat niet in de administratie.",
            "The ledger account of {field} does not exist in the administration.",
        ),
        "unknown_ledger_account": (
            "De grootboekrekening van {field} bestaat niet in de administratie.",
            "The ledger account of {field} does not exist in the administration.",
        ),
        "unknown_project": (
            "Het project van {field} bestaat niet als kostenplaats in de administratie.",
            "The project of {field} does not exist as a cost centre in the administration.",
        ),
        "unknown_vat_code": (
            "De administratie heeft geen btw-code voor de btw-soort van {field}.",
            "The administration has no VAT code for the VAT category of {field}.",
        ),
        "url_format": (
            "{Field} is geen webadres (www.voorbeeld.nl).",
            "{Field} is not a web address (www.example.com).",
        ),
        "vat_format": (
            "{Field} heeft een vorm die de administratie niet aanneemt (alleen letters en "
            "cijfers).",
            "{Field} has a form the administration does not accept (letters and digits only).",
        ),
        "vat_number": (
            "{Field} is geen geldig btw-nummer voor het land.",
            "{Field} is not a valid VAT number for its country.",
        ),
        "vat_rate": (
            "Het btw-bedrag van {field} past niet bij het btw-tarief.",
            "The VAT amount of {field} does not match the VAT rate.",
        ),
        "vat_rate_unknown": (
            "Voor de btw-soort van {field} is geen tarief bekend op de factuurdatum.",
            "No rate is known for the VAT category of {field} on the invoice date.",
        ),
        "vat_sign": (
            "Het btw-bedrag van {field} heeft een ander teken dan het bedrag.",
            "The VAT amount of {field} has another sign than the amount.",
        ),
        "vat_without_soort": (
            "Bij {field} staat btw, maar de grootboekrekening heeft geen btw-soort.",
            "{Field} carries VAT, but its ledger account has no VAT category.",
        ),
        "vat_zero_rated": (
            "Bij {field} hoort geen btw (0%- of verlegd tarief), maar er staat een btw-bedrag.",
            "{Field} should carry no VAT (zero-rated or reverse-charged), yet has a VAT amount.",
        ),
        "whitespace": (
            "{Field} begint of eindigt met spaties; haal die weg.",
            "{Field} starts or ends with spaces; remove them.",
        ),
        "zero": (
            "Het bedrag van {field} is nul; de administratie neemt geen regel van nul aan.",
            "The amount of {field} is zero; the administration takes no line of zero.",
        ),
    }
)

# Rule → (Dutch, English) phrase for the number in finlink's message, "{n}" being that number.
_LIMITS: Final[Mapping[str, tuple[str, str]]] = {
    "max_length": (" (maximaal {n} tekens)", " (at most {n} characters)"),
    "max_size": (" (maximaal {n} bytes)", " (at most {n} bytes)"),
    "max_contacts": (" (maximaal {n})", " (at most {n})"),
}

_NUMBER = re.compile(r"(?<![\w.])(\d[\d,.]*\d|\d)(?![\w.])")


def _limit(rule: str, message: str, which: int) -> str:
    phrase = _LIMITS.get(rule)
    if phrase is None:
        return ""
    # The number of the problem with this rule ("name: is longer than 50 characters
    # [max_length]"), not of a header such as "(1 problem)".
    parts = [p for p in re.split(r"[;\n]", message) if f"[{rule}]" in p] or [message]
    found = _NUMBER.search(parts[0])
    return "" if found is None else phrase[which].format(n=found.group(1))


# -- error kinds --------------------------------------------------------------------------------

#: Error class name (:attr:`ErrorEntry.kind`) → (Dutch, English); ``{detail}`` is the message.
KIND_TEXTS: Final[Mapping[str, tuple[str, str]]] = MappingProxyType(
    {
        "FinlinkError": (
            "finlink kon dit record niet verwerken: {detail}",
            "finlink could not process this record: {detail}",
        ),
        "ValidationError": (
            "De gegevens in het CRM kloppen niet: {detail}",
            "The data in the CRM is not valid: {detail}",
        ),
        "ConfigurationError": (
            "finlink is niet goed ingesteld voor deze administratie: {detail}",
            "finlink is not set up correctly for this administration: {detail}",
        ),
        "ConfigError": (
            "Het configuratiebestand van finlink klopt niet: {detail}",
            "finlink's configuration file is wrong: {detail}",
        ),
        "BackendError": (
            "Het gesprek met de administratie mislukte: {detail}",
            "Talking to the administration failed: {detail}",
        ),
        "AuthenticationError": (
            "De administratie weigert de inloggegevens (verlopen of ingetrokken); iemand moet "
            "de koppeling opnieuw toestaan.",
            "The administration refuses the credentials (expired or revoked); someone must "
            "authorise the connection again.",
        ),
        "PermissionDeniedError": (
            "finlink heeft geen toestemming voor dit onderdeel van de administratie; geef de "
            "koppeling die rechten.",
            "finlink is not allowed to do this in the administration; grant the connection "
            "those rights.",
        ),
        "NotFoundError": (
            "Het record bestaat niet (meer) in de administratie.",
            "The record does not exist (any more) in the administration.",
        ),
        "ConflictError": (
            "De administratie weigert de wijziging door hoe het record daar nu staat: {detail}",
            "The administration refuses the change because of the record's state there: {detail}",
        ),
        "RateLimitError": (
            "Er zijn te veel verzoeken naar de administratie gedaan; finlink wacht even en "
            "probeert het dan opnieuw.",
            "Too many requests were sent to the administration; finlink waits and tries again.",
        ),
        "ServerError": (
            "De administratie had een storing; finlink probeert het later opnieuw.",
            "The administration had a failure on its side; finlink tries again later.",
        ),
        "TransportError": (
            "De administratie was niet bereikbaar; finlink probeert het later opnieuw.",
            "The administration could not be reached; finlink tries again later.",
        ),
        "OutcomeUnknownError": (
            "Het antwoord van de administratie ging verloren; finlink kijkt eerst of het "
            "record is aangekomen voordat het opnieuw schrijft, zodat er niets dubbel komt.",
            "The administration's answer was lost; finlink first checks whether the record "
            "arrived before it writes again, so nothing is duplicated.",
        ),
        "RemoteValidationError": (
            "De administratie weigerde het record: {detail}",
            "The administration refused the record: {detail}",
        ),
        "SyncError": (
            "finlink kon dit record niet synchroniseren: {detail}",
            "finlink could not sync this record: {detail}",
        ),
        "StoreUnavailableError": (
            "finlink kon zijn eigen database niet bereiken; het record wordt later opnieuw "
            "geprobeerd.",
            "finlink could not reach its own database; the record is tried again later.",
        ),
        "WebhookSignatureError": (
            "Een webhookbericht had geen geldige handtekening en is genegeerd.",
            "A webhook message had no valid signature and was ignored.",
        ),
    }
)

# -- vendor codes -------------------------------------------------------------------------------

_TOO_LONG = (
    "{what} is te lang (maximaal {n} tekens).",
    "{what} is too long (at most {n} characters).",
)


def _too_long(what_nl: str, what_en: str, n: int) -> tuple[str, str]:
    return (
        _TOO_LONG[0].format(what=_capital(what_nl), n=n),
        _TOO_LONG[1].format(what=_capital(what_en), n=n),
    )


#: A vendor's code (:attr:`ErrorEntry.vendor_code`) → (Dutch, English): SnelStart's codes
#: (portal page "B2B API versie 2 foutcodes") and Exact Online's token and OData codes.
VENDOR_TEXTS: Final[Mapping[str, tuple[str, str]]] = MappingProxyType(
    {
        # SnelStart, general.
        "ALG-0100": (
            "SnelStart weigerde het record: een nieuw record mag nog geen sleutel hebben.",
            "SnelStart refused the record: a new record may not carry a key yet.",
        ),
        "ALG-0101": (
            "SnelStart weigerde de wijziging: de sleutel in het verzoek klopt niet.",
            "SnelStart refused the change: the key in the request does not match.",
        ),
        "ALG-0103": ("SnelStart kent deze sleutel niet.", "SnelStart does not know this key."),
        "ALG-0104": (
            "SnelStart begreep de zoekvraag niet (ongeldig filter).",
            "SnelStart did not understand the search (an invalid filter).",
        ),
        "ALG-0105": (
            "Het record staat in SnelStart op non-actief; zet het eerst weer op actief.",
            "The record is inactive in SnelStart; make it active again first.",
        ),
        "ALG-0106": (
            "SnelStart kreeg een leeg verzoek.",
            "SnelStart received an empty request.",
        ),
        # SnelStart, relations.
        "REL-0001": (
            "Geef aan of de relatie een klant of een leverancier is.",
            "Say whether the relation is a customer or a supplier.",
        ),
        "REL-0002": (
            "Aanmanen kan alleen bij een klant.",
            "Dunning is only possible for a customer.",
        ),
        "REL-0003": (
            "De betaaltermijn moet tussen -365 en 1000 dagen liggen.",
            "The payment term must be between -365 and 1000 days.",
        ),
        "REL-0004": (
            "Factuurkorting kan alleen bij een klant.",
            "An invoice discount is only possible for a customer.",
        ),
        "REL-0005": (
            "De relatie bestaat niet in SnelStart.",
            "The relation does not exist in SnelStart.",
        ),
        "REL-0006": (
            "Het KvK-nummer is ongeldig.",
            "The Chamber of Commerce (KvK) number is invalid.",
        ),
        "REL-0007": ("De naam ontbreekt; vul de naam in.", "The name is missing; fill it in."),
        "REL-0008": (
            "De relatiecode is in SnelStart al in gebruik door een andere relatie.",
            "The relation code is already used by another relation in SnelStart.",
        ),
        "REL-0009": (
            "De IBAN ontbreekt, en die is nodig voor bankieren of incasso.",
            "The IBAN is missing, and it is needed for banking or direct debit.",
        ),
        "REL-0010": ("De BIC is ongeldig.", "The BIC is invalid."),
        "REL-0011": ("De IBAN is ongeldig.", "The IBAN is invalid."),
        "REL-0012": _too_long("het mobiele nummer", "the mobile number", 25),
        "REL-0013": _too_long("het telefoonnummer", "the phone number", 25),
        "REL-0014": (
            "Bankieren kan alleen bij een leverancier.",
            "Banking is only possible for a supplier.",
        ),
        "REL-0016": (
            "Incasso kan alleen bij een klant.",
            "Direct debit is only possible for a customer.",
        ),
        "REL-0017": (
            "De factuurrelatie bestaat niet in SnelStart.",
            "The invoice relation does not exist in SnelStart.",
        ),
        "REL-0018": (
            "De factuurrelatie is geen klant.",
            "The invoice relation is not a customer.",
        ),
        "REL-0020": _too_long(
            "de straat van het vestigingsadres", "the visiting address street", 50
        ),
        "REL-0021": _too_long("de postcode van het vestigingsadres", "the visiting postcode", 25),
        "REL-0022": _too_long("de plaats van het vestigingsadres", "the visiting city", 50),
        "REL-0023": _too_long(
            "de contactpersoon van het vestigingsadres", "the visiting address contact", 50
        ),
        "REL-0025": _too_long("de straat van het postadres", "the postal address street", 50),
        "REL-0026": _too_long("de postcode van het postadres", "the postal postcode", 25),
        "REL-0027": _too_long("de plaats van het postadres", "the postal city", 50),
        "REL-0028": _too_long(
            "de contactpersoon van het postadres", "the postal address contact", 50
        ),
        "REL-0047": (
            "SnelStart weigerde de wijziging: de sleutel van de relatie klopt niet.",
            "SnelStart refused the change: the relation's key does not match.",
        ),
        "REL-0048": (
            "Een relatie kan niet de eigen onderneming zijn.",
            "A relation cannot be your own company.",
        ),
        "REL-0049": (
            "De klant heeft nog openstaande facturen en kan daarom niet weg.",
            "The customer still has open invoices, so it cannot be removed.",
        ),
        "REL-0053": (
            "De leverancier heeft nog openstaande facturen en kan daarom niet weg.",
            "The supplier still has open invoices, so it cannot be removed.",
        ),
        "REL-0055": (
            "SnelStart kent het land van het postadres niet.",
            "SnelStart does not know the country of the postal address.",
        ),
        "REL-0056": (
            "SnelStart kent het land van het vestigingsadres niet.",
            "SnelStart does not know the country of the visiting address.",
        ),
        "REL-0057": _too_long("het btw-nummer", "the VAT number", 50),
        "REL-0058": (
            "Het btw-nummer is te kort (minstens 2 tekens).",
            "The VAT number is too short (at least 2 characters).",
        ),
        "REL-0059": (
            "Het btw-nummer mag alleen letters en cijfers bevatten.",
            "The VAT number may only contain letters and digits.",
        ),
        "REL-0060": (
            "Het vestigingsadres is niet compleet: vul straat, postcode, plaats en land in, of "
            "laat het helemaal leeg.",
            "The visiting address is incomplete: fill in street, postcode, city and country, "
            "or leave it out altogether.",
        ),
        "REL-0062": (
            "Een kredietlimiet kan alleen bij een klant.",
            "A credit limit is only possible for a customer.",
        ),
        "REL-0063": (
            "SnelStart weigerde de relatie: een nieuwe relatie mag nog geen sleutel hebben.",
            "SnelStart refused the relation: a new relation may not carry a key yet.",
        ),
        "REL-0064": (
            "In SnelStart kan een klant geen leverancier worden (of andersom).",
            "In SnelStart a customer cannot become a supplier (or the other way round).",
        ),
        "REL-0065": (
            "In SnelStart is een relatie klant óf leverancier; voor allebei zijn twee "
            "relaties nodig.",
            "In SnelStart a relation is a customer or a supplier; both needs two relations.",
        ),
        "REL-0066": (
            "SnelStart kon het verzoek niet lezen (onvolledig of onjuist).",
            "SnelStart could not read the request (incomplete or incorrect).",
        ),
        "REL-0084": (
            "Het e-mailadres is ongeldig (meerdere adressen scheiden met een puntkomma).",
            "The e-mail address is invalid (separate several addresses with a semicolon).",
        ),
        "REL-0085": _too_long("het e-mailadres", "the e-mail address", 250),
        "REL-0086": (
            "Het OIN moet precies 20 cijfers hebben, of leeg zijn.",
            "The OIN must have exactly 20 digits, or be empty.",
        ),
        "REL-0087": (
            "De landcode van het btw-nummer past niet bij het land van het vestigingsadres.",
            "The VAT number's country code does not match the visiting address's country.",
        ),
        "REL-0088": (
            "Het btw-nummer is geen geldig btw-nummer.",
            "The VAT number is not a valid VAT number.",
        ),
        # SnelStart, cost centres.
        "KPL-0004": (
            "De omschrijving van de kostenplaats ontbreekt.",
            "The cost centre's description is missing.",
        ),
        "KPL-0005": _too_long(
            "de omschrijving van de kostenplaats", "the cost centre's description", 50
        ),
        "KPL-0006": (
            "Het nummer van de kostenplaats ontbreekt.",
            "The cost centre's number is missing.",
        ),
        "KPL-0007": (
            "Het nummer van de kostenplaats moet tussen 1 en 999999999 liggen.",
            "The cost centre's number must be between 1 and 999999999.",
        ),
        "KPL-0008": (
            "Er is al een kostenplaats met dit nummer.",
            "A cost centre with this number already exists.",
        ),
        "KPL-0009": (
            "Een nieuwe kostenplaats kan niet meteen non-actief zijn.",
            "A new cost centre cannot be inactive from the start.",
        ),
        # SnelStart, bookings.
        "BOE-0002": (
            "De leverancier van de boeking bestaat niet in SnelStart.",
            "The booking's supplier does not exist in SnelStart.",
        ),
        "BOE-0003": (
            "De relatie van de boeking is geen leverancier.",
            "The booking's relation is not a supplier.",
        ),
        "BOE-0008": (
            "De grootboekrekening staat in de administratie op non-actief.",
            "The ledger account is inactive in the administration.",
        ),
        "BOE-0019": (
            "De kostenplaats van de boeking bestaat niet.",
            "The booking's cost centre does not exist.",
        ),
        "BOE-0021": (
            "Het factuurnummer bestaat al in de administratie.",
            "The invoice number already exists in the administration.",
        ),
        "BOE-0022": (
            "Bij deze grootboekrekening is een kostenplaats (project) verplicht.",
            "This ledger account requires a cost centre (project).",
        ),
        "BOE-0023": ("De boeking heeft geen regels.", "The booking has no lines."),
        "BOE-0026": (
            "De kostenplaats staat op non-actief.",
            "The cost centre is inactive.",
        ),
        "BOE-0028": (
            "Een regelbedrag is nul.",
            "A line amount is zero.",
        ),
        "BOE-0033": (
            "De boekdatum ligt meer dan 5 jaar voor het huidige boekjaar.",
            "The booking date is more than 5 years before the current financial year.",
        ),
        "BOE-0037": (
            "Een grootboekrekening van de boeking bestaat niet.",
            "A ledger account of the booking does not exist.",
        ),
        "BOE-0039": (
            "De boeking is niet in balans: het factuurbedrag is niet de som van de regels en "
            "de btw.",
            "The booking does not balance: the invoice total is not the sum of the lines and "
            "the VAT.",
        ),
        "BOE-0052": (
            "De IBAN van de klant ontbreekt, en die is nodig voor incasso.",
            "The customer's IBAN is missing, and it is needed for direct debit.",
        ),
        "BOE-0054": (
            "De relatie van de boeking staat op non-actief.",
            "The booking's relation is inactive.",
        ),
        "BOE-0056": _too_long(
            "de omschrijving van de incassomachtiging", "the direct debit mandate's description", 50
        ),
        "BOE-0057": _too_long(
            "het kenmerk van de incassomachtiging", "the direct debit mandate's reference", 50
        ),
        "BOE-0058": (
            "Het factuurnummer ontbreekt of is te lang (maximaal 25 tekens).",
            "The invoice number is missing or too long (at most 25 characters).",
        ),
        "BOE-0060": (
            "De relatie van de boeking is geen klant.",
            "The booking's relation is not a customer.",
        ),
        "BOE-0062": (
            "Verlegde btw kan niet samen met andere btw-soorten in één boeking.",
            "Reverse-charged VAT cannot be combined with other VAT categories in one booking.",
        ),
        "BOE-0064": (
            "Er is zowel een doorlopende als een eenmalige incassomachtiging opgegeven.",
            "Both a recurring and a one-off direct debit mandate were given.",
        ),
        "BOE-0066": (
            "De incassomachtiging hoort niet bij deze klant.",
            "The direct debit mandate does not belong to this customer.",
        ),
        "BOE-0068": _too_long("het boekstuk", "the document number", 25),
        "BOE-0071": _too_long("een omschrijving", "a description", 250),
        "BOE-0081": (
            "De administratie mist een grootboekrekening voor een vaste functie (zoals "
            "debiteuren of btw); stel die in.",
            "The administration lacks a ledger account for a fixed function (such as "
            "receivables or VAT); set it up.",
        ),
        "BOE-0083": (
            "De factuur kan niet weg: er zijn al betalingen op gedaan.",
            "The invoice cannot be removed: payments were made on it.",
        ),
        "BOE-0084": ("De omschrijving ontbreekt.", "The description is missing."),
        "BOE-0086": (
            "Er is al een grootboekrekening met dit nummer.",
            "A ledger account with this number already exists.",
        ),
        "BOE-0088": _too_long(
            "de omschrijving van de grootboekrekening", "the ledger account's description", 50
        ),
        # SnelStart, attachments.
        "BLG-0006": (
            "De bijlage is groter dan 10 MB.",
            "The attachment is larger than 10 MB.",
        ),
        "BLG-0007": ("De bijlage heeft geen bestandsnaam.", "The attachment has no file name."),
        "BLG-0009": ("SnelStart kreeg een leeg verzoek.", "SnelStart received an empty request."),
        "BLG-0011": ("De bijlage is leeg.", "The attachment is empty."),
        "BLG-0016": (
            "De bestandsnaam van de bijlage bevat tekens die niet mogen.",
            "The attachment's file name contains characters that are not allowed.",
        ),
        "BLG-0017": (
            "De bestandsnaam van de bijlage is te lang.",
            "The attachment's file name is too long.",
        ),
        # Exact Online: the token endpoint's codes.
        "TooEarlyToRefreshTokens": (
            "De toegang tot Exact Online werd te vroeg vernieuwd; finlink probeert het zo opnieuw.",
            "Access to Exact Online was renewed too early; finlink tries again shortly.",
        ),
        "invalid_grant": (
            "Exact Online weigert de toegang (verlopen of ingetrokken); iemand moet de "
            "koppeling opnieuw toestaan.",
            "Exact Online refuses access (expired or revoked); someone must authorise the "
            "connection again.",
        ),
        "invalid_request": (
            "Exact Online weigert de toegang: de toegangssleutel is verlopen; iemand moet de "
            "koppeling opnieuw toestaan.",
            "Exact Online refuses access: the access key has expired; someone must authorise "
            "the connection again.",
        ),
        "invalid_client": (
            "Exact Online kent de app-gegevens van deze koppeling niet; controleer de "
            "client-id en het geheim.",
            "Exact Online does not know this connection's app details; check the client id "
            "and secret.",
        ),
        "unauthorized_client": (
            "Deze app mag geen toegang tot Exact Online vragen; controleer de app in het App "
            "Center.",
            "This app may not ask for access to Exact Online; check the app in the App Center.",
        ),
        "access_denied": (
            "Exact Online weigert de toegang; iemand moet de koppeling opnieuw toestaan.",
            "Exact Online refuses access; someone must authorise the connection again.",
        ),
    }
)

_FALLBACK = ("Er ging iets mis met dit record.", "Something went wrong with this record.")
_MORE = (
    " Er zijn nog {n} andere problemen met dit record.",
    " This record has {n} more problem(s).",
)
_RETRY = (
    " finlink probeert het vanzelf opnieuw.",
    " finlink tries again by itself.",
)
_RULE_MARK = re.compile(r"\[[a-z][a-z0-9_]*\]")


def explain_error(entry: ErrorEntry, language: str) -> str:
    """Why a record failed, in one or two plain sentences for a bookkeeper.

    From the most specific to the most general: the rule broken (with the field in words and
    a limit from the message), the vendor's code, the kind of failure (with finlink's
    message as the detail). An entry none of these explain gets its own message; never an
    empty string.

    Args:
        entry: An error-log entry (``store.errors()``).
        language: ``"nl"`` or ``"en"`` (anything starting with ``nl`` is Dutch, the rest
            English); see :func:`negotiate_language`.
    """
    which = _language(language)
    message = entry.message.strip()
    if entry.rule and entry.rule in RULE_TEXTS:
        label = field_label(entry.field_path, language)
        text = RULE_TEXTS[entry.rule][which].format(
            field=label, Field=_capital(label), limit=_limit(entry.rule, message, which)
        )
        others = len(_RULE_MARK.findall(message)) - 1
        if others > 0:
            text += _MORE[which].format(n=others)
        return text
    if entry.vendor_code and entry.vendor_code in VENDOR_TEXTS:
        return VENDOR_TEXTS[entry.vendor_code][which]
    if entry.kind in KIND_TEXTS:
        text = KIND_TEXTS[entry.kind][which].format(detail=message or _FALLBACK[which])
        if entry.retriable and "{detail}" in KIND_TEXTS[entry.kind][which]:
            text += _RETRY[which]
        return text
    return message or _FALLBACK[which]


# -- reviews ------------------------------------------------------------------------------------

_CONFLICT = re.compile(r"^conflict: both the CRM and the administration changed (?P<fields>.+)$")
_POSSIBLE = re.compile(r"^possible match \((?P<rule>[^,]+), (?P<score>\d+)\): (?P<why>.*)$", re.S)
_TAKEN = re.compile(
    r"^matches (?P<remote>\S+) \(.*\), which is already linked to CRM relation (?P<key>.+?): "
    r"a duplicate in the CRM\?$",
    re.S,
)
_DELETED = "deleted in the administration"
_PDF = "the PDF may already be attached"

#: Match rule names (a candidate's or decision's ``rule``) in words.
_MATCH_RULES: Final[Mapping[str, tuple[str, str]]] = {
    "crm_key": ("eerder door finlink gekoppeld", "linked by finlink before"),
    "kvk": ("zelfde KvK-nummer", "same KvK number"),
    "vat": ("zelfde btw-nummer", "same VAT number"),
    "iban": ("zelfde IBAN", "same IBAN"),
    "name_address": ("zelfde naam en adres", "same name and address"),
    "email_domain": ("zelfde e-maildomein", "same e-mail domain"),
    "fuzzy_name": ("gelijkende naam", "similar name"),
    "fellegi_sunter": ("gewogen vergelijking van alle velden", "weighed comparison of all fields"),
    "review": ("door een persoon gekozen", "chosen by a person"),
    "none": ("geen kandidaat", "no candidate"),
}


def _join(items: Sequence[str], which: int) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {('en', 'and')[which]} {items[-1]}"


def explain_review(review: Review, language: str) -> str:
    """Why a review item waits for a person, and what they can do, in plain words.

    Knows the items finlink raises: a conflict between the CRM and the administration, a
    possible match, a match already linked to another CRM record, a relation deleted in the
    administration, a PDF that may already be attached. Any other item gets its own reason.
    """
    which = _language(language)
    reason = review.reason.strip()
    conflict = _CONFLICT.match(reason)
    if conflict:
        # In field-name order: the engine names them in the order its merge met them.
        names = sorted(f.strip() for f in conflict["fields"].split(","))
        fields = [field_label(name, language) for name in names]
        return (
            (
                f"Zowel het CRM als de boekhouding heeft {_join(fields, 0)} gewijzigd, elk "
                "anders. Kies per veld welke waarde blijft."
            ),
            (
                f"Both the CRM and the accountant changed {_join(fields, 1)}, each "
                "differently. Choose per field which value stays."
            ),
        )[which]
    possible = _POSSIBLE.match(reason)
    if possible:
        rule = _MATCH_RULES.get(possible["rule"], (possible["rule"], possible["rule"]))[which]
        score = possible["score"]
        return (
            (
                f"Deze relatie staat misschien al in de administratie (score {score} van 100, "
                f"{rule}). Koppel haar aan de juiste relatie, maak een nieuwe aan, of laat "
                "haar liggen."
            ),
            (
                f"This relation may already be in the administration (score {score} of 100, "
                f"{rule}). Link it to the right relation, create a new one, or leave it."
            ),
        )[which]
    taken = _TAKEN.match(reason)
    if taken:
        remote, key = taken["remote"], taken["key"]
        return (
            (
                f"Deze relatie lijkt op {remote} in de administratie, maar die is al gekoppeld "
                f"aan CRM-relatie {key}. Staat deze relatie dubbel in het CRM?"
            ),
            (
                f"This relation looks like {remote} in the administration, but that one is "
                f"already linked to CRM relation {key}. Is this relation in the CRM twice?"
            ),
        )[which]
    if reason.startswith(_DELETED):
        return (
            "De relatie is in de administratie verwijderd. Maak haar opnieuw aan, of laat het zo.",
            "The relation was deleted in the administration. Create it again, or leave it.",
        )[which]
    if reason.startswith(_PDF):
        return (
            "De PDF is misschien al bijgevoegd (het antwoord op het uploaden ging verloren). "
            "Kijk bij de boeking in de administratie; voeg hem opnieuw toe, of laat het zo.",
            "The PDF may already be attached (the answer to the upload was lost). Check the "
            "booking in the administration; attach it again, or leave it.",
        )[which]
    return reason or _FALLBACK[which]


# -- match evidence -----------------------------------------------------------------------------

_Phrase = tuple[re.Pattern[str], str, str]


def _p(pattern: str, nl: str, en: str) -> _Phrase:
    return re.compile(pattern + r"$", re.S), nl, en


# The phrases matching writes (finlink.sync.comparison, matchers, fellegi_sunter,
# decisions), each with its Dutch and English rendering; named groups carry the values.
_PHRASES: Final[tuple[_Phrase, ...]] = (
    _p(r"same KvK (?P<v>.+)", "zelfde KvK-nummer {v}", "same KvK number {v}"),
    _p(r"same VAT number (?P<v>.+)", "zelfde btw-nummer {v}", "same VAT number {v}"),
    _p(r"same IBAN (?P<v>.+)", "zelfde IBAN {v}", "same IBAN {v}"),
    _p(
        r"same e-mail/web domain (?P<v>.+)",
        "zelfde e-mail- of webdomein {v}",
        "same e-mail or web domain {v}",
    ),
    _p(r"same name (?P<v>.+)", "zelfde naam {v}", "same name {v}"),
    _p(
        r"name (?P<a>['\"].*['\"]) = (?P<b>['\"].*['\"]) once normalised",
        "naam {a} is gelijk aan {b} (na opschonen)",
        "name {a} equals {b} once cleaned up",
    ),
    _p(
        r"name (?P<a>['\"].*['\"]) ≈ (?P<b>['\"].*['\"]) \((?P<n>\d+)\)",
        "naam {a} lijkt op {b} ({n} van 100)",
        "name {a} is like {b} ({n} of 100)",
    ),
    _p(
        r"different legal form \((?P<a>.+) vs (?P<b>.+)\)",
        "andere rechtsvorm ({a} tegenover {b})",
        "different legal form ({a} against {b})",
    ),
    _p(
        r"only one of them is a holding \((?P<v>.+)\)",
        "maar één van beide is een holding ({v})",
        "only one of them is a holding ({v})",
    ),
    _p(r"no address to compare", "geen adres om te vergelijken", "no address to compare"),
    _p(
        r"same postcode (?P<p>.*) and house number (?P<n>.+)",
        "zelfde postcode {p} en huisnummer {n}",
        "same postcode {p} and house number {n}",
    ),
    _p(
        r"same street and house number (?P<n>.+) in the same city",
        "zelfde straat en huisnummer {n} in dezelfde plaats",
        "same street and house number {n} in the same city",
    ),
    _p(
        r"same postcode (?P<p>.*) but another house number",
        "zelfde postcode {p}, maar een ander huisnummer",
        "same postcode {p}, but another house number",
    ),
    _p(
        r"different postcode \((?P<a>.*) vs (?P<b>.*)\)",
        "andere postcode ({a} tegenover {b})",
        "different postcode ({a} against {b})",
    ),
    _p(r"different city", "andere plaats", "different city"),
    _p(
        r"different KvK \((?P<a>.+) vs (?P<b>.+)\)",
        "ander KvK-nummer ({a} tegenover {b})",
        "different KvK number ({a} against {b})",
    ),
    _p(
        r"different VAT number \((?P<a>.+) vs (?P<b>.+)\)",
        "ander btw-nummer ({a} tegenover {b})",
        "different VAT number ({a} against {b})",
    ),
    _p(
        r"another establishment \(vestigingsnummer (?P<a>.+) vs (?P<b>.+)\)",
        "andere vestiging (vestigingsnummer {a} tegenover {b})",
        "another establishment (branch number {a} against {b})",
    ),
    _p(
        r"the remote record is inactive",
        "de relatie staat in de administratie op non-actief",
        "the relation is inactive in the administration",
    ),
    _p(
        r"the remote record carries CRM key (?P<v>.+)",
        "de relatie in de administratie draagt CRM-sleutel {v}",
        "the relation in the administration carries CRM key {v}",
    ),
    _p(
        r"(?P<n>\d+) candidates are about equally strong \((?P<a>[^)]*) and (?P<b>[^)]*)\); "
        r"not guessing",
        "{n} kandidaten zijn ongeveer even sterk ({a} en {b}); finlink gokt niet",
        "{n} candidates are about equally strong ({a} and {b}); finlink does not guess",
    ),
    _p(
        r"match weight (?P<w>[-+]?[\d.]+) bits \(probability (?P<p>[\d.]+%)\) = .*",
        "gewogen overeenkomst: kans {p} dat het dezelfde is ({w} bits)",
        "weighed agreement: probability {p} that it is the same ({w} bits)",
    ),
    _p(r"too little agrees", "te weinig komt overeen", "too little agrees"),
    _p(r"no candidate found", "geen kandidaat gevonden", "no candidate found"),
    _p(
        r"no relation in the administration is close enough",
        "geen relatie in de administratie lijkt er genoeg op",
        "no relation in the administration is close enough",
    ),
)
_BUT = ("maar ", "but ")
_NOT = re.compile(r"^not (?P<id>\S+) (?P<name>['\"].*['\"]): (?P<why>.*)$", re.S)


def _phrase(text: str, which: int) -> str:
    text = text.strip()
    if text.startswith("but "):
        return _BUT[which] + _phrase(text[4:], which)
    refused = _NOT.match(text)
    if refused:
        why = "; ".join(_phrase(part, which) for part in refused["why"].split("; "))
        return (
            f"niet {refused['id']} {refused['name']}: {why}",
            f"not {refused['id']} {refused['name']}: {why}",
        )[which]
    for pattern, nl, en in _PHRASES:
        found = pattern.match(text)
        if found:
            return (nl, en)[which].format(**found.groupdict())
    return text  # a phrase of a custom matcher: kept as it was written


def explain_evidence(candidate: Mapping[str, Any], language: str) -> list[str]:
    """A match candidate's evidence in plain words: what agreed, what differed, the score.

    ``candidate`` is one of a review item's candidates (``{"remote_id", "score",
    "evidence": [...]}``) or a match's description (``{"rule", "score", "evidence": "..."}``).
    The score comes first, then each phrase in the order matching wrote it. A phrase a
    custom matcher wrote is kept as it is.
    """
    which = _language(language)
    lines: list[str] = []
    score = candidate.get("score")
    if isinstance(score, int | float) and not isinstance(score, bool):
        lines.append((f"score {score:g} van 100", f"score {score:g} of 100")[which])
    rule = candidate.get("rule")
    if isinstance(rule, str) and rule:
        words = _MATCH_RULES.get(rule, (rule, rule))[which]
        lines.append((f"regel: {words}", f"rule: {words}")[which])
    evidence = candidate.get("evidence")
    phrases: list[str] = []
    if isinstance(evidence, str):
        # One sentence joined by "; " (MatchDecision.explanation); "not guessing" belongs to
        # the phrase before it.
        for part in evidence.split("; "):
            if part == "not guessing" and phrases:
                phrases[-1] += "; " + part
            elif part.strip():
                phrases.append(part)
    elif isinstance(evidence, Sequence):
        phrases = [str(p) for p in evidence if str(p).strip()]
    lines.extend(_phrase(p, which) for p in phrases)
    return lines
