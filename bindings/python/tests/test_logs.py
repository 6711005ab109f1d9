"""The library's log records reach ``logging.getLogger("captivate")``, at every level the logger
lets through, without the API key."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Callable, List

import pytest

import captivate
from conftest import Hub


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=1)
        self.records: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def wait_for(self, what: str, test: Callable[[logging.LogRecord], bool]) -> None:
        deadline = time.monotonic() + 10
        while not any(test(r) for r in list(self.records)):
            assert time.monotonic() < deadline, f"no record {what}"
            time.sleep(0.02)


def test_a_session_logs_at_every_level_without_the_key(hub: Hub) -> None:
    logger = logging.getLogger("captivate")
    records = Records()
    logger.addHandler(records)
    logger.setLevel(1)
    try:

        async def main() -> None:
            client = await captivate.connect(hub.key, url=hub.url, reconnect={"initial_delay_ms": 20})
            conv = await client.start_conversation("logged", start="user-first")
            events = conv.events()
            await conv.send_message(f"the key is {hub.key}")
            hub.control("/control/drop")
            while True:
                e = await events.next(timeout=10)
                assert e is not None
                if isinstance(e, captivate.StateChange) and e.current.state == "connected":
                    break
            await conv.send_message("after the drop")
            with pytest.raises(captivate.Rejected):
                await captivate.connect(hub.key + "-wrong", url=hub.url)
            await client.close()

        asyncio.run(main())
        records.wait_for("of the lost connection", lambda r: "connection lost" in r.getMessage())
        records.wait_for("from tungstenite (the log crate)", lambda r: getattr(r, "target", "").startswith("tungstenite"))
    finally:
        logger.setLevel(logging.NOTSET)
        logger.removeHandler(records)
        captivate.sync_log_level()
    levels = {r.levelno for r in records.records}
    assert {captivate.TRACE, logging.DEBUG, logging.INFO} <= levels, levels
    assert logging.getLevelName(captivate.TRACE) == "TRACE"
    for r in records.records:
        assert r.name == "captivate"
        text = f"{r.getMessage()} {getattr(r, 'target', '')} {r.args}"
        assert hub.key not in text, f"the key leaked: {text}"
