"""How a long-running mynumber process sets up the Python runtime it runs on.

:func:`configure_gc`: CPython's cyclic garbage collector, by default, looks at the young
objects every 700 new containers and, now and then, at every object of the process. A
benefit run builds pages of 10^4–10^5 row tuples at a time in a process that holds every
organisation's apps, schemas and tables: at the default thresholds a 200,000-resident
run spent about a tenth of its CPU in the collector (``benchmarks/disbursement.py``, the
same run side by side with the collector on and off). The rows are
not cycles; they are freed by reference counting when a page is done. So the young
generation is collected every 100,000 new containers instead, and the older ones more
rarely still (this project's choice of figures). Cycles are still collected, later.

Called once at the start of each process that serves or runs organisations: ``mynumber``
itself, each process of a split deployment, a Celery worker.
"""

from __future__ import annotations

import gc

#: Collect the young generation every this many new containers; the middle one after
#: this many young collections; the whole heap after this many middle ones.
GC_THRESHOLDS = (100_000, 50, 1_000)

__all__ = ["GC_THRESHOLDS", "configure_gc"]


def configure_gc() -> None:
    """Set :data:`GC_THRESHOLDS` for this process."""
    gc.set_threshold(*GC_THRESHOLDS)
