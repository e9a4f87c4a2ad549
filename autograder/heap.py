"""How the grader's long-lived processes treat Python's garbage collector.

The coordinator and the warm workers load their libraries once and then work through many
submissions. Two settings follow from that:

* what is loaded at the start is frozen (``gc.freeze``): collections never walk it again, and a
  forked notebook process does not copy its pages by touching their headers;
* young collections run every 10,000 container allocations instead of CPython's 700: a notebook
  that draws figures allocates hundreds of thousands of short-lived objects, and the default
  spent about 8 ms of each submission's 0.1 s collecting them. Cycles are still collected, a
  little later (a few megabytes at most), and ``gc.collect()`` works as ever.
"""

from __future__ import annotations

import gc

#: Container allocations between young-generation collections (CPython's default: 700).
YOUNG_COLLECTION_EVERY = 10_000


def freeze_what_is_loaded(collect_first: bool = False) -> None:
    """Freeze the heap as it is now and space out young collections (see the module doc)."""
    if collect_first:
        gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, middle, old)
