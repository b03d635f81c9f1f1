"""Fellegi-Sunter match weights: an m and a u probability per compared field and level.

For every field two relations are compared on (name, postcode, house number...), the
comparison lands on a *level* (``exact``, ``other``...). Each level has two probabilities:

- **m**: how often a truly matching pair lands on this level (a typo makes a true pair's
  names only ``close``; a move makes its postcodes ``other``);
- **u**: how often a pair of two *different* relations does (two businesses share a
  postcode; almost never a phone number).

The level's weight is ``log2(m / u)`` bits: positive when the level is more typical of
matches, negative when it is more typical of non-matches. A pair's match weight is the prior
(``log2`` of the prior odds that a candidate is the one) plus the weights of its fields; its
probability is ``2^w / (1 + 2^w)``. A field missing on either side adds nothing. This is the
model of Fellegi and Sunter (1969) as splink and fastLink use it.

The defaults (:data:`DEFAULT_WEIGHTS`) are set from how Dutch and Belgian business records
differ in practice; a host can replace any level's m and u (:meth:`MatchWeights.replace`) or
estimate them from its own data (:mod:`finlink.sync.training`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

import attrs

from finlink._errors import ConfigurationError

__all__ = ["DEFAULT_WEIGHTS", "FIELD_LEVELS", "FieldWeight", "MatchWeights", "bits_to_probability"]

#: The compared fields and their levels, best first. A field missing on either side (or, for
#: ``street`` and ``city``, already settled by the postcode) gets no level and no weight.
FIELD_LEVELS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        # Name similarity (see matchers.name_similarity): 100 once normalised, >= 94, >= 88,
        # >= 80. Below 80 a pair is not scored at all: identifiers, not names, must join it.
        "name": ("exact", "close", "similar", "alike"),
        # "other_form": both carry a legal form and they differ (BV vs VOF); "holding": only
        # one of the names is a holding or management company.
        "legal_form": ("same", "other_form", "holding"),
        # "area": another postcode in the same postcode area (the four digits of 1234 AB).
        "postcode": ("exact", "area", "other"),
        "house_number": ("exact", "other"),
        # Compared only without a postcode on both sides (the postcode implies the street).
        "street": ("exact", "other"),
        # Compared only when the postcodes do not settle it (another or a missing postcode).
        "city": ("exact", "other"),
        "email_domain": ("exact", "other"),
        "phone": ("exact", "other"),
        "iban": ("exact", "other"),
    }
)

_Probabilities = Mapping[str, Mapping[str, tuple[float, float]]]

# (m, u) per field and level. Reasoning, briefly: a true pair's names are equal once
# normalised four times in five; two different businesses carry one (uncommon) name about
# once in 500,000 pairs (a common name far more often: the index's frequencies raise u per value).
# A true pair's postcodes differ when it moved (a few per cent); a random pair shares a
# 6-character postcode about once in 5,000. Phone numbers and IBANs change, so disagreeing
# costs little; agreeing is rare by chance. Two names with different legal forms, or a
# holding next to a non-holding, are usually two entities.
_DEFAULTS: dict[str, dict[str, tuple[float, float]]] = {
    "name": {
        "exact": (0.80, 2e-6),
        "close": (0.10, 3e-5),
        "similar": (0.06, 1.5e-4),
        "alike": (0.04, 1e-3),
    },
    "legal_form": {
        "same": (0.95, 0.60),
        "other_form": (0.04, 0.35),
        "holding": (0.002, 0.05),
    },
    "postcode": {"exact": (0.92, 2e-4), "area": (0.03, 0.01), "other": (0.05, 0.99)},
    "house_number": {"exact": (0.92, 0.05), "other": (0.08, 0.95)},
    "street": {"exact": (0.88, 0.002), "other": (0.12, 0.998)},
    "city": {"exact": (0.50, 0.02), "other": (0.50, 0.98)},
    "email_domain": {"exact": (0.70, 1e-4), "other": (0.30, 0.9999)},
    "phone": {"exact": (0.60, 1e-5), "other": (0.40, 0.99999)},
    "iban": {"exact": (0.60, 1e-6), "other": (0.40, 0.999999)},
}


def bits_to_probability(bits: float) -> float:
    """The match probability of a total match weight in bits (``2^w / (1 + 2^w)``)."""
    if bits >= 60:
        return 1.0
    if bits <= -60:
        return 0.0
    odds: float = 2.0**bits
    return odds / (1 + odds)


def _check_probabilities(instance: MatchWeights, _attribute: object, value: _Probabilities) -> None:
    problems = []
    for field, levels in value.items():
        if field not in FIELD_LEVELS:
            problems.append(f"unknown field {field!r} (known: {', '.join(FIELD_LEVELS)})")
            continue
        for level, (m, u) in levels.items():
            if level not in FIELD_LEVELS[field]:
                problems.append(f"{field}: unknown level {level!r}")
            elif not (0 < m < 1 and 0 < u < 1):
                problems.append(f"{field}.{level}: m and u must lie strictly between 0 and 1")
    if not 0 < instance.prior < 1:
        problems.append("prior must lie strictly between 0 and 1")
    if problems:
        raise ConfigurationError("invalid match weights: " + "; ".join(problems))


def _frozen(value: _Probabilities) -> _Probabilities:
    return MappingProxyType({f: MappingProxyType(dict(levels)) for f, levels in value.items()})


@attrs.frozen(kw_only=True)
class MatchWeights:
    """The m and u probabilities of every field level, and the prior.

    Attributes:
        probabilities: ``{field: {level: (m, u)}}``; every field and level of
            :data:`FIELD_LEVELS` must be present.
        prior: The prior probability that a candidate pair is a match, before any field is
            compared (default 1 in 100,000: a candidate is one relation out of a whole
            administration).
        common_floor: Frequencies are taken relative to at least this many relations, so a
            tiny index (a test, a few targeted look-ups) does not make every value look
            common.

    Raises:
        ConfigurationError: An unknown field or level, or a probability outside (0, 1).
    """

    probabilities: _Probabilities = attrs.field(converter=_frozen, validator=_check_probabilities)
    prior: float = 1e-5
    common_floor: int = 1_000

    _bits: Mapping[str, Mapping[str, float]] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        # Every level's weight, computed once: scoring looks them up for every candidate.
        bits = {
            field: {level: math.log2(m / u) for level, (m, u) in levels.items()}
            for field, levels in self.probabilities.items()
        }
        object.__setattr__(self, "_bits", bits)
        missing = [
            f"{field}.{level}"
            for field, levels in FIELD_LEVELS.items()
            for level in levels
            if level not in self.probabilities.get(field, {})
        ]
        if missing:
            raise ConfigurationError(f"match weights lack m and u for {', '.join(missing)}")

    @property
    def prior_bits(self) -> float:
        """The prior as a weight: ``log2(prior / (1 - prior))``."""
        return math.log2(self.prior / (1 - self.prior))

    def m(self, field: str, level: str) -> float:
        """The m probability of ``field`` at ``level``."""
        return self.probabilities[field][level][0]

    def u(self, field: str, level: str) -> float:
        """The u probability of ``field`` at ``level``."""
        return self.probabilities[field][level][1]

    def weight(self, field: str, level: str, *, u: float | None = None) -> float:
        """``log2(m / u)`` in bits; ``u`` overrides the level's u (term frequency)."""
        if u is None:
            return self._bits[field][level]
        return math.log2(self.probabilities[field][level][0] / u)

    def replace(
        self,
        probabilities: Mapping[str, Mapping[str, tuple[float, float]]] | None = None,
        *,
        prior: float | None = None,
    ) -> MatchWeights:
        """A copy with some levels' ``(m, u)`` (and optionally the prior) replaced.

        >>> strict = DEFAULT_WEIGHTS.replace({"postcode": {"other": (0.02, 0.99)}})
        >>> round(strict.weight("postcode", "other"), 1)
        -5.6
        """
        merged = {field: dict(levels) for field, levels in self.probabilities.items()}
        for field, levels in (probabilities or {}).items():
            merged.setdefault(field, {}).update(levels)
        return MatchWeights(
            probabilities=merged,
            prior=self.prior if prior is None else prior,
            common_floor=self.common_floor,
        )

    def table(self) -> list[tuple[str, str, float, float, float]]:
        """Every level as ``(field, level, m, u, weight in bits)``, for docs and logs."""
        return [
            (field, level, m, u, math.log2(m / u))
            for field, levels in self.probabilities.items()
            for level, (m, u) in levels.items()
        ]


#: The built-in weights; see the module docstring and the matching explanation page.
DEFAULT_WEIGHTS = MatchWeights(probabilities=_DEFAULTS)


class FieldWeight(NamedTuple):
    """One field's contribution to a pair's match weight.

    A named tuple, not an attrs class: a run makes one per compared field of every candidate.

    Attributes:
        field: The field (``name``, ``postcode``...), or ``prior``.
        level: The level the comparison landed on (``exact``, ``other``...).
        bits: The weight in bits (``log2(m / u)``, with u adjusted for a common value).
        note: What was compared, in words (``shared by 40 relations``).
    """

    field: str
    level: str
    bits: float
    note: str = ""

    def __str__(self) -> str:
        """``postcode exact (shared by 40 relations) +9.8``."""
        detail = f" ({self.note})" if self.note else ""
        return f"{self.field} {self.level}{detail} {self.bits:+.1f}"
