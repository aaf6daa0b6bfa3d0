"""How a long-running mynumber process sets up the Python runtime it runs on.

:func:`configure_gc`: CPython's cyclic garbage collector, by default, looks at the young
objects each time 700 more containers (tuples, lists, dicts …) have been made than freed,
and, every ten and hundred times, at older and then at every object of the process. A
benefit run builds pages of 10^4–10^5 row tuples at a time in a process that holds every
organisation's apps, schemas and tables: at the default thresholds a 200,000-resident run
collected about 4,600 times and spent about a tenth of its CPU there, mostly in full
collections (``benchmarks/disbursement.py``, measured beside a run with the collector
off). The rows are not cycles; reference counting frees them when their page is done.
So the young generation is looked at once a million more containers are alive than at
the last look (the 200,000-resident run then never collects); older generations keep
CPython's ratios (this project's choice of figures). Cycles are still collected, in
batches of up to about a million containers.

Called once at the start of each process that serves or runs organisations: ``mynumber``
itself, each process of a split deployment, a Celery worker.
"""

from __future__ import annotations

import gc

#: Collect the young generation when this many more containers are alive than at its last
#: collection; the middle one after this many young collections; the whole heap after this
#: many middle ones.
GC_THRESHOLDS = (1_000_000, 10, 10)

__all__ = ["GC_THRESHOLDS", "configure_gc"]


def configure_gc() -> None:
    """Set :data:`GC_THRESHOLDS` for this process."""
    gc.set_threshold(*GC_THRESHOLDS)
