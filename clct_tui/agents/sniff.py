"""Telling anyio once that this thread runs asyncio, instead of at every step of every stream.

The SDK reads each CLI's output through anyio memory streams, and anyio asks sniffio which async
library is running at every checkpoint; sniffio finds out by calling asyncio.current_task() each
time. With 8 agents streaming that question was a quarter of clct's CPU. sniffio's documented
override, ``thread_local.name``, answers it for the thread: clct's engine thread only ever runs
asyncio.
"""

from __future__ import annotations

import asyncio

try:
    import sniffio
except ImportError:  # anyio works without it; then there is nothing to tell
    sniffio = None


def name_asyncio_for_this_thread() -> None:
    """Called on the event loop's thread, with the loop running."""
    if sniffio is None or sniffio.thread_local.name is not None:
        return
    asyncio.get_running_loop()  # raises outside a running loop: never name a thread that runs none
    sniffio.thread_local.name = "asyncio"
