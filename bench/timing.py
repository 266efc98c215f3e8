"""Percentiles and the summary of a list of timings, as the results file writes them."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any

# A repeated measurement stops repeating once its runs have taken this long (at least one
# run, or the minimum asked): a slow one is measured fewer times rather than for many minutes.
REPEAT_BUDGET_SECONDS = 60.0


def more_runs(samples_ms: Sequence[float], *, runs: int, minimum: int = 1) -> bool:
    """Whether to run once more: fewer than `runs` done, and the minimum not yet reached or
    the budget not yet spent."""
    if len(samples_ms) >= runs:
        return False
    return len(samples_ms) < minimum or sum(samples_ms) < REPEAT_BUDGET_SECONDS * 1000


def percentile(samples: Sequence[float], share: float) -> float:
    """The `share` (0..1) percentile, linearly interpolated between the closest ranks."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    position = (len(ordered) - 1) * share
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def rounded(value: float) -> float:
    return round(value, 2)


def summary_ms(samples_ms: Sequence[float]) -> dict[str, Any]:
    """Median, p95, min, max and the samples themselves (ms)."""
    return {
        "runs": len(samples_ms),
        "median_ms": rounded(statistics.median(samples_ms)),
        "p95_ms": rounded(percentile(samples_ms, 0.95)),
        "min_ms": rounded(min(samples_ms)),
        "max_ms": rounded(max(samples_ms)),
        "samples_ms": [rounded(s) for s in samples_ms],
    }
