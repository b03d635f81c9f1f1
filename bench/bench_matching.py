"""Benchmark relation matching: N CRM relations against N remote relations of one administration.

The default data set is :func:`finlink.testing.dense_dataset.dense_matching_dataset`: a dense
region, namesakes in the next town, chains and holding groups; ``--profile spread`` uses the
older, evenly spread :func:`finlink.testing.datasets.matching_dataset`. For each size it prints
the time to index and match, precision and recall of automatic links, the review share, how
many review items have their true pair as the top candidate, and peak memory; with several
sizes, the growth of the time. It prints; it does not assert. Targets (issue #10): precision
>= 0.999, recall >= 0.99, review <= 1 % of CRM relations, <= 10 s and <= 400 MB at 100,000 x
100,000 on 2 cores, time growing <= 11x from 10,000 to 100,000.

    python bench/bench_matching.py --sizes 10000 100000
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import time
from collections import Counter

from finlink.sync.matching import CandidateIndex, MatchDecision, MatchOutcome, MatchPipeline
from finlink.sync.names import name_key
from finlink.testing.datasets import MatchingDataset, matching_dataset
from finlink.testing.dense_dataset import dense_matching_dataset


def _rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _run(size: int, args: argparse.Namespace) -> tuple[float, float]:
    started = time.perf_counter()
    make = dense_matching_dataset if args.profile == "dense" else matching_dataset
    data = make(size, size, overlap=args.overlap, seed=args.seed)
    print(f"\n== {args.profile} data set, {size:,} x {size:,} ==")
    print(
        f"generated in {time.perf_counter() - started:.1f} s; true pairs {len(data.pairs):,}; "
        f"RSS with the data set {_rss_mb():.0f} MB"
    )
    # The generator normalises names; start matching from a cold cache.
    name_key.cache_clear()
    gc.collect()
    gc.freeze()  # the data set is long-lived: keep the collector from rescanning it
    started, cpu_started = time.perf_counter(), time.process_time()
    index = CandidateIndex.from_records(data.remote)
    built = time.perf_counter() - started
    gc.freeze()  # so is the index
    pipeline = MatchPipeline()
    started = time.perf_counter()
    # Keep what the metrics need, as a host streaming decisions into its queue would.
    truth = dict(data.pairs)
    decisions: list[tuple[str, MatchOutcome, str | None]] = []
    kept: list[tuple[str, MatchDecision]] = []
    review_top = 0
    for relation, decision in pipeline.match_all(data.crm, index):
        decisions.append((relation.id, decision.outcome, decision.remote_id))
        expected = truth.get(relation.id)
        if decision.outcome is MatchOutcome.REVIEW and expected == decision.remote_id:
            review_top += 1
        if args.show_errors and _is_error(decision, expected):
            kept.append((relation.id, decision))
    matched = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    rss_peak = _rss_mb()
    gc.unfreeze()

    links = [(crm_id, remote_id) for crm_id, o, remote_id in decisions if o is MatchOutcome.LINK]
    correct = sum(1 for crm_id, remote_id in links if truth.get(crm_id) == remote_id)
    outcomes = Counter(outcome for _, outcome, _ in decisions)
    precision = correct / len(links) if links else 1.0
    recall = correct / len(truth) if truth else 1.0
    reviews = outcomes[MatchOutcome.REVIEW]
    total = built + matched
    print(f"index build:   {built:.2f} s; matching {matched:.2f} s")
    print(
        f"seconds:       {total:.2f}  (target <= 10 at 100,000; CPU {cpu:.2f} s, "
        f"load average {os.getloadavg()[0]:.1f})"
    )
    print(f"precision:     {precision:.4f}  (target >= 0.999; {len(links) - correct} wrong links)")
    print(f"recall:        {recall:.4f}  (target >= 0.99; {len(truth) - correct} pairs not linked)")
    print(f"review share:  {reviews / len(decisions):.2%}  (target <= 1 %; {reviews:,} items)")
    print(f"review items whose true pair exists and is the top candidate: {review_top:,}")
    print("outcomes:      " + ", ".join(f"{o.value} {outcomes[o]:,}" for o in MatchOutcome))
    print(f"peak RSS:      {rss_peak:.0f} MB  (target <= 400)")
    if args.show_errors:
        _show_errors(data, kept, args.show_errors)
    return total, cpu


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments and run the benchmark at each size."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--overlap", type=float, default=0.6)
    parser.add_argument(
        "--profile",
        choices=("dense", "spread"),
        default="dense",
        help="dense: the realistic generator (default); spread: the older, even one",
    )
    parser.add_argument("--show-errors", type=int, default=0, help="print this many misses")
    args = parser.parse_args(argv)
    times = [(size, _run(size, args)) for size in args.sizes]
    if len(times) > 1:
        (small, (first, first_cpu)), (large, (last, last_cpu)) = times[0], times[-1]
        print(
            f"\ngrowth {small:,} -> {large:,}: {last / first:.1f}x time, "
            f"{last_cpu / first_cpu:.1f}x CPU time, for {large / small:.0f}x the data "
            "(target <= 11x for 10x)"
        )


def _is_error(decision: MatchDecision, expected: str | None) -> bool:
    linked = decision.remote_id if decision.outcome is MatchOutcome.LINK else None
    return linked != expected


def _show_errors(
    data: MatchingDataset, decisions: list[tuple[str, MatchDecision]], limit: int
) -> None:
    truth = dict(data.pairs)
    crm = {r.id: r for r in data.crm}
    remote = {r.remote_id: r.data for r in data.remote}
    shown = 0
    for crm_id, decision in decisions:
        expected = truth.get(crm_id)
        wrong_link = decision.outcome is MatchOutcome.LINK and decision.remote_id != expected
        review = decision.outcome is MatchOutcome.REVIEW
        missed = expected is not None and not (
            decision.outcome is MatchOutcome.LINK and decision.remote_id == expected
        )
        if not (wrong_link or missed or review) or shown >= limit:
            continue
        shown += 1
        kinds = data.variants.get((crm_id, expected), ()) if expected else ()
        label = "WRONG LINK" if wrong_link else "REVIEW" if review else "MISSED"
        other = remote.get(decision.remote_id or "") if wrong_link or review else None
        other = other or remote.get(expected or "")
        print(f"{label} {decision.outcome.value} {decision.rule} {decision.score}")
        print(f"   crm:    {_line(crm[crm_id])}")
        print(f"   remote: {_line(other) if other else None}  (true pair: {expected is not None})")
        print(f"   kinds:  {[k.value for k in kinds]}")
        print(f"   why:    {decision.explanation}")


def _line(relation: object) -> str:
    name = getattr(relation, "name", "")
    address = getattr(relation, "address", None)
    where = f"{address.line1}, {address.postcode} {address.city}" if address else "-"
    ids = [getattr(relation, f) for f in ("coc_number", "vat_number", "iban")]
    return f"{name} | {where} | {ids}"


if __name__ == "__main__":
    main()
