"""SnelStart's error codes and the bodies the sandbox answers them with.

Codes and Dutch messages are from the portal page "B2B API versie 2 foutcodes" (P-ERR in
reference ``snelstart.md`` §0, §2.4): every code there has HTTP status 400. The page does not
show the body; the shape client code handles most often is a **JSON array** of
``{"errorCode": ..., "message": ...}`` items (PHP ``SnelstartApiErrorException``, §2.4), which is
what :class:`ApiError` produces. ASP.NET model-binding failures (a string longer than the
schema's ``maxLength`` with no SnelStart code, an unparsable value) use the second shape,
``{"message": ..., "modelState": {field: [messages]}}`` (:class:`ModelStateError`). A 404 for
an unknown id in the URL carries ``{"Message": ...}`` (PHP reads ``Message``, §2.4).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

__all__ = ["MESSAGES", "ApiError", "ModelStateError", "NotFound"]

#: The codes the sandbox can answer, with their messages as P-ERR lists them.
MESSAGES: Mapping[str, str] = {
    "ALG-0100": "Het ID dient leeg te zijn",
    "ALG-0101": "Het ID in het url en het ID van de data in het request komen niet overeen",
    "ALG-0103": "Ongeldig ID",
    "ALG-0104": "Ongeldig OData filter",
    "ALG-0105": "Het item is nonactief",
    "ALG-0106": "De data in het request is leeg",
    "REL-0001": "RelatieSoort mag niet 'geen' zijn",
    "REL-0002": "RelatieSoort dient klant te bevatten indien aanmanen aan staat",
    "REL-0003": "Krediettermijn mag niet kleiner dan -365 of groter dan 1000 zijn",
    "REL-0004": "RelatieSoort dient klant te bevatten indien Factuurkorting aan staat",
    "REL-0005": "Relatie niet gevonden",
    "REL-0006": "KvkNummer is ongeldig",
    "REL-0007": "Naam moet gevuld zijn",
    "REL-0008": "Relatiecode reeds in gebruik",
    "REL-0009": "Iban mag niet leeg zijn wanneer bankieren aan staat of incassosoort is 'geen'",
    "REL-0010": "Bic is ongeldig",
    "REL-0011": "Iban is ongeldig",
    "REL-0012": "MobieleTelefoon mag maximaal 25 karakters bevatten",
    "REL-0013": "Telefoon mag maximaal 25 karakters bevatten",
    "REL-0014": "Relatiesoort dient leverancier te bevatten indien bankieren aan staat",
    "REL-0016": "RelatieSoort dient klant te bevatten indien IncassoSoort gevuld is",
    "REL-0017": "Factuurrelatie bestaat niet",
    "REL-0018": "Factuurrelatie is geen klant",
    "REL-0020": "VestigingsAdres.Straat mag maximaal 50 karakters bevatten",
    "REL-0021": "VestigingsAdres.Postcode mag maximaal 25 karakters bevatten",
    "REL-0022": "VestigingsAdres.Plaats mag maximaal 50 karakters bevatten",
    "REL-0023": "VestigingsAdres.Contactpersoon mag maximaal 50 karakters bevatten",
    "REL-0025": "Correspondentie.Straat mag maximaal 50 karakters bevatten",
    "REL-0026": "Correspondentie.Postcode mag maximaal 25 karakters bevatten",
    "REL-0027": "Correspondentie.Plaats mag maximaal 50 karakters bevatten",
    "REL-0028": "Correspondentie.Contactpersoon mag maximaal 50 karakters bevatten",
    "REL-0047": "Het ID in het url en het ID van de relatie in het request komen niet overeen",
    "REL-0048": "RelatieSoort mag niet 'eigen' bevatten",
    "REL-0049": "Klant heeft openstaande facturen",
    "REL-0053": "Leverancier heeft openstaande facturen",
    "REL-0055": "CorrespondentieAdres.LandId niet gevonden",
    "REL-0056": "VestigingsAdres.LandId niet gevonden",
    "REL-0057": "BtwNummer mag maximaal 50 karakters bevatten",
    "REL-0058": "BtwNummer moet minimaal 2 karakters bevatten",
    "REL-0059": "BtwNummer mag alleen cijfers en letters bevatten",
    "REL-0060": (
        "Indien een van de velden van VestigingsAdres gevuld is, meegegeven dienen alle velden "
        "gevuld zijn, uitgezonderd Contactpersoon"
    ),
    "REL-0062": "RelatieSoort dient klant te bevatten indien Kredietlimiet ingevuld is.",
    "REL-0063": "Het ID dient leeg te zijn.",
    "REL-0064": "RelatieSoort mag niet aangepast worden.",
    "REL-0065": "RelatieSoort kan niet zowel 'klant' als 'leverancier' zijn.",
    "REL-0066": (
        "De input is incompleet of incorrect. Controleer of de json valide is en de juiste "
        "properties bevat."
    ),
    "REL-0084": (
        "Email bevat één of meerdere ongeldige emailadressen. U kunt meerdere emailadressen "
        "opgeven door ze te scheiden met een puntkomma(;)."
    ),
    "REL-0085": "Email mag maximaal 250 karakters bevatten",
    "REL-0086": "Oin moet exact 20 cijfers bevatten of null zijn",
    "REL-0087": "De Btw landcode komt niet overeen met de landcode van het vestigingsadres",
    "REL-0088": "Het opgegeven nummer is geen geldig btw-nummer",
    "KPL-0004": "De omschrijving is verplicht",
    "KPL-0005": "De omschrijving mag maximaal 50 karakters bevatten",
    "KPL-0006": "Het nummer is verplicht",
    "KPL-0007": "Het nummer moet tussen 1 en 999999999 liggen",
    "KPL-0008": "Dit nummer bestaat al",
    "KPL-0009": "Er kan geen nonactieve kostenplaats worden gemaakt",
    "BOE-0002": "Leverancier niet gevonden",
    "BOE-0003": "Het Id is gevonden maar de relatie is geen leverancier",
    "BOE-0008": "De grootboekrekening is verwijderd en staat op nonactief in de administratie",
    "BOE-0019": "De kostenplaats is niet gevonden",
    "BOE-0021": "Het factuurnummer bestaat al",
    "BOE-0022": "Bij de opgegeven grootboekrekening is een kostenplaats is verplicht",
    "BOE-0023": "Er zijn geen boekingsregels",
    "BOE-0026": "De kostenplaats is verwijderd en staat op nonactief",
    "BOE-0028": "Een regelbedrag is nul",
    "BOE-0033": "De boekdatum mag niet meer dan 5 jaar voor het huidig boekjaar liggen",
    "BOE-0037": "Een grootboekrekening kon niet worden gevonden",
    "BOE-0039": "De boeking is niet in balans",
    "BOE-0052": (
        "Het Iban nummer van de klant is niet ingevuld, dit is verplicht bij een incasso."
    ),
    "BOE-0054": "De relatie is verwijderd en staat op nonactief",
    "BOE-0056": "De omschrijving van de incassomachtiging mag maximaal 50 tekens lang zijn.",
    "BOE-0057": "Het kenmerk van de incassomachtiging mag maximaal 50 tekens lang zijn.",
    "BOE-0058": "Het factuurnummer is verplicht en mag maximaal 25 tekens bevatten.",
    "BOE-0060": "De opgegeven relatie is geen klant.",
    "BOE-0062": "Btwverlegd mag niet worden gecombineerd met andere btwsoorten.",
    "BOE-0064": ("Er is zowel een doorlopende- als een éénmalige incassomachtiging opgegeven."),
    "BOE-0066": ("De opgegeven doorlopende incassomachtiging behoort niet bij de opgegeven klant."),
    "BOE-0068": "Het boekstuk mag maximaal 25 tekens lang zijn.",
    "BOE-0071": "Een omschrijving mag maximaal 250 tekens lang zijn.",
    "BOE-0081": "Er is geen grootboekrekening aanwezig voor de volgende grootboekfuncties.",
    "BOE-0083": "De factuur kan niet worden verwijderd omdat er betalingen zijn.",
    "BOE-0084": "De omschrijving is verplicht.",
    "BOE-0086": "Er is al een grootboek met het opgegeven nummer.",
    "BOE-0088": "De omschrijving bij een grootboekrekening mag maximaal 50 tekens lang zijn.",
    "BLG-0006": "Bestand is groter dan 10MB.",
    "BLG-0007": "Geen bestandsnaam opgegeven.",
    "BLG-0009": "Aanvraag is leeg.",
    "BLG-0011": "Content is leeg.",
    "BLG-0016": "Bestandsnaam bevat niet-toegestane karakters.",
    "BLG-0017": "Bestandsnaam is te lang.",
}


class ApiError(Exception):
    """A 400 answer with one or more SnelStart error codes (raised inside the sandbox).

    Args:
        codes: The codes, in the order they were found; each must be in :data:`MESSAGES`.
    """

    status = 400

    def __init__(self, *codes: str) -> None:
        super().__init__(", ".join(codes))
        self.codes: tuple[str, ...] = codes

    def body(self) -> object:
        """The JSON body: a list of ``{"errorCode", "message"}`` items."""
        return [{"errorCode": code, "message": MESSAGES[code]} for code in self.codes]

    @classmethod
    def collect(cls, codes: Iterable[str]) -> None:
        """Raise one ApiError carrying every code in ``codes``, if there are any.

        Raises:
            ApiError: When ``codes`` is not empty.
        """
        found = tuple(dict.fromkeys(codes))
        if found:
            raise cls(*found)


class ModelStateError(Exception):
    """A 400 from ASP.NET model binding/validation, before SnelStart's own rules run.

    Args:
        errors: Field path → messages, e.g. ``{"model.naam": ["The field Naam must be ..."]}``.
    """

    status = 400

    def __init__(self, errors: Mapping[str, Sequence[str]]) -> None:
        super().__init__(", ".join(errors))
        self.errors = {key: list(value) for key, value in errors.items()}

    def body(self) -> object:
        """The JSON body in Web API's ``modelState`` shape (UNVERIFIED for SnelStart, §2.4)."""
        return {"message": "The request is invalid.", "modelState": self.errors}

    @classmethod
    def max_length(cls, field: str, prop: str, limit: int) -> ModelStateError:
        """The DataAnnotations message for a string longer than ``limit``."""
        return cls(
            {
                f"model.{field}": [
                    f"The field {prop} must be a string with a maximum length of {limit}."
                ]
            }
        )


class NotFound(Exception):  # noqa: N818 - named after the HTTP status it answers
    """A 404 for an unknown id in the URL; the body has ``Message`` (PHP reads it, §2.4)."""

    status = 404

    def __init__(self, message: str = "Het item is niet gevonden.") -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> object:
        """The JSON body ``{"Message": ...}`` (text UNVERIFIED)."""
        return {"Message": self.message}
