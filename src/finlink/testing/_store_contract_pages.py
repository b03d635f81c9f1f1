"""Contract tests for paging, per-field choices and retrying one record (see store_contract)."""

from __future__ import annotations

from datetime import timedelta

from finlink._errors import SyncError
from finlink.clock import SimulatedClock
from finlink.sync.store import ErrorEntry, Review, ReviewResolution, StateStore
from finlink.testing._pytest import pytest

ADM = "acme-bv"
OTHER = "acme-foundation"
REL = "relation"
PRJ = "project"

__all__ = ["PageBehaviours"]


def _all_review_pages(
    store: StateStore, size: int, administration: str | None = None, *, open_only: bool = True
) -> list[list[Review]]:
    pages: list[list[Review]] = []
    after: int | None = None
    while True:
        page = store.reviews(administration, open_only=open_only, after=after, limit=size)
        if not page:
            return pages
        assert len(page) <= size
        pages.append(page)
        after = page[-1].review_id


def _all_error_pages(
    store: StateStore, size: int, administration: str | None = None, entity: str | None = None
) -> list[list[ErrorEntry]]:
    pages: list[list[ErrorEntry]] = []
    after: tuple[str, str, str] | None = None
    while True:
        page = store.errors(administration, entity, after=after, limit=size)
        if not page:
            return pages
        assert len(page) <= size
        pages.append(page)
        last = page[-1]
        after = (last.administration, last.entity, last.crm_key)


class PageBehaviours:
    """Pages of the review queue and the error log, per-field conflict choices, claim_record.

    Needs the ``store`` and ``clock`` fixtures of :class:`.store_contract.StateStoreContract`.
    """

    # -- review queue pages ----------------------------------------------------------------

    def test_reviews_come_a_page_at_a_time_in_review_id_order(
        self, store: StateStore, clock: SimulatedClock
    ) -> None:
        """Reviews come a page at a time in review id order."""
        made = []
        for number in range(7):
            adm = ADM if number % 3 else OTHER
            made.append(
                store.add_review(adm, REL, f"C-{number}", reason="r", candidates=[], payload={})
            )
            clock.advance(1)
        store.resolve_review(made[2].review_id, ReviewResolution.DISMISS)
        everything = store.reviews()
        assert [r.review_id for r in everything] == sorted(
            r.review_id for r in made if r.review_id != made[2].review_id
        )
        pages = _all_review_pages(store, 2)
        assert [len(p) for p in pages] == [2, 2, 2]
        assert [r for page in pages for r in page] == everything
        # Per administration, and with the settled item.
        mine = [r for page in _all_review_pages(store, 2, ADM) for r in page]
        assert mine == [r for r in everything if r.administration == ADM]
        assert mine == store.reviews(ADM)
        history = [r for page in _all_review_pages(store, 3, open_only=False) for r in page]
        assert [r.review_id for r in history] == [r.review_id for r in made]
        assert history[2].resolution is ReviewResolution.DISMISS
        # A page after the last item is empty; limit alone gives the first page.
        assert store.reviews(after=made[-1].review_id) == []
        assert store.reviews(limit=1) == everything[:1]
        assert store.reviews(after=everything[0].review_id) == everything[1:]

    def test_a_page_of_reviews_skips_items_settled_since_the_last_page(
        self, store: StateStore
    ) -> None:
        """A page of reviews skips items settled since the last page."""
        made = [
            store.add_review(ADM, REL, f"C-{n}", reason="r", candidates=[], payload={})
            for n in range(4)
        ]
        first = store.reviews(ADM, limit=2)
        store.resolve_review(made[2].review_id, ReviewResolution.CREATE)
        second = store.reviews(ADM, after=first[-1].review_id, limit=2)
        assert [r.review_id for r in second] == [made[3].review_id]

    def test_reviews_refuse_a_bad_page(self, store: StateStore) -> None:
        """Reviews refuse a bad page."""
        with pytest.raises(ValueError, match="limit"):
            store.reviews(limit=0)
        with pytest.raises(ValueError, match="after"):
            store.reviews(after="12")  # type: ignore[arg-type]

    # -- error log pages -------------------------------------------------------------------

    def test_the_error_log_comes_a_page_at_a_time_in_key_order(self, store: StateStore) -> None:
        """The error log comes a page at a time in key order."""
        keys = [
            (ADM, REL, "C-10"),
            (ADM, REL, "C-2"),
            (ADM, REL, "c-1"),
            (ADM, REL, "Ç-3"),
            (ADM, PRJ, "P-1"),
            (OTHER, REL, "C-1"),
            (OTHER, PRJ, "P-9"),
        ]
        for adm, entity, key in keys:
            store.record_failure(
                adm, entity, key, kind="ServerError", message="503", retriable=True
            )
        everything = store.errors()
        # Bytewise: upper case before lower case before non-ASCII, "C-10" before "C-2".
        assert [(e.administration, e.entity, e.crm_key) for e in everything] == sorted(
            keys, key=lambda k: tuple(part.encode() for part in k)
        )
        pages = _all_error_pages(store, 3)
        assert [len(p) for p in pages] == [3, 3, 1]
        assert [e for page in pages for e in page] == everything
        filters: list[tuple[str | None, str | None]] = [
            (ADM, None),
            (None, REL),
            (ADM, REL),
            (OTHER, PRJ),
        ]
        for only_adm, only_entity in filters:
            walked = [e for page in _all_error_pages(store, 2, only_adm, only_entity) for e in page]
            assert walked == store.errors(only_adm, only_entity)
            assert store.count_errors(only_adm, only_entity) == len(walked)
        assert store.count_errors() == len(keys)
        assert store.count_errors(ADM, "booking") == 0
        # A keyset from another administration still pages by the whole key.
        assert store.errors(OTHER, after=(ADM, REL, "zzz")) == store.errors(OTHER)
        assert store.errors(after=(OTHER, REL, "C-1")) == []

    def test_any_key_starts_a_page_right_after_it_whatever_the_filter(
        self, store: StateStore
    ) -> None:
        """Any key starts a page right after it whatever the filter."""
        keys = [
            (adm, entity, key)
            for adm in (ADM, OTHER)
            for entity in (PRJ, REL)
            for key in ("C-1", "C-2")
        ]
        for adm, entity, key in keys:
            store.record_failure(
                adm, entity, key, kind="ServerError", message="503", retriable=True
            )
        # Keys of entries and keys between, before and after them (a page may start at a key
        # whose entry was cleared meanwhile, or from another filter's log).
        starts = [*keys, (ADM, REL, "C-15"), ("a", "z", "z"), (ADM, "booking", ""), ("zz", "", "")]
        filters: list[tuple[str | None, str | None]] = [
            (None, None),
            (ADM, None),
            (OTHER, None),
            (None, REL),
            (None, PRJ),
            (ADM, REL),
            (OTHER, PRJ),
        ]
        for only_adm, only_entity in filters:
            log = store.errors(only_adm, only_entity)
            for start in starts:
                expected = [e for e in log if (e.administration, e.entity, e.crm_key) > start]
                got = store.errors(only_adm, only_entity, after=start)
                assert got == expected, (only_adm, only_entity, start)
                assert store.errors(only_adm, only_entity, after=start, limit=1) == expected[:1]

    def test_the_error_log_filters_by_kind(self, store: StateStore) -> None:
        """``kinds`` keeps the entries of those kinds, in key order, paged like the rest."""
        for key, kind in [
            ("C-1", "ServerError"),
            ("C-2", "AuthenticationError"),
            ("C-3", "RemoteValidationError"),
            ("C-4", "PermissionDeniedError"),
            ("C-5", "AuthenticationError"),
        ]:
            store.record_failure(ADM, REL, key, kind=kind, message=kind, retriable=False)
        store.record_failure(
            OTHER, REL, "C-9", kind="AuthenticationError", message="x", retriable=False
        )
        refused = ("AuthenticationError", "PermissionDeniedError")
        got = store.errors(ADM, kinds=refused)
        assert [e.crm_key for e in got] == ["C-2", "C-4", "C-5"]
        assert [e.crm_key for e in store.errors(ADM, kinds=refused, limit=1)] == ["C-2"]
        after = store.errors(ADM, kinds=refused, after=(ADM, REL, "C-2"), limit=1)
        assert [e.crm_key for e in after] == ["C-4"]
        everywhere = store.errors(None, REL, kinds=["AuthenticationError"])
        assert [(e.administration, e.crm_key) for e in everywhere] == sorted(
            [(ADM, "C-2"), (ADM, "C-5"), (OTHER, "C-9")],
            key=lambda k: tuple(part.encode() for part in k),
        )
        assert store.errors(ADM, kinds=()) == []
        assert store.errors(ADM, kinds=["NoSuchKind"]) == []
        with pytest.raises(ValueError, match="kinds"):
            store.errors(ADM, kinds="AuthenticationError")

    def test_the_error_log_refuses_a_bad_page(self, store: StateStore) -> None:
        """The error log refuses a bad page."""
        with pytest.raises(ValueError, match="limit"):
            store.errors(limit=-1)
        with pytest.raises(ValueError, match="after"):
            store.errors(after=(ADM, REL))  # type: ignore[arg-type]

    # -- per-field conflict choices --------------------------------------------------------

    def test_a_conflict_decided_field_by_field_keeps_its_choices(
        self, store: StateStore, clock: SimulatedClock
    ) -> None:
        """A conflict decided field by field keeps its choices."""
        item = store.add_review(
            ADM,
            REL,
            "C-1",
            reason="conflict: both the CRM and the administration changed name, iban",
            candidates=[{"remote_id": "R-1", "conflicts": []}],
            payload={"name": "Acme"},
        )
        assert item.choices is None
        settled = store.resolve_review(
            item.review_id,
            ReviewResolution.LINK,
            remote_id="R-1",
            choices={"name": "crm", "iban": "accounting"},
        )
        assert settled.choices == {"name": "crm", "iban": "accounting"}
        assert settled.resolution is ReviewResolution.LINK
        assert settled.resolved_at == clock.now()
        assert store.get_review(item.review_id) == settled
        assert store.reviews(open_only=False) == [settled]

    def test_bad_choices_are_refused_and_the_item_stays_open(self, store: StateStore) -> None:
        """Bad choices are refused and the item stays open."""
        item = store.add_review(ADM, REL, "C-1", reason="conflict: x", candidates=[], payload={})
        with pytest.raises(ValueError, match="'iban'.*crm, accounting"):
            store.resolve_review(item.review_id, "link", remote_id="R-1", choices={"iban": "both"})
        with pytest.raises(ValueError, match="at least one field"):
            store.resolve_review(item.review_id, "link", remote_id="R-1", choices={})
        with pytest.raises(SyncError, match="only go with 'link'"):
            store.resolve_review(item.review_id, "dismiss", choices={"iban": "crm"})
        reread = store.get_review(item.review_id)
        assert reread is not None
        assert reread.is_open
        assert reread.choices is None

    # -- retrying one record ---------------------------------------------------------------

    def test_claim_record_takes_a_backed_off_entry_now(
        self, store: StateStore, clock: SimulatedClock
    ) -> None:
        """Claim record takes a backed-off entry now."""
        store.enqueue(REL, "C-1", {"name": "Acme"})
        other = store.enqueue(REL, "C-2", {"name": "Beta"})
        [entry] = store.claim(1, "w1", 60)
        assert store.release(
            entry.entry_id, "w1", error="503", retry_at=clock.now() + timedelta(hours=1)
        )
        assert [e.entry_id for e in store.claim(5, "w1", 60)] == [other.entry_id]
        store.ack(other.entry_id, "w1")
        assert store.claim(5, "w1", 60) == []  # C-1 is still backing off
        taken = store.claim_record(REL, "C-1", "w2", 30)
        assert taken is not None
        assert taken.entry_id == entry.entry_id
        assert taken.claimed_by == "w2"
        assert taken.lease_until == clock.now() + timedelta(seconds=30)
        assert taken.attempts == 1
        assert taken.last_error == "503"
        # Held now: neither claim() nor another worker's claim_record takes it.
        assert store.claim(5, "w3", 60) == []
        with pytest.raises(SyncError, match="being sent right now"):
            store.claim_record(REL, "C-1", "w3", 30)
        assert store.ack(entry.entry_id, "w2") is True
        assert store.get_outbox_entry(entry.entry_id) is None

    def test_claim_record_of_a_record_without_an_entry_is_none(
        self, store: StateStore, clock: SimulatedClock
    ) -> None:
        """Claim record of a record without an entry is none."""
        assert store.claim_record(REL, "C-1", "w1", 30) is None
        store.enqueue(PRJ, "C-1", {"name": "a project"})
        assert store.claim_record(REL, "C-1", "w1", 30) is None
        with pytest.raises(ValueError, match="lease"):
            store.claim_record(PRJ, "C-1", "w1", 0)

    def test_claim_record_takes_over_an_entry_whose_lease_ran_out(
        self, store: StateStore, clock: SimulatedClock
    ) -> None:
        """Claim record takes over an entry whose lease ran out."""
        entry = store.enqueue(REL, "C-1", {"name": "Acme"})
        store.claim(1, "dead-worker", 10)
        clock.advance(11)
        taken = store.claim_record(REL, "C-1", "w2", 30)
        assert taken is not None
        assert taken.entry_id == entry.entry_id
        assert taken.claimed_by == "w2"
        assert store.ack(entry.entry_id, "dead-worker") is False
