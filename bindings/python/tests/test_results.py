"""Results that hold several things are sequences, as Python code expects of them: iterable,
indexable and sliceable like a list, with ``len`` and ``==`` (with another of their kind, or
with the list of their items), and the JSON they were made from (``raw``). A listing across
keys carries what the hub said of each conversation (its metadata)."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Dict, List

import pytest

import captivate
from conftest import Hub, in_thread


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


def test_a_transcript_equals_the_list_of_its_entries(hub: Hub) -> None:
    async def main() -> None:
        async with await captivate.connect(hub.key, url=hub.url, request_timeout_ms=5000) as client:
            conv = await client.start_conversation("seq-list-user", start="user-first")
            await conv.send_message("hello")
            t = await transcript_with(conv, "You said: hello")
            assert t == t.entries and t.entries == t and not (t != t.entries)
            assert t != t.entries[:-1] and t != tuple(t.entries) and t != "x"

    asyncio.run(main())


def check_listing_json(page: captivate.ConversationList) -> None:
    """``page.raw`` is the hub's JSON of the listing, and says what the summaries say."""
    raw = page.raw
    assert [c["conversation_id"] for c in raw["conversations"]] == [c.conversation_id for c in page]
    assert [c["metadata"] for c in raw["conversations"]] == [c.metadata for c in page]
    assert [c.get("apiKey") for c in raw["conversations"]] == [c.api_key for c in page]
    assert page.pagination is not None
    assert raw["pagination"] == {
        "hasNextPage": page.pagination.has_next_page,
        "hasPrevPage": page.pagination.has_prev_page,
        "page": page.pagination.page,
        "pageSize": page.pagination.page_size,
        "total": page.pagination.total,
        "totalPages": page.pagination.total_pages,
    }


def test_a_conversation_list_is_a_list_of_summaries_with_its_json(hub: Hub) -> None:
    async def main() -> None:
        async with await captivate.connect(hub.key, url=hub.url, request_timeout_ms=5000) as client:
            for n in range(3):
                await client.start_conversation("list-json-user", metadata={"n": n}, start="user-first")
            page = await client.list_conversations("list-json-user", page=1, limit=2)
            summaries = page.conversations
            assert page == summaries and summaries == page and len(page) == 2
            assert page[-1] == summaries[-1] and page[-2] == summaries[0]
            assert page[:] == summaries and page[::-1] == summaries[::-1] and page[5:] == []
            with pytest.raises(IndexError):
                page[-3]
            assert page != summaries[:1] and page != await client.list_conversations("list-json-user")
            assert {c.metadata["n"] for c in page} <= {0, 1, 2}
            check_listing_json(page)
            assert page.raw["pagination"]["total"] == 3 and page.raw["pagination"]["hasNextPage"] is True

    asyncio.run(main())


def test_uploaded_files_are_a_list_of_files_with_their_json(hub: Hub) -> None:
    async def main() -> None:
        async with await captivate.connect(hub.key, url=hub.url, request_timeout_ms=5000) as client:
            conv = await client.start_conversation("files-seq-user", start="user-first")
            files = await conv.upload_files([b"one", b"two", b"three"])
            assert isinstance(files, captivate.FileList) and len(files) == 3
            as_list: List[captivate.File] = list(files)
            assert files == as_list and as_list == files and files != as_list[:2]
            assert [f.text for f in files] == ["one", "two", "three"]
            assert files[-1].text == "three" and [f.text for f in files[1:]] == ["two", "three"]
            assert files.raw == [f.json for f in files]
            assert [r["textContent"]["text"] for r in files.raw] == ["one", "two", "three"]
            loose = await client.upload_files([b"four"])
            assert isinstance(loose, captivate.FileList) and loose[0].text == "four"

    asyncio.run(main())


def check_across(listing: Any, by_owner: Dict[str, Any], keys: Dict[str, str]) -> None:
    """A listing across keys of the conversations in ``by_owner`` (started with metadata
    ``{"owner": owner}`` on the key ``keys[owner]``): a sequence of the conversations, each with
    what the hub said of it."""
    assert len(listing) == 2 and len(listing.summaries) == 2
    assert listing == listing.conversations and listing.conversations == list(listing)
    assert listing[-1] == listing.conversations[-1] and listing[0:1] == listing.conversations[:1]
    assert listing[::-1] == listing.conversations[::-1]
    with pytest.raises(IndexError):
        listing[2]
    # Each conversation with its metadata and key, in the same order.
    for conv, summary, metadata in zip(listing, listing.summaries, listing.metadata):
        owner = metadata["owner"]
        assert conv == by_owner[owner] and conv.client is by_owner[owner].client
        assert summary.conversation_id == conv.id and summary.metadata == metadata
        assert summary.api_key == keys[owner]
        assert listing.summary_of(conv) == summary
    assert listing.summary_of(object()) is None
    check_listing_json(listing.summaries)
    assert listing.raw == listing.summaries.raw and listing.pagination == listing.summaries.pagination


def test_a_listing_across_keys_carries_each_conversations_metadata(hub: Hub) -> None:
    async def main() -> None:
        a = await captivate.connect(hub.key, url=hub.url, request_timeout_ms=5000)
        b = await captivate.connect(hub.key2, url=hub.url, request_timeout_ms=5000)
        try:
            by_owner = {
                "a": await a.start_conversation("across-meta", metadata={"owner": "a"}, start="user-first"),
                "b": await b.start_conversation("across-meta", metadata={"owner": "b"}, start="user-first"),
            }
            listing = await captivate.list_across([a, b], "across-meta")
            check_across(listing, by_owner, {"a": hub.key, "b": hub.key2})
            again = await captivate.list_across([a, b], "across-meta")
            assert again == listing
            # Metadata set since shows in the next listing.
            await by_owner["a"].set_metadata({"owner": "a", "topic": "billing"})
            later = await captivate.list_across([b, a], "across-meta")
            assert later != listing
            assert [m.get("topic") for m in later.metadata if m["owner"] == "a"] == ["billing"]
        finally:
            await a.close()
            await b.close()

    asyncio.run(main())


def test_a_blocking_listing_across_keys_carries_each_conversations_metadata(hub: Hub) -> None:
    def work() -> None:
        with captivate.BlockingClient.connect(hub.key, url=hub.url, request_timeout=5.0) as a:
            with captivate.BlockingClient.connect(hub.key2, url=hub.url, request_timeout=5.0) as b:
                by_owner = {
                    "a": a.start_conversation("across-meta-b", metadata={"owner": "a"}, start="user-first"),
                    "b": b.start_conversation("across-meta-b", metadata={"owner": "b"}, start="user-first"),
                }
                listing = captivate.list_across_blocking([a, b], "across-meta-b")
                assert all(isinstance(c, captivate.BlockingConversation) for c in listing)
                check_across(listing, by_owner, {"a": hub.key, "b": hub.key2})

    in_thread(work)
