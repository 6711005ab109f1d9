"""Results that hold several things are sequences, as Python code expects of them: iterable,
indexable and sliceable like a list, with ``len`` and ``==``."""

from __future__ import annotations

import asyncio
import time
from typing import List

import pytest

import captivate
from conftest import Hub


async def transcript_with(conv: captivate.Conversation, needle: str) -> captivate.Transcript:
    """The transcript, once the bot's answer to ``needle`` is in it (10 s at most)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        t = await conv.get_transcript()
        if any(e.text and needle in e.text for e in t.entries):
            return t
        await asyncio.sleep(0.05)
    raise AssertionError(f"no answer to {needle!r} in the transcript")


def test_a_transcript_is_a_sequence_of_entries(hub: Hub) -> None:
    async def main() -> None:
        client = await captivate.connect(hub.key, url=hub.url, request_timeout_ms=5000)
        try:
            conv = await client.start_conversation("seq-user", start="user-first")
            await conv.send_message("first")
            await conv.send_message("second")
            t = await transcript_with(conv, "You said: second")
            entries: List[captivate.TranscriptEntry] = t.entries
            assert len(t) == len(entries) >= 4

            # Iterating gives the entries, in order.
            assert [e.text for e in t] == [e.text for e in entries]
            assert [e.sender for e in t].count("user") == 2
            assert list(t) == entries

            # Indexing and slicing as a list does.
            assert t[0] == entries[0] and t[-1] == entries[-1]
            assert t[1:3] == entries[1:3] and t[::-1] == entries[::-1]
            with pytest.raises(IndexError):
                t[len(t)]
            with pytest.raises(TypeError):
                t["0"]  # type: ignore[call-overload]

            # Equal to another reading of the same transcript; unequal once it grew.
            assert t == await conv.get_transcript()
            await conv.send_message("third")
            grown = await transcript_with(conv, "You said: third")
            assert grown != t and len(grown) > len(t)

            # Its raw JSON: the entries as the hub sent them.
            assert t.raw == [e.raw for e in t]
            assert any(r.get("messages") for r in t.raw)
        finally:
            await client.close()

    asyncio.run(main())


def test_a_conversation_list_is_a_sequence_of_conversations(hub: Hub) -> None:
    async def main() -> None:
        client = await captivate.connect(hub.key, url=hub.url, request_timeout_ms=5000)
        try:
            ids = [(await client.start_conversation("list-seq-user", start="user-first")).id for _ in range(3)]
            page = await client.list_conversations("list-seq-user")
            assert len(page) == 3
            assert sorted(c.conversation_id for c in page) == sorted(ids)
            assert page[0] == page.conversations[0] and page[-1].conversation_id == page.conversations[-1].conversation_id
            assert [c.conversation_id for c in page[:2]] == [c.conversation_id for c in page.conversations[:2]]
            assert page == await client.list_conversations("list-seq-user")
            with pytest.raises(IndexError):
                page[3]
        finally:
            await client.close()

    asyncio.run(main())
