"""Every word the web view shows, in Dutch and in English.

A bookkeeper in the Netherlands or Flanders reads Dutch; an accountant abroad English. The
two catalogues hold the same keys (a test checks it, and that every key a template uses is
in both), so no page ever shows a key or falls back to the other language half-way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

__all__ = ["CATALOGUES", "Language", "translate"]

Language = Literal["nl", "en"]

_EN: Final[Mapping[str, str]] = {
    "app.title": "finlink — bookkeeper's view",
    "app.signed_in_as": "Signed in as {user}",
    "app.skip": "Skip to the content",
    "nav.status": "Status",
    "nav.reviews": "Review queue",
    "nav.conflicts": "Conflicts",
    "nav.errors": "Error log",
    "nav.plan": "Go-live plan",
    "nav.open_items": "Open items",
    "common.administration": "Administration",
    "common.all_administrations": "All administrations",
    "common.entity": "Record type",
    "common.all_entities": "All record types",
    "common.record": "Record",
    "common.filter": "Filter",
    "common.next_page": "Next page",
    "common.first_page": "First page",
    "common.none": "—",
    "common.nothing": "Nothing here.",
    "common.field": "Field",
    "common.yes": "yes",
    "common.no": "no",
    "common.back": "Back",
    "common.showing": "Showing {count} item(s).",
    "entity.relation": "relation",
    "entity.relation_supplier": "relation (as supplier)",
    "entity.contact": "contact person",
    "entity.project": "project",
    "entity.booking": "booking",
    "entity.document": "document",
    "status.title": "Status per administration",
    "status.intro": "What waits, what failed and what needs a person, per administration.",
    "status.outbox_depth": "Changes waiting to be sent",
    "status.failed": "Failed records",
    "status.review_open": "Waiting for review",
    "status.pending_intents": "Writes with unknown outcome",
    "status.last_run": "Last successful run",
    "status.never": "never",
    "status.warnings": "Warnings",
    "status.no_warnings": "No warnings.",
    "status.rate_budget": "API calls left",
    "status.budget_window": "{remaining} of {limit} ({window})",
    "status.no_budget": "No rate limit known for this administration.",
    "status.warn_credentials": "The administration refused finlink's credentials: {detail}",
    "status.warn_pending": "{count} write(s) with an unknown outcome; the next run checks them.",
    "status.warn_budget": (
        "Rate budget nearly spent: {remaining} of {limit} calls left ({window}); it resets "
        "at {resets}."
    ),
    "reviews.title": "Review queue",
    "reviews.intro": (
        "Records finlink would not decide on alone. Open one to compare it with its candidates."
    ),
    "reviews.reason": "Why",
    "reviews.candidates": "Candidates",
    "reviews.open": "Open",
    "reviews.raised": "Raised",
    "reviews.kind_match": "possible match",
    "reviews.kind_conflict": "conflict",
    "reviews.kind_duplicate": "already linked elsewhere",
    "reviews.kind_other": "needs a person",
    "review.title": "Review {id}: {entity} {key}",
    "review.crm": "In the CRM",
    "review.candidate": "Candidate {remote_id}",
    "review.score": "Score {score}",
    "review.evidence": "Why it may be the same",
    "review.differs": "differs from the CRM",
    "review.unreadable": "This record could not be read from the administration: {reason}",
    "review.link": "Link to {remote_id}",
    "review.create": "Create a new record",
    "review.dismiss": "Dismiss",
    "review.decide": "Decision",
    "review.settled": "This item is already settled ({resolution}).",
    "review.no_candidates": "No candidates: create the record or dismiss the item.",
    "review.is_conflict": "This item is a conflict: settle it field by field.",
    "review.to_conflict": "Open the conflict",
    "conflicts.title": "Conflicts waiting for a person",
    "conflicts.intro": (
        "Both the CRM and the administration changed the same fields. Choose per field "
        "which value stands."
    ),
    "conflicts.fields": "Fields",
    "conflicts.scanned": "Looked through the queue up to item {last}.",
    "conflict.title": "Conflict {id}: {entity} {key}",
    "conflict.last_synced": "Last synced",
    "conflict.crm": "CRM",
    "conflict.accounting": "Administration",
    "conflict.choice": "Keep",
    "conflict.keep_crm": "the CRM's value",
    "conflict.keep_accounting": "the administration's value",
    "conflict.submit": "Save the choices",
    "errors.title": "Error log",
    "errors.intro": "Records whose last attempt failed, with the reason in plain words.",
    "errors.reason": "Reason",
    "errors.attempts": "Attempts",
    "errors.last_seen": "Last attempt",
    "errors.retry": "Retry",
    "errors.not_retriable": "Fix the record in the CRM first; then it is sent again.",
    "errors.count": "{count} failed record(s) in this selection.",
    "plan.title": "Go-live plan",
    "plan.intro": (
        "What the first sync would do, before anything is written. Download it for the "
        "accountant as a CSV file."
    ),
    "plan.download": "Download as CSV",
    "plan.none": "No plan is available here: the host application did not supply one.",
    "plan.counts": "Summary",
    "plan.operation": "Operation",
    "plan.details": "Details",
    "plan.kind.create": "create",
    "plan.kind.update": "update",
    "plan.kind.link": "link",
    "plan.kind.skip": "skip",
    "plan.kind.review": "review",
    "plan.kind.invalid": "invalid",
    "plan.change": "{field}: {old} → {new}",
    "plan.matched": "Matched by {rule} (score {score})",
    "plan.unchanged": "{count} unchanged",
    "plan.conflict_crm": "{field}: the CRM's {crm} replaces the administration's {accounting}",
    "plan.conflict_accounting": (
        "{field}: the administration's {accounting} stays; the CRM's {crm} is not written"
    ),
    "plan.conflict_manual": "{field}: CRM {crm}, administration {accounting}; a person decides",
    "plan.conflict_other": "{field}: CRM {crm}, administration {accounting}; {resolution}",
    "plan.note_dismissed": "Dismissed in the review queue: left alone until it changes.",
    "plan.note_booked": (
        "Changed in the CRM after it was booked; finlink does not change booked invoices: "
        "book a credit note and a new invoice."
    ),
    "plan.note_waiting": "Waiting for review: {reason}",
    "retry.nothing": (
        "There is nothing to send again for this record: it is not in the error log and no "
        "change of it waits to be sent."
    ),
    "retry.refused": (
        "finlink has nothing it can send again: the administration refused this record for "
        "its data. Correct it in the CRM and save it there; the CRM then sends it again."
    ),
    "retry.busy": (
        "Nothing of this record waits to be sent right now (another worker may be sending "
        "it). Look at the error log again in a few minutes."
    ),
    "retry.store_down": (
        "finlink's own database cannot be reached now, so nothing was sent. Try again later."
    ),
    "open_items.title": "Open items",
    "open_items.intro": "What is still to be paid, per invoice, as the administrations say.",
    "open_items.none": "No open items are available here: the host did not supply them.",
    "open_items.invoice": "Invoice",
    "open_items.relation": "Relation",
    "open_items.amount": "Amount",
    "open_items.open": "Still open",
    "open_items.due": "Due",
    "open_items.state": "Payment status",
    "payment.open": "unpaid",
    "payment.partially_paid": "partly paid",
    "payment.paid": "paid",
    "payment.overdue": "overdue",
    "done.linked": "Decision saved: the next sync links the record.",
    "done.created": "Decision saved: the next sync creates the record.",
    "done.dismissed": "Decision saved: the record is left alone until it changes in the CRM.",
    "done.conflict": "Choices saved: the next sync carries them out.",
    "done.retried": "Sent again: it went through.",
    "done.retry_failed": "Sent again, but it failed again; the error log says why.",
    "refused.title": "Not allowed",
    "refused.body": "You may not see this page. Ask the administrator of this application.",
    "refused.csrf": (
        "This form was not accepted (its security token was missing or wrong). Reload the "
        "page and try again."
    ),
    "notfound.title": "Not found",
    "notfound.body": "There is no such item (any more).",
    "failed.title": "That did not work",
}

_NL: Final[Mapping[str, str]] = {
    "app.title": "finlink — overzicht voor de boekhouder",
    "app.signed_in_as": "Ingelogd als {user}",
    "app.skip": "Naar de inhoud",
    "nav.status": "Status",
    "nav.reviews": "Te beoordelen",
    "nav.conflicts": "Conflicten",
    "nav.errors": "Foutenlog",
    "nav.plan": "Livegangplan",
    "nav.open_items": "Openstaande posten",
    "common.administration": "Administratie",
    "common.all_administrations": "Alle administraties",
    "common.entity": "Soort gegeven",
    "common.all_entities": "Alle soorten",
    "common.record": "Gegeven",
    "common.filter": "Filteren",
    "common.next_page": "Volgende pagina",
    "common.first_page": "Eerste pagina",
    "common.none": "—",
    "common.nothing": "Niets te tonen.",
    "common.field": "Veld",
    "common.yes": "ja",
    "common.no": "nee",
    "common.back": "Terug",
    "common.showing": "{count} item(s) getoond.",
    "entity.relation": "relatie",
    "entity.relation_supplier": "relatie (als leverancier)",
    "entity.contact": "contactpersoon",
    "entity.project": "project",
    "entity.booking": "boeking",
    "entity.document": "document",
    "status.title": "Status per administratie",
    "status.intro": "Wat wacht, wat mislukte en wat een mens moet beslissen, per administratie.",
    "status.outbox_depth": "Wijzigingen die wachten op verzending",
    "status.failed": "Mislukte gegevens",
    "status.review_open": "Wachten op beoordeling",
    "status.pending_intents": "Schrijfacties met onbekende uitkomst",
    "status.last_run": "Laatste geslaagde run",
    "status.never": "nooit",
    "status.warnings": "Waarschuwingen",
    "status.no_warnings": "Geen waarschuwingen.",
    "status.rate_budget": "Resterende API-aanroepen",
    "status.budget_window": "{remaining} van {limit} ({window})",
    "status.no_budget": "Geen limiet bekend voor deze administratie.",
    "status.warn_credentials": "De administratie weigerde de inloggegevens van finlink: {detail}",
    "status.warn_pending": (
        "{count} schrijfactie(s) met onbekende uitkomst; de volgende run controleert ze."
    ),
    "status.warn_budget": (
        "API-limiet bijna op: nog {remaining} van {limit} aanroepen ({window}); vernieuwt "
        "om {resets}."
    ),
    "reviews.title": "Te beoordelen",
    "reviews.intro": (
        "Gegevens waarover finlink niet alleen beslist. Open er een om het te vergelijken "
        "met de kandidaten."
    ),
    "reviews.reason": "Waarom",
    "reviews.candidates": "Kandidaten",
    "reviews.open": "Openen",
    "reviews.raised": "Gemeld",
    "reviews.kind_match": "mogelijke match",
    "reviews.kind_conflict": "conflict",
    "reviews.kind_duplicate": "al elders gekoppeld",
    "reviews.kind_other": "vraagt om een beslissing",
    "review.title": "Beoordeling {id}: {entity} {key}",
    "review.crm": "In het CRM",
    "review.candidate": "Kandidaat {remote_id}",
    "review.score": "Score {score}",
    "review.evidence": "Waarom het dezelfde kan zijn",
    "review.differs": "wijkt af van het CRM",
    "review.unreadable": "Dit gegeven kon niet uit de administratie worden gelezen: {reason}",
    "review.link": "Koppelen aan {remote_id}",
    "review.create": "Nieuw aanmaken",
    "review.dismiss": "Negeren",
    "review.decide": "Beslissing",
    "review.settled": "Dit item is al afgehandeld ({resolution}).",
    "review.no_candidates": "Geen kandidaten: maak het gegeven aan of negeer het item.",
    "review.is_conflict": "Dit item is een conflict: beslis per veld.",
    "review.to_conflict": "Naar het conflict",
    "conflicts.title": "Conflicten die op een beslissing wachten",
    "conflicts.intro": (
        "Zowel het CRM als de administratie wijzigde dezelfde velden. Kies per veld welke "
        "waarde blijft."
    ),
    "conflicts.fields": "Velden",
    "conflicts.scanned": "De wachtrij is doorzocht tot en met item {last}.",
    "conflict.title": "Conflict {id}: {entity} {key}",
    "conflict.last_synced": "Laatst gesynchroniseerd",
    "conflict.crm": "CRM",
    "conflict.accounting": "Administratie",
    "conflict.choice": "Behouden",
    "conflict.keep_crm": "de waarde uit het CRM",
    "conflict.keep_accounting": "de waarde uit de administratie",
    "conflict.submit": "Keuzes opslaan",
    "errors.title": "Foutenlog",
    "errors.intro": "Gegevens waarvan de laatste poging mislukte, met de reden in gewone taal.",
    "errors.reason": "Reden",
    "errors.attempts": "Pogingen",
    "errors.last_seen": "Laatste poging",
    "errors.retry": "Opnieuw proberen",
    "errors.not_retriable": "Verbeter het gegeven eerst in het CRM; daarna gaat het opnieuw.",
    "errors.count": "{count} mislukt(e) gegeven(s) in deze selectie.",
    "plan.title": "Livegangplan",
    "plan.intro": (
        "Wat de eerste synchronisatie zou doen, voordat er iets wordt geschreven. Download "
        "het als CSV-bestand voor de accountant."
    ),
    "plan.download": "Downloaden als CSV",
    "plan.none": "Hier is geen plan beschikbaar: de applicatie levert er geen.",
    "plan.counts": "Samenvatting",
    "plan.operation": "Actie",
    "plan.details": "Details",
    "plan.kind.create": "aanmaken",
    "plan.kind.update": "bijwerken",
    "plan.kind.link": "koppelen",
    "plan.kind.skip": "overslaan",
    "plan.kind.review": "beoordelen",
    "plan.kind.invalid": "ongeldig",
    "plan.change": "{field}: {old} → {new}",
    "plan.matched": "Gevonden via {rule} (score {score})",
    "plan.unchanged": "{count} ongewijzigd",
    "plan.conflict_crm": "{field}: {crm} uit het CRM vervangt {accounting} uit de administratie",
    "plan.conflict_accounting": (
        "{field}: {accounting} uit de administratie blijft; {crm} uit het CRM wordt niet geschreven"
    ),
    "plan.conflict_manual": "{field}: CRM {crm}, administratie {accounting}; een mens beslist",
    "plan.conflict_other": "{field}: CRM {crm}, administratie {accounting}; {resolution}",
    "plan.note_dismissed": "Genegeerd in de wachtrij: blijft met rust tot het verandert.",
    "plan.note_booked": (
        "Gewijzigd in het CRM nadat het geboekt was; finlink wijzigt geboekte facturen niet: "
        "boek een creditnota en een nieuwe factuur."
    ),
    "plan.note_waiting": "Wacht op beoordeling: {reason}",
    "retry.nothing": (
        "Er is niets om opnieuw te verzenden voor dit gegeven: het staat niet in de foutenlog "
        "en er wacht geen wijziging van."
    ),
    "retry.refused": (
        "finlink heeft niets dat het opnieuw kan verzenden: de administratie weigerde dit "
        "gegeven om de inhoud. Verbeter het in het CRM en sla het daar op; het CRM stuurt "
        "het dan opnieuw."
    ),
    "retry.busy": (
        "Er wacht nu niets van dit gegeven op verzending (misschien verstuurt een ander "
        "proces het al). Kijk over een paar minuten opnieuw in de foutenlog."
    ),
    "retry.store_down": (
        "De eigen database van finlink is nu niet bereikbaar, dus er is niets verzonden. "
        "Probeer het later opnieuw."
    ),
    "open_items.title": "Openstaande posten",
    "open_items.intro": "Wat nog betaald moet worden, per factuur, volgens de administraties.",
    "open_items.none": (
        "Hier zijn geen openstaande posten beschikbaar: de applicatie levert ze niet."
    ),
    "open_items.invoice": "Factuur",
    "open_items.relation": "Relatie",
    "open_items.amount": "Bedrag",
    "open_items.open": "Nog open",
    "open_items.due": "Vervaldatum",
    "open_items.state": "Betaalstatus",
    "payment.open": "onbetaald",
    "payment.partially_paid": "deels betaald",
    "payment.paid": "betaald",
    "payment.overdue": "te laat",
    "done.linked": "Beslissing opgeslagen: de volgende synchronisatie koppelt het gegeven.",
    "done.created": "Beslissing opgeslagen: de volgende synchronisatie maakt het gegeven aan.",
    "done.dismissed": (
        "Beslissing opgeslagen: het gegeven blijft met rust tot het in het CRM verandert."
    ),
    "done.conflict": "Keuzes opgeslagen: de volgende synchronisatie voert ze uit.",
    "done.retried": "Opnieuw verzonden: het is gelukt.",
    "done.retry_failed": "Opnieuw verzonden, maar het mislukte weer; de foutenlog zegt waarom.",
    "refused.title": "Geen toegang",
    "refused.body": "U mag deze pagina niet zien. Vraag het de beheerder van deze applicatie.",
    "refused.csrf": (
        "Dit formulier is niet geaccepteerd (het beveiligingstoken ontbrak of klopte niet). "
        "Laad de pagina opnieuw en probeer het nog eens."
    ),
    "notfound.title": "Niet gevonden",
    "notfound.body": "Dit item bestaat niet (meer).",
    "failed.title": "Dat lukte niet",
}

#: The catalogue of each language the view speaks.
CATALOGUES: Final[Mapping[Language, Mapping[str, str]]] = {"nl": _NL, "en": _EN}


def translate(language: Language, key: str, /, **values: object) -> str:
    """The text of ``key`` in ``language``, with ``{name}`` placeholders filled in.

    The values are formatted as plain text; the templates escape the result, so a value
    holding markup (a relation named ``<script>``) stays text.

    Raises:
        KeyError: For a key neither catalogue has (a bug the tests catch).
    """
    text = CATALOGUES[language][key]
    return text.format(**values) if values else text
