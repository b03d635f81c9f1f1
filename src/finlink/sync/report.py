"""What the engine plans and what it did, in forms a program and a bookkeeper can read.

A :class:`Plan` is every intended operation before anything is written (a dry run); a
:class:`SyncReport` is every operation with its outcome after a run. Both render as text
(``to_text()``) and as JSON-ready dicts (``to_dict()``).
"""

from __future__ import annotations

import enum
import json
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableSequence
from typing import Any, TextIO, overload

import attrs

from finlink._errors import Problem
from finlink.model.booking import Booking, Project
from finlink.model.relation import Relation
from finlink.sync.plan_export import write_plan_csv

__all__ = [
    "ConflictDecision",
    "InboundChange",
    "Operation",
    "OperationKind",
    "Outcome",
    "OutcomeList",
    "OutcomeStatus",
    "Plan",
    "SyncReport",
]


class OperationKind(enum.StrEnum):
    """What the engine intends to do with one record in one administration."""

    CREATE = "create"
    """Nothing matches: create it."""
    UPDATE = "update"
    """Linked and changed: write the changed fields."""
    LINK = "link"
    """Not linked yet, but an existing remote record matches: link to it (then update it)."""
    SKIP = "skip"
    """Nothing to send: unchanged since the last sync, or nothing finlink may change."""
    REVIEW = "review"
    """A person must decide: an ambiguous match, or a conflict the policy leaves to people."""
    INVALID = "invalid"
    """The record breaks validation rules; it is not sent."""


class OutcomeStatus(enum.StrEnum):
    """What happened to one planned operation."""

    DONE = "done"
    FAILED = "failed"
    REVIEW = "review"
    SKIPPED = "skipped"
    INVALID = "invalid"


class _ReadOnlyMapping(Mapping[str, Any]):
    """A read-only mapping one object can share among many operations.

    A run keeps an :class:`Operation` per record; most carry no changes and the same
    "no candidate found" match. Sharing one read-only object instead of a fresh dict each
    saves a few hundred bytes a record (tens of MB in an initial sync of 100,000
    relations), and being read-only, one operation's copy cannot change another's. It
    compares equal to a dict with the same items, and pickles and copies like one.
    """

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, Any] | None = None) -> None:
        """Wrap a copy of ``items``."""
        self._items: dict[str, Any] = dict(items or {})

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return repr(self._items)

    def __reduce__(self) -> tuple[type[_ReadOnlyMapping], tuple[dict[str, Any]]]:
        return (_ReadOnlyMapping, (self._items,))


#: The changes of an operation that has none, shared by all of them (see _ReadOnlyMapping).
_NO_CHANGES = _ReadOnlyMapping()


@attrs.frozen(kw_only=True)
class ConflictDecision:
    """How one field conflict was decided.

    Attributes:
        field: The field.
        crm_value: The CRM's value.
        accounting_value: The administration's value.
        resolution: ``crm``, ``accounting`` or ``manual``.
    """

    field: str
    crm_value: Any
    accounting_value: Any
    resolution: str


@attrs.frozen(kw_only=True)
class InboundChange:
    """A change made on the accounting side that the CRM may want to take over.

    finlink never writes into the CRM; the host decides what to do with these.

    Attributes:
        administration: Where the change was made.
        entity: The entity name.
        crm_key: The CRM key of the record.
        remote_id: The remote key.
        fields: Field name → the administration's new value (JSON form).
        reason: ``changed`` (only the accountant changed it) or ``conflict`` (both changed and
            the policy kept the accountant's value).
    """

    administration: str
    entity: str
    crm_key: str
    remote_id: str
    fields: Mapping[str, Any]
    reason: str = "changed"


@attrs.frozen(kw_only=True)
class Operation:
    """One planned operation on one record in one administration.

    Attributes:
        administration: The administration.
        entity: ``relation``, ``contact``, ``project`` or ``booking``.
        crm_key: The CRM key.
        kind: What will be done.
        remote_id: The remote record it concerns, where known.
        changes: Field → ``[old, new]`` for updates (old is the administration's value).
        match: For links and reviews: the match decision's rule, score and evidence.
        conflicts: How each field conflict is decided.
        problems: Validation problems (for ``invalid``).
        notes: Plain-words remarks (e.g. contacts a backend cannot hold).
    """

    administration: str
    entity: str
    crm_key: str
    kind: OperationKind
    remote_id: str | None = None
    # Most operations carry no changes: one shared read-only empty mapping, not a dict each.
    changes: Mapping[str, tuple[Any, Any]] = _NO_CHANGES
    match: Mapping[str, Any] | None = None
    conflicts: tuple[ConflictDecision, ...] = ()
    problems: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line in plain words."""
        head = f"[{self.administration}] {self.entity} {self.crm_key}: {self.kind.value}"
        parts: list[str] = []
        if self.changes:
            parts.append("changes " + ", ".join(sorted(self.changes)))
        if self.match:
            parts.append(f"matched by {self.match.get('rule')} ({self.match.get('evidence')})")
        parts.extend(f"conflict on {c.field}: {c.resolution} wins" for c in self.conflicts)
        parts.extend(str(p) for p in self.problems)
        parts.extend(self.notes)
        return head + (" — " + "; ".join(parts) if parts else "")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "administration": self.administration,
            "entity": self.entity,
            "crm_key": self.crm_key,
            "kind": self.kind.value,
            "remote_id": self.remote_id,
            "changes": {k: list(v) for k, v in self.changes.items()},
            "match": _plain(self.match) if self.match else None,
            "conflicts": [attrs.asdict(c) for c in self.conflicts],
            "problems": [attrs.asdict(p) for p in self.problems],
            "notes": list(self.notes),
        }


@attrs.frozen(kw_only=True)
class Plan:
    """Every intended operation of a dry run; nothing has been written.

    Attributes:
        operations: Every operation, except skips of unchanged records.
        unchanged: (administration, entity) → how many records are unchanged and skipped;
            they are counted, not listed, so a large batch plans in little memory.
        unchanged_keys: (administration, entity) → their CRM keys, when asked for
            (``SyncEngine.plan(..., unchanged_keys=True)``); empty otherwise.
    """

    operations: tuple[Operation, ...]
    unchanged: Mapping[tuple[str, str], int] = attrs.field(factory=dict)
    unchanged_keys: Mapping[tuple[str, str], tuple[str, ...]] = attrs.field(factory=dict)

    def counts(self, entity: str | None = None) -> dict[str, dict[str, int]]:
        """Per administration, how many operations of each kind (of one entity, if given).

        Unchanged records count as ``skip``, listed in :attr:`operations` or not.
        """
        result: dict[str, Counter[str]] = {}
        for op in self.operations:
            if entity is None or op.entity == entity:
                result.setdefault(op.administration, Counter())[op.kind.value] += 1
        for (adm, kind_entity), number in self.unchanged.items():
            if number and (entity is None or kind_entity == entity):
                result.setdefault(adm, Counter())[OperationKind.SKIP.value] += number
        return {adm: dict(counter) for adm, counter in sorted(result.items())}

    def to_text(self) -> str:
        """Plain text for a bookkeeper: counts per administration and entity, then details."""
        lines: list[str] = []
        entities = sorted({op.entity for op in self.operations} | {e for _, e in self.unchanged})
        administrations = {op.administration for op in self.operations}
        for adm in sorted(administrations | {a for a, _ in self.unchanged}):
            lines.append(f"{adm}:")
            for entity in entities:
                counts = self.counts(entity).get(adm)
                if counts:
                    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
                    lines.append(f"  {entity}: {summary}")
        lines.extend(
            "  " + op.describe() for op in self.operations if op.kind is not OperationKind.SKIP
        )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"counts": self.counts(), "operations": [op.to_dict() for op in self.operations]}

    def to_json(self) -> str:
        """JSON text."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, default=str)

    def to_csv(self, file: TextIO, *, records: Iterable[Relation | Project | Booking] = ()) -> int:
        """Write the plan as CSV for the accountant; return the rows written (no header).

        One row per operation, per changed field of an update, per field of a create (given
        the CRM ``records`` the plan was made of) and per conflict; cells are Excel-safe. See
        :mod:`finlink.sync.plan_export`.
        """
        return write_plan_csv(self, file, records=records)


@attrs.frozen(kw_only=True)
class Outcome:
    """What happened to one operation.

    Attributes:
        operation: The operation as planned.
        status: Done, failed, waiting for review, skipped or invalid.
        remote_id: The remote record it ended on, if any.
        error: For failures, the reason in plain words (with the vendor's code).
        retriable: For failures, whether a retry may succeed without a change of data.
        calls: API calls it cost, where the engine counted them.
    """

    operation: Operation
    status: OutcomeStatus
    remote_id: str | None = None
    error: str | None = None
    retriable: bool = False

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            **self.operation.to_dict(),
            "status": self.status.value,
            "remote_id": self.remote_id or self.operation.remote_id,
            "error": self.error,
            "retriable": self.retriable,
        }


# The shape of a plain outcome (see OutcomeList): administration, entity, kind, status, the
# shared match description or None, and whether the operation carries the outcome's remote id.
_Shape = tuple[str, str, OperationKind, OutcomeStatus, Mapping[str, Any] | None, bool]
# A row that is not plain keeps its Outcome whole.
_WHOLE = -1
# How many of the last outcomes appended an OutcomeList keeps as given.
_RECENT = 32


class OutcomeList(MutableSequence[Outcome]):
    """The outcomes of a run: a list of :class:`Outcome`, kept compactly.

    An initial sync makes an outcome for every relation and every contact. Nearly all are
    plain (done, skipped) and differ only in their CRM key and remote id, so those are kept
    as two references and a small number instead of an :class:`Outcome` and an
    :class:`Operation` each (about 200 bytes an outcome). Every read returns an
    :class:`Outcome` equal to the one added; any other outcome is kept as it was given. It
    behaves as a ``list`` does: indexing, slices, ``len``, iteration, ``append``, ``extend``,
    ``insert``, ``del``, and equality with a list of the same outcomes.
    """

    __slots__ = ("_first", "_recent", "_row", "_second", "_shape_of", "_shapes")

    def __init__(self, outcomes: Iterable[Outcome] = ()) -> None:
        """Hold ``outcomes``, in order."""
        self._shapes: list[_Shape] = []
        self._shape_of: dict[tuple[Any, ...], int] = {}
        # Per outcome: its shape's index (or _WHOLE), then the CRM key and the remote id of a
        # plain one, or the Outcome itself and None.
        self._row = array("i")
        self._first: list[Any] = []
        self._second: list[str | None] = []
        # The last few outcomes appended, by position, as given: the engine reads a record's
        # outcomes right after adding them, and gets them without building them again.
        self._recent: dict[int, Outcome] = {}
        self.extend(outcomes)

    def _encode(self, outcome: Outcome) -> tuple[int, Any, str | None]:
        op = outcome.operation
        match = op.match
        if (
            type(outcome) is Outcome
            and type(op) is Operation
            and op.changes is _NO_CHANGES
            and not op.conflicts
            and not op.problems
            and not op.notes
            and outcome.error is None
            and outcome.retriable is False
            and (match is None or type(match) is _ReadOnlyMapping)
            and (op.remote_id is None or op.remote_id == outcome.remote_id)
            and type(op.crm_key) is str
        ):
            carries = op.remote_id is not None
            # The match by identity: one shared read-only object serves many outcomes.
            key = (op.administration, op.entity, op.kind, outcome.status, id(match), carries)
            shape = self._shape_of.get(key)
            if shape is None:
                shape = self._shape_of[key] = len(self._shapes)
                self._shapes.append(
                    (op.administration, op.entity, op.kind, outcome.status, match, carries)
                )
            return shape, op.crm_key, outcome.remote_id
        return _WHOLE, outcome, None

    def _decode(self, position: int) -> Outcome:
        recent = self._recent.get(position)
        if recent is not None:
            return recent
        shape = self._row[position]
        if shape == _WHOLE:
            whole: Outcome = self._first[position]
            return whole
        administration, entity, kind, status, match, carries = self._shapes[shape]
        remote_id = self._second[position]
        return Outcome(
            operation=Operation(
                administration=administration,
                entity=entity,
                crm_key=self._first[position],
                kind=kind,
                remote_id=remote_id if carries else None,
                match=match,
            ),
            status=status,
            remote_id=remote_id,
        )

    def __len__(self) -> int:
        return len(self._row)

    @overload
    def __getitem__(self, index: int) -> Outcome: ...

    @overload
    def __getitem__(self, index: slice) -> list[Outcome]: ...

    def __getitem__(self, index: int | slice) -> Outcome | list[Outcome]:
        """One outcome, or a slice of them as a plain list."""
        if isinstance(index, slice):
            return [self._decode(i) for i in range(*index.indices(len(self._row)))]
        return self._decode(range(len(self._row))[index])

    def __iter__(self) -> Iterator[Outcome]:
        decode = self._decode
        for position in range(len(self._row)):
            yield decode(position)

    @overload
    def __setitem__(self, index: int, value: Outcome) -> None: ...

    @overload
    def __setitem__(self, index: slice, value: Iterable[Outcome]) -> None: ...

    def __setitem__(self, index: int | slice, value: Outcome | Iterable[Outcome]) -> None:
        """Replace one outcome, or a slice of them."""
        if isinstance(index, slice):
            outcomes = list(self)
            outcomes[index] = value  # type: ignore[assignment]  # list checks the value
            self._rebuild(outcomes)
            return
        if not isinstance(value, Outcome):
            raise TypeError(f"an OutcomeList holds Outcome objects, not {type(value).__name__}")
        position = range(len(self._row))[index]
        self._row[position], self._first[position], self._second[position] = self._encode(value)
        self._recent.pop(position, None)

    def __delitem__(self, index: int | slice) -> None:
        """Remove one outcome, or a slice of them."""
        self._recent.clear()  # positions move
        del self._row[index]
        del self._first[index]
        del self._second[index]

    def insert(self, index: int, value: Outcome) -> None:
        """Insert an outcome before ``index``."""
        self._recent.clear()  # positions move
        shape, first, second = self._encode(value)
        self._row.insert(index, shape)
        self._first.insert(index, first)
        self._second.insert(index, second)

    def append(self, value: Outcome) -> None:
        """Add an outcome at the end."""
        shape, first, second = self._encode(value)
        recent = self._recent
        recent[len(self._row)] = value
        if len(recent) > _RECENT:
            del recent[next(iter(recent))]
        self._row.append(shape)
        self._first.append(first)
        self._second.append(second)

    def extend(self, values: Iterable[Outcome]) -> None:
        """Add outcomes at the end."""
        for value in list(values) if values is self else values:
            self.append(value)

    def clear(self) -> None:
        """Remove every outcome."""
        del self[:]

    def _rebuild(self, outcomes: list[Outcome]) -> None:
        self.clear()
        self.extend(outcomes)

    def copy(self) -> list[Outcome]:
        """The outcomes as a plain list."""
        return list(self)

    def sort(self, *, key: Any = None, reverse: bool = False) -> None:
        """Sort the outcomes in place, as ``list.sort`` does."""
        outcomes = list(self)
        outcomes.sort(key=key, reverse=reverse)
        self._rebuild(outcomes)

    def _sample(self, shape: int) -> Outcome:
        """An outcome of ``shape``, without key or remote id: what outcomes of it share."""
        administration, entity, kind, status, match, _ = self._shapes[shape]
        operation = Operation(
            administration=administration, entity=entity, crm_key="", kind=kind, match=match
        )
        return Outcome(operation=operation, status=status)

    def tally(self) -> Iterator[tuple[Outcome, int]]:
        """Each group of outcomes alike in all but their CRM key and remote id, counted.

        Yields a representative outcome (its key and remote id blank) and how many there
        are; an outcome kept whole comes once, as it is. For counting and filtering by
        administration, entity, kind or status without building every outcome.
        """
        rows = self._row
        counted = Counter(rows)  # its keys in the order they first appear
        if _WHOLE not in counted:
            for shape, number in counted.items():
                yield self._sample(shape), number
            return
        # In the order each group first appears, as the outcomes themselves would count.
        del counted[_WHOLE]
        groups = [(rows.index(shape), shape, number) for shape, number in counted.items()]
        groups.extend((position, _WHOLE, 1) for position, row in enumerate(rows) if row == _WHOLE)
        groups.sort()
        for position, shape, number in groups:
            yield (self._first[position] if shape == _WHOLE else self._sample(shape)), number

    def where(self, test: Callable[[Outcome], bool]) -> list[Outcome]:
        """The outcomes ``test`` accepts, in order, building only those.

        ``test`` may read an outcome's administration, entity, kind, status and match, not
        its CRM key or remote id: it is asked once per group of alike outcomes (see
        :meth:`tally`).
        """
        wanted = {shape for shape in range(len(self._shapes)) if test(self._sample(shape))}
        found: list[Outcome] = []
        for position, row in enumerate(self._row):
            if row == _WHOLE:
                whole: Outcome = self._first[position]
                if test(whole):
                    found.append(whole)
            elif row in wanted:
                found.append(self._decode(position))
        return found

    def __add__(self, other: Iterable[Outcome]) -> list[Outcome]:
        return [*self, *other]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, OutcomeList | list):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list

    def __repr__(self) -> str:
        return repr(list(self))

    def __reduce__(self) -> tuple[type[OutcomeList], tuple[list[Outcome]]]:
        return (OutcomeList, (list(self),))


@attrs.define
class SyncReport:
    """Every operation of a run with its outcome, and what came in from the accounting side.

    Records skipped as unchanged (the fast path: same fingerprint, no change in the
    administration) make no :class:`Outcome`: they are counted in :attr:`unchanged`, and
    their keys kept in :attr:`unchanged_keys` only when asked for (``sync_relations(...,
    unchanged_keys=True)``). So a run over a million unchanged records stays small.
    :meth:`counts` and :meth:`to_text` include them as ``unchanged``.

    Attributes:
        outcomes: Every operation with its outcome, except unchanged records: an
            :class:`OutcomeList`, which reads and changes like a list of :class:`Outcome`
            but keeps plain outcomes in a few bytes each.
        inbound: Changes made in an administration, for the CRM.
        unchanged: (administration, entity) → how many records were unchanged.
        unchanged_keys: (administration, entity) → their CRM keys, when asked for.
    """

    outcomes: OutcomeList = attrs.field(factory=OutcomeList, converter=OutcomeList)
    inbound: list[InboundChange] = attrs.field(factory=list)
    unchanged: dict[tuple[str, str], int] = attrs.field(factory=dict)
    unchanged_keys: dict[tuple[str, str], list[str]] = attrs.field(factory=dict)

    def extend(self, other: SyncReport) -> None:
        """Add another report's outcomes, unchanged counts and inbound changes to this one."""
        self.outcomes.extend(other.outcomes)
        self.inbound.extend(other.inbound)
        for key, number in other.unchanged.items():
            self.unchanged[key] = self.unchanged.get(key, 0) + number
        for key, keys in other.unchanged_keys.items():
            self.unchanged_keys.setdefault(key, []).extend(keys)

    @property
    def ok(self) -> bool:
        """True when nothing failed, was invalid or waits for review."""
        return self.ok_in()

    def ok_in(self, administration: str | None = None) -> bool:
        """True when nothing failed, was invalid or waits for review (in ``administration``)."""
        # By group of alike outcomes (OutcomeList.tally): a long run's report is not built
        # outcome by outcome to be read.
        return all(
            o.status in (OutcomeStatus.DONE, OutcomeStatus.SKIPPED)
            for o, _ in self.outcomes.tally()
            if administration is None or o.operation.administration == administration
        )

    def failed(self) -> list[Outcome]:
        """Outcomes that failed or were invalid."""
        return self.outcomes.where(
            lambda o: o.status in (OutcomeStatus.FAILED, OutcomeStatus.INVALID)
        )

    def of(self, *, administration: str | None = None, entity: str | None = None) -> list[Outcome]:
        """The outcomes of one administration and/or entity."""
        return self.outcomes.where(
            lambda o: (
                (administration is None or o.operation.administration == administration)
                and (entity is None or o.operation.entity == entity)
            )
        )

    def counts(self, entity: str | None = None) -> dict[str, dict[str, int]]:
        """Per administration: how many were created, updated, linked, unchanged, failed...

        Args:
            entity: Count only this entity (``relation``, ``contact``...); None counts all.
        """
        result: dict[str, Counter[str]] = {}
        for outcome, number in self.outcomes.tally():
            if entity is None or outcome.operation.entity == entity:
                adm = outcome.operation.administration
                result.setdefault(adm, Counter())[_label(outcome)] += number
        for (adm, kind_entity), number in self.unchanged.items():
            if number and (entity is None or kind_entity == entity):
                result.setdefault(adm, Counter())["unchanged"] += number
        return {adm: dict(counter) for adm, counter in sorted(result.items())}

    def to_text(self) -> str:
        """A summary a bookkeeper understands, then every failure with its reason."""
        lines: list[str] = []
        groups = [o.operation for o, _ in self.outcomes.tally()]
        entities = sorted({op.entity for op in groups} | {e for _, e in self.unchanged})
        administrations = {op.administration for op in groups}
        for adm in sorted(administrations | {a for a, _ in self.unchanged}):
            lines.append(f"{adm}:")
            for entity in entities:
                counts = self.counts(entity).get(adm)
                if counts:
                    summary = ", ".join(f"{n} {label}" for label, n in sorted(counts.items()))
                    lines.append(f"  {entity}: {summary}")
        for outcome in self.outcomes.where(
            lambda o: (
                o.status in (OutcomeStatus.FAILED, OutcomeStatus.INVALID, OutcomeStatus.REVIEW)
            )
        ):
            reason = outcome.error or outcome.operation.describe()
            lines.append(
                f"  {outcome.operation.entity} {outcome.operation.crm_key} "
                f"[{outcome.operation.administration}] {outcome.status.value}: {reason}"
            )
        if self.inbound:
            lines.append(f"{len(self.inbound)} change(s) made in the administration for the CRM")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (unchanged records appear in ``counts`` only)."""
        return {
            "ok": self.ok,
            "counts": self.counts(),
            "outcomes": [o.to_dict() for o in self.outcomes],
            "inbound": [attrs.asdict(change) for change in self.inbound],
        }


def _plain(match: Mapping[str, Any]) -> dict[str, Any]:
    # A shared match (_ReadOnlyMapping) holds tuples, not lists: hand out fresh lists, so the
    # caller's dict is its own to change, as it always was.
    return {k: list(v) if isinstance(v, tuple) else v for k, v in match.items()}


_LABELS = {
    OperationKind.CREATE: "created",
    OperationKind.UPDATE: "updated",
    OperationKind.LINK: "linked",
    OperationKind.SKIP: "unchanged",
}


def _label(outcome: Outcome) -> str:
    if outcome.status is OutcomeStatus.DONE:
        return _LABELS.get(outcome.operation.kind, outcome.operation.kind.value)
    if outcome.status is OutcomeStatus.SKIPPED:
        # A skip with a note is something finlink could not send (a contact over the
        # backend's limit, a booking changed after it was booked), not an unchanged record.
        return "not transferred" if outcome.operation.notes else "unchanged"
    return {
        OutcomeStatus.FAILED: "failed",
        OutcomeStatus.REVIEW: "waiting for review",
        OutcomeStatus.INVALID: "invalid",
    }[outcome.status]
