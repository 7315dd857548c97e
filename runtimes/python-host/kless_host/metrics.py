"""The three function metrics: counted per server thread without locks, exposed by prometheus_client at scrape time.

prometheus_client's own Counter and Histogram take a lock for every increment and observation; with three of them
per call that was a sixth of the host's time per request. Here each thread counts into series only it writes, and a
scrape adds the threads' series up, so the exposition is still prometheus_client's, with the same names and samples.
"""
import bisect
import itertools
import threading
import time
from typing import Dict, Iterator, List, Tuple

from prometheus_client import Histogram
from prometheus_client.core import REGISTRY, CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.utils import floatToGoString

BUCKETS = tuple(Histogram.DEFAULT_BUCKETS)
_BUCKET_NAMES = tuple(floatToGoString(bound) for bound in BUCKETS)


class Series:
    """One thread's counts for one method label. Only that thread writes them, so += needs no lock."""

    __slots__ = ("calls", "failures", "seconds", "buckets")

    def __init__(self) -> None:
        self.calls = 0
        self.failures = 0
        self.seconds = 0.0
        self.buckets = [0] * len(BUCKETS)

    def observe(self, seconds: float) -> None:
        self.seconds += seconds
        # A bucket counts durations up to and including its bound.
        self.buckets[bisect.bisect_left(BUCKETS, seconds)] += 1


class FunctionMetrics:
    """function_calls_total, function_failures_total and function_duration_seconds, labelled <MOD_NAME>-<METHOD>."""

    def __init__(self, module_name: str) -> None:
        self._label_prefix = module_name + "-"
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: List[Tuple[str, Series]] = []
        self._created: Dict[str, float] = {}
        REGISTRY.register(self)

    def series(self, method: str) -> Series:
        """The calling thread's series for ``method``."""
        try:
            return self._local.by_method[method]  # type: ignore[no-any-return]
        except (AttributeError, KeyError):
            return self._add(method)

    def _add(self, method: str) -> Series:
        by_method = self._local.__dict__.setdefault("by_method", {})
        series = by_method[method] = Series()
        # <MOD_NAME>-<METHOD> as on every kless runtime (Kyma's python38: the bare method).
        label = self._label_prefix + method
        with self._lock:
            self._created.setdefault(label, time.time())
            self._all.append((label, series))
        return series

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            all_series = list(self._all)
            created = dict(self._created)
        totals: Dict[str, Series] = {}
        for label, series in all_series:
            total = totals.setdefault(label, Series())
            total.calls += series.calls
            total.failures += series.failures
            total.seconds += series.seconds
            total.buckets = [mine + theirs for mine, theirs in zip(total.buckets, series.buckets)]
        calls = CounterMetricFamily("function_calls", "Number of calls", labels=["method"])
        failures = CounterMetricFamily("function_failures", "Number of exceptions", labels=["method"])
        duration = HistogramMetricFamily("function_duration_seconds", "Duration in seconds", labels=["method"])
        for label in sorted(totals):
            total = totals[label]
            calls.add_metric([label], total.calls, created=created[label])
            failures.add_metric([label], total.failures, created=created[label])
            cumulative = list(itertools.accumulate(total.buckets))
            duration.add_metric([label], list(zip(_BUCKET_NAMES, cumulative)), total.seconds)
            duration.add_sample("function_duration_seconds_created", {"method": label}, created[label])
        yield calls
        yield failures
        yield duration
