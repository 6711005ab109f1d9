"""The library's log records, delivered to ``logging.getLogger("captivate")``.

The native layer queues records (API keys already removed) and rings a pipe. A daemon thread
of this module waits on that pipe in plain Python (``os.read``) and passes the records to the
logger, mapping the levels: error, warning, info and debug to their ``logging`` levels, trace
to ``TRACE`` (5, below ``DEBUG``). So the library's own threads never call into Python, and the
one thread that does is never inside native code while it waits (at interpreter exit it is
stopped like any daemon thread).

Which records are made at all follows the logger's effective level, read when a client
connects and whenever records are delivered; call ``sync_log_level()`` after changing it to
apply it at once. With the default configuration (``WARNING``) only warnings and errors are
made, so logging costs nothing on the hot path.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Optional

from . import _native

TRACE = 5
"""The level of the library's trace records (below ``logging.DEBUG``)."""

if logging.getLevelName(TRACE) == f"Level {TRACE}":
    logging.addLevelName(TRACE, "TRACE")

logger = logging.getLogger("captivate")

# The native levels (1 error .. 5 trace) as logging's.
_TO_LOGGING = {1: logging.ERROR, 2: logging.WARNING, 3: logging.INFO, 4: logging.DEBUG, 5: TRACE}

_lock = threading.Lock()
_thread: Optional[threading.Thread] = None
_level = -1


def _native_level() -> int:
    for native in (5, 4, 3, 2, 1):
        if logger.isEnabledFor(_TO_LOGGING[native]):
            return native
    return 0


def sync_log_level() -> None:
    """Makes the library produce exactly the records the ``captivate`` logger lets through
    now (its effective level), and starts the thread that delivers them if need be."""
    global _thread, _level
    level = _native_level()
    with _lock:
        if level == _level:
            return
        _level = level
        if _thread is None and level > 0:
            reader, writer = _native.log_pipe()
            os.set_blocking(writer, False)
            _thread = threading.Thread(target=_deliver, args=(reader,), name="captivate-logs", daemon=True)
            _thread.start()
        _native.set_log_level(level)


def _deliver(fd: int) -> None:
    while True:
        os.read(fd, 4096)
        records, dropped = _native.take_logs()
        if dropped:
            logger.warning("%d log records were dropped (the queue was full)", dropped)
        for level, target, message in records:
            logger.log(_TO_LOGGING.get(level, TRACE), "%s: %s", target, message, extra={"target": target})
        sync_log_level()
