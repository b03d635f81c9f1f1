"""finlink.sync.explain: plain Dutch and English for every rule, error kind and vendor code."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest

import finlink._errors as errors_module
from finlink._errors import FinlinkError
from finlink.sync import manual
from finlink.sync.explain import (
    KIND_TEXTS,
    RULE_TEXTS,
    VENDOR_TEXTS,
    explain_error,
    explain_evidence,
    explain_review,
    field_label,
    negotiate_language,
)
from finlink.sync.matching import CandidateIndex, MatchPipeline
from finlink.sync.store import ErrorEntry, Review
from finlink.testing.dense_dataset import dense_matching_dataset
from finlink.testing.snelstart.errors import MESSAGES as SNELSTART_CODES
from tests.sync.emitted_rules import SOURCE, emitted_rules
from tests.sync.engine_helpers import World, crm_relation

WHEN = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _entry(**fields: object) -> ErrorEntry:
    values: dict[str, object] = {
        "administration": "exact:1",
        "entity": "relation",
        "crm_key": "crm-1",
        "kind": "ValidationError",
        "message": "something is wrong",
        "field_path": None,
        "rule": None,
        "vendor_code": None,
        "retriable": False,
        "attempts": 1,
        "first_seen": WHEN,
        "last_seen": WHEN,
    }
    values.update(fields)
    return ErrorEntry(**values)  # type: ignore[arg-type]


# -- Accept-Language -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("", "en"),
        ("nl", "nl"),
        ("nl-NL", "nl"),
        ("nl-BE,nl;q=0.9,en;q=0.8", "nl"),
        ("NL-be", "nl"),
        ("en-GB,en;q=0.9,nl;q=0.8", "en"),
        ("en;q=0.5, nl;q=0.8", "nl"),
        ("fr-BE, nl;q=0.7, en;q=0.3", "nl"),
        ("fr-BE, de;q=0.7", "en"),
        ("nl;q=0, en", "en"),
        ("nl;q=0", "en"),
        ("*", "en"),
        ("de, *;q=0.5, nl;q=0.4", "en"),
        ("nl;q=abc, en;q=0.1", "en"),
        (" nl-BE ; q=1.0 ", "nl"),
        (",,;q=1", "en"),
    ],
)
def test_the_language_follows_accept_language_weights(header: str | None, expected: str) -> None:
    assert negotiate_language(header) == expected


# -- completeness ----------------------------------------------------------------------------


def test_every_rule_emitted_anywhere_in_finlink_has_a_dutch_and_an_english_text() -> None:
    emitted = emitted_rules()
    # The scan itself must find the rules, or this test proves nothing.
    assert {"max_length", "required", "iban", "vat_number", "relation_refused"} <= set(emitted)
    missing = {rule: sorted(where)[0] for rule, where in emitted.items() if rule not in RULE_TEXTS}
    assert missing == {}, f"rules without a text (rule: where it is emitted): {missing}"


def _error_kinds() -> set[str]:
    """Every FinlinkError subclass: those of finlink._errors and any defined elsewhere in src."""
    known = {
        name
        for name, value in vars(errors_module).items()
        if isinstance(value, type) and issubclass(value, FinlinkError)
    }
    grew = True
    while grew:  # subclasses of subclasses, in any module
        grew = False
        for path in SOURCE.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ClassDef) and node.name not in known:
                    bases = {ast.unparse(b).rsplit(".", 1)[-1] for b in node.bases}
                    if bases & known:
                        known.add(node.name)
                        grew = True
    return known


def test_every_error_class_has_a_dutch_and_an_english_text() -> None:
    kinds = _error_kinds()
    assert {"ServerError", "RemoteValidationError", "StoreUnavailableError"} <= kinds
    assert sorted(kinds - set(KIND_TEXTS)) == []


def _vendor_codes_in_source() -> set[str]:
    """Codes the backends name in src (vendor_code="...", comparisons, SnelStart's pattern)."""
    codes: set[str] = set()
    pattern = re.compile(r"^[A-Z]{3}-\d{4}$")
    for path in (SOURCE / "backends").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and pattern.match(node.value)
            ):
                codes.add(node.value)
            if (
                isinstance(node, ast.keyword)
                and node.arg == "vendor_code"
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                codes.add(node.value.value)
    return codes


def test_every_vendor_code_the_backends_meet_has_a_dutch_and_an_english_text() -> None:
    source = _vendor_codes_in_source()
    assert {"REL-0008", "TooEarlyToRefreshTokens"} <= source
    # The memory backend's codes are a test double's, not a vendor's.
    vendor = {c for c in source if not c.startswith("MEM-")} | set(SNELSTART_CODES)
    assert sorted(vendor - set(VENDOR_TEXTS)) == []


def _reference_codes() -> set[str]:
    reference = SOURCE.parents[2] / "shared" / "reference" / "snelstart.md"
    if not reference.exists():
        pytest.skip("the shared reference is not next to this checkout")
    text = reference.read_text(encoding="utf-8")
    return set(re.findall(r"\b[A-Z]{3}-\d{4}\b", text))


def test_the_codes_snelstart_documents_and_the_sandbox_answers_are_covered() -> None:
    # Codes named in the reference that the sandbox cannot answer are listed there as ranges
    # (e.g. "REL-0049..0054"); those the sandbox answers must all be explained.
    documented = _reference_codes() & set(SNELSTART_CODES)
    assert documented
    assert sorted(documented - set(VENDOR_TEXTS)) == []


@pytest.mark.parametrize(
    "table", [RULE_TEXTS, KIND_TEXTS, VENDOR_TEXTS], ids=["rule", "kind", "code"]
)
def test_every_dutch_text_differs_from_its_english_one(table: object) -> None:
    assert isinstance(table, type(RULE_TEXTS))
    for key, (dutch, english) in table.items():
        assert dutch.strip(), key
        assert english.strip(), key
        assert dutch != english, key


# -- error entries ---------------------------------------------------------------------------


def test_a_name_that_is_too_long_reads_as_plain_dutch_and_english() -> None:
    entry = _entry(
        rule="max_length",
        field_path="name",
        message="relation 'crm-1' is invalid (1 problem):\n  - name: is longer than 50 "
        "characters [max_length]",
    )
    assert explain_error(entry, "nl") == (
        "De naam is te lang (maximaal 50 tekens); maak de tekst in het CRM korter."
    )
    assert explain_error(entry, "en") == (
        "The name is too long (at most 50 characters); shorten it in the CRM."
    )


def test_a_nested_field_and_more_problems_are_named() -> None:
    entry = _entry(
        rule="email_format",
        field_path="contacts[1].email",
        message="contacts[1].email: is not a valid e-mail address [email_format]; "
        "iban: is not a valid IBAN [iban]",
    )
    assert explain_error(entry, "nl-BE") == (
        "Het e-mailadres van contactpersoon 2 is geen geldig e-mailadres "
        "(naam@voorbeeld.nl). Er zijn nog 1 andere problemen met dit record."
    )
    assert explain_error(entry, "en").startswith(
        "The e-mail address of contact 2 is not a valid e-mail address"
    )


def test_every_rule_text_renders_with_and_without_a_field() -> None:
    for rule in RULE_TEXTS:
        for language in ("nl", "en"):
            for path in (None, "visiting_address.postcode", "lines[0].amount"):
                text = explain_error(_entry(rule=rule, field_path=path, message="50"), language)
                assert text
                assert "{" not in text


def test_a_vendor_refusal_reads_from_its_code() -> None:
    entry = _entry(
        kind="RemoteValidationError",
        vendor_code="REL-0008",
        message="refused by the administration [REL-0008]: Relatiecode reeds in gebruik",
        field_path="relatiecode",
    )
    assert "relatiecode is in SnelStart al in gebruik" in explain_error(entry, "nl")
    assert "relation code is already used" in explain_error(entry, "en")


def test_an_unknown_code_falls_back_to_the_kind_with_the_message() -> None:
    entry = _entry(kind="RemoteValidationError", vendor_code="XYZ-9999", message="Nee.")
    assert explain_error(entry, "nl") == "De administratie weigerde het record: Nee."
    assert explain_error(entry, "en") == "The administration refused the record: Nee."


def test_a_passing_failure_says_finlink_tries_again() -> None:
    entry = _entry(kind="ServerError", message="503 Service Unavailable", retriable=True)
    assert "probeert het later opnieuw" in explain_error(entry, "nl")
    assert "tries again later" in explain_error(entry, "en")


def test_anything_unknown_falls_back_to_the_entrys_own_message_never_to_nothing() -> None:
    odd = _entry(kind="KeyError", message="an unexpected KeyError (details in the log)")
    assert explain_error(odd, "nl") == "an unexpected KeyError (details in the log)"
    blank = _entry(kind="KeyError", message="  ")
    assert explain_error(blank, "nl") == "Er ging iets mis met dit record."
    assert explain_error(blank, "en") == "Something went wrong with this record."
    unknown_rule = _entry(rule="new_rule", message="is odd [new_rule]")
    assert (
        explain_error(unknown_rule, "en") == "The data in the CRM is not valid: is odd [new_rule]"
    )


def test_field_labels() -> None:
    assert field_label("visiting_address.postcode", "nl") == "de postcode van het vestigingsadres"
    assert field_label("lines[2].vat_amount", "en") == "the VAT amount of line 3"
    assert field_label("Mystery", "nl") == "'Mystery'"
    assert field_label(None, "en") == "the record"


# -- reviews and evidence --------------------------------------------------------------------


def test_a_conflict_review_says_which_fields_to_choose() -> None:
    world = World(single=True, conflict_policy=manual)
    relation = crm_relation(0)
    world.engine.sync_relations([relation])
    (remote,) = world.exact.stored_relations()
    world.exact.edit_relation(remote.remote_id, email="a@firma0.nl", phone="030 111")
    world.engine.sync_relations([attrs.evolve(relation, email="b@firma0.nl", phone="030 222")])
    (review,) = world.store.reviews()
    assert explain_review(review, "nl") == (
        "Zowel het CRM als de boekhouding heeft het e-mailadres en het telefoonnummer "
        "gewijzigd, elk anders. Kies per veld welke waarde blijft."
    )
    assert explain_review(review, "en").startswith(
        "Both the CRM and the accountant changed the e-mail address and the phone number"
    )


def _review(reason: str) -> Review:
    return Review(
        review_id=1,
        administration="exact:1",
        entity="relation",
        crm_key="crm-1",
        reason=reason,
        candidates=(),
        payload={},
        created_at=WHEN,
        updated_at=WHEN,
        resolution=None,
        remote_id=None,
        resolved_at=None,
    )


@pytest.mark.parametrize(
    ("reason", "dutch"),
    [
        ("possible match (fuzzy_name, 84): name 'A' ≈ 'B' (84)", "score 84 van 100"),
        (
            "matches R-7 (same KvK 123), which is already linked to CRM relation crm-2: "
            "a duplicate in the CRM?",
            "al gekoppeld aan CRM-relatie crm-2",
        ),
        ("deleted in the administration: create it again, or dismiss", "verwijderd"),
        ("the PDF may already be attached (the answer to the upload was lost): ...", "PDF"),
    ],
)
def test_each_kind_of_review_finlink_raises_is_explained(reason: str, dutch: str) -> None:
    item = _review(reason)
    assert dutch in explain_review(item, "nl")
    assert explain_review(item, "en") != explain_review(item, "nl")
    assert explain_review(_review("a host's own reason"), "nl") == "a host's own reason"


def test_the_evidence_matching_writes_is_all_put_in_plain_dutch() -> None:
    data = dense_matching_dataset(150, 150, seed=3)
    index = CandidateIndex.from_records(data.remote)
    pipeline = MatchPipeline()
    phrases: set[str] = set()
    for relation in data.crm:
        decision = pipeline.match(relation, index)
        phrases.update(decision.evidence)
        for alternative in decision.alternatives:
            phrases.update(alternative.evidence)
    assert len(phrases) > 50
    untranslated = sorted(
        p for p in phrases if explain_evidence({"evidence": [p]}, "nl") == [p.strip()]
    )
    assert untranslated == []


def test_a_review_candidate_reads_with_its_score_first() -> None:
    candidate = {
        "remote_id": "R-1",
        "score": 87,
        "evidence": ["same KvK 12345678", "name 'Acme B.V.' ≈ 'ACME' (78)", "but different city"],
    }
    assert explain_evidence(candidate, "nl") == [
        "score 87 van 100",
        "zelfde KvK-nummer 12345678",
        "naam 'Acme B.V.' lijkt op 'ACME' (78 van 100)",
        "maar andere plaats",
    ]
    assert explain_evidence(candidate, "en")[0] == "score 87 of 100"
    described = {
        "rule": "kvk",
        "score": 97,
        "evidence": "2 candidates are about equally strong (97 and 95); not guessing; same KvK 1",
    }
    assert explain_evidence(described, "nl") == [
        "score 97 van 100",
        "regel: zelfde KvK-nummer",
        "2 kandidaten zijn ongeveer even sterk (97 en 95); finlink gokt niet",
        "zelfde KvK-nummer 1",
    ]
    assert explain_evidence({"evidence": ["a custom matcher's phrase"]}, "nl") == [
        "a custom matcher's phrase"
    ]


def test_the_rule_scan_finds_a_new_rule_however_it_is_passed(tmp_path: Path) -> None:
    # A new rule in any of the four forms must turn up (and so fail the completeness test).
    (tmp_path / "checks.py").write_text(
        "from finlink._errors import Problem\n"
        "class Collector:\n"
        "    def add(self, path, rule, message):\n"
        "        self.items.append(Problem(path=path, rule=rule, message=message))\n"
        "    def run(self, odd):\n"
        "        self.add('name', 'brand_new_positional', 'x')\n"
        "        self.add('name', rule='brand_new_keyword', message='x')\n"
        "        Problem(path='', rule='brand_new_direct' if odd else 'brand_new_else',\n"
        "                message='')\n"
        "def check_thing(value: str) -> RuleBreach | None:\n"
        "    return ('brand_new_breach', 'is odd')\n",
        encoding="utf-8",
    )
    found = set(emitted_rules(tmp_path))
    assert found == {
        "brand_new_positional",
        "brand_new_keyword",
        "brand_new_direct",
        "brand_new_else",
        "brand_new_breach",
    }
