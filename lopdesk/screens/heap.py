"""Reads that build tens of thousands of objects in one go, off the UI thread.

Python's cyclic garbage collector starts a pass every few hundred new objects, and now and
then a full pass that walks every object of the app (its screens, the area index, the rows
shown: about 0.2 s each on the shared server). A read of the list of refused children makes
enough objects for two or three of those full passes: while it runs, the collector waits
(the objects it makes are kept anyway), then it runs as before.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """No garbage collection pass inside the block (a short read); enabled again after it
    if it was before (two blocks at once in two workers end with it enabled)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
