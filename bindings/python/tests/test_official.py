"""The official client's HTTP services from Python, against the local hub: uploads to the
file-to-text service (by path, bytes and file object) and the messages that carry them,
presigned URLs, listings across API keys, the HTTP transport, and the refresh of expired file
links in transcripts; asyncio and blocking."""

from __future__ import annotations

import asyncio
import datetime
import io
import pathlib
import time
from typing import Any, Dict, List

import pytest

import captivate
from conftest import Hub
from test_client import client_for, next_of

NOTES = "Quarterly numbers: 42 units.\nSecond line, ünïcödé included.\n"
"""The text file the tests upload; the hub's file-to-text service extracts it as is."""


@pytest.fixture
def notes(tmp_path: pathlib.Path) -> pathlib.Path:
    path = tmp_path / "notes.txt"
    path.write_text(NOTES, encoding="utf-8")
    return path


async def frame_of(hub: Hub, event_type: str, pred: Any = lambda f: True) -> Dict[str, Any]:
    """The first frame of this type the hub has read that satisfies ``pred``, within 5 s."""
    for _ in range(200):
        for f in hub.received():
            if f["event"]["event_type"] == event_type and pred(f):
                return f
        await asyncio.sleep(0.025)
    raise AssertionError(f"the hub never received a matching {event_type}")


def check_uploaded(file: captivate.File, hub: Hub, conversation_id: str, filename: str) -> None:
    """What an upload of NOTES filed under a conversation gives back."""
    assert isinstance(file, captivate.File)
    assert file.filename == filename and file.type == "text/plain"
    assert file.text == NOTES
    assert file.text_content is not None and file.text_content["type"] == "file_content"
    assert file.text_content["metadata"]["originalFileName"] == filename
    assert file.url is None, "a stored upload has no plain url"
    storage = file.storage
    assert storage is not None
    assert storage.file_key.startswith(f"{hub.key}/{conversation_id}/") and storage.file_key.endswith(filename)
    assert storage.presigned_url is not None and storage.presigned_url.startswith(hub.http + "/files/")
    assert storage.expires_at is not None and storage.expires_at > time.time() + 3600
    assert storage.file_size == len(NOTES.encode())
    assert file.link == storage.presigned_url


def test_upload_by_path_bytes_and_file_object_then_send(hub: Hub, notes: pathlib.Path) -> None:
    async def main() -> None:
        async with await client_for(hub) as client:
            conv = await client.start_conversation("files", start="user-first")
            await conv.set_time_to_live(7)
            by_str = await conv.upload_file(str(notes))
            by_path = await conv.upload_file(notes, filename="renamed.txt")
            by_bytes = await conv.upload_file(NOTES.encode(), filename="bytes.txt")
            by_bytearray = await conv.upload_file(bytearray(NOTES.encode()), filename="array.txt")
            by_view = await conv.upload_file(memoryview(NOTES.encode()), filename="view.txt")
            with open(notes, "rb") as fo:
                by_object = await conv.upload_file(fo)
            by_bytesio = await conv.upload_file(io.BytesIO(NOTES.encode()), content_type="text/plain")
            check_uploaded(by_str, hub, conv.id, "notes.txt")
            check_uploaded(by_path, hub, conv.id, "renamed.txt")
            check_uploaded(by_bytes, hub, conv.id, "bytes.txt")
            check_uploaded(by_bytearray, hub, conv.id, "array.txt")
            check_uploaded(by_view, hub, conv.id, "view.txt")
            check_uploaded(by_object, hub, conv.id, "notes.txt")
            assert by_bytesio.filename is not None and by_bytesio.filename.startswith("attachment_")
            assert by_bytesio.text == NOTES and by_bytesio.type == "text/plain"
            # Filed for the conversation's time to live.
            stored = {f["fileKey"]: f for f in hub.control("/control/files", method="GET")}
            assert stored[by_str.storage.file_key]["ttlDays"] == 7  # type: ignore[union-attr]

            events = conv.events()
            msg_id = await conv.send_message("here are my notes", files=[by_str, by_bytes])
            await next_of(events, captivate.BotMessage, lambda e: e.text == "Thanks, I received 2 file(s).")
            frame = await frame_of(hub, "user_message", lambda f: f["event"]["event_payload"]["client_msg_id"] == msg_id)
            # As the official client sends it: {text, files}, no type; each file with its
            # storage and extracted text, no url.
            content = frame["event"]["event_payload"]["content"]
            assert content == {"text": "here are my notes", "files": [by_str.json, by_bytes.json]}
            sent = content["files"][0]
            assert "url" not in sent and sent["textContent"]["text"] == NOTES
            assert sent["storage"]["fileKey"] == by_str.storage.file_key  # type: ignore[union-attr]
            assert sent["filename"] == "notes.txt" and sent["type"] == "text/plain"

            # Files alone, and a file kept as JSON and made again.
            again = captivate.File.from_json(by_view.json)
            assert again == by_view and again.text == NOTES
            await conv.send_message(files=[again])
            await next_of(events, captivate.BotMessage, lambda e: e.text == "Thanks, I received 1 file(s).")

    asyncio.run(main())


def test_upload_files_at_once_stored_or_not(hub: Hub, notes: pathlib.Path) -> None:
    async def main() -> None:
        async with await client_for(hub) as client:
            conv = await client.start_conversation("many", start="user-first")
            files = await conv.upload_files([notes, NOTES.encode(), io.BytesIO(b"third file")])
            assert [f.text for f in files] == [NOTES, NOTES, "third file"]
            assert files[0].filename == "notes.txt"
            assert all(f.storage is not None and f.storage.file_key.startswith(f"{hub.key}/{conv.id}/") for f in files)
            # Not stored: the message points at the URLs given, the text is still extracted.
            links = ["https://example.com/a.txt", "https://example.com/b.txt"]
            plain = await conv.upload_files([notes, b"bee"], storage=False, urls=links)
            assert [f.url for f in plain] == links and [f.storage for f in plain] == [None, None]
            assert [f.text for f in plain] == [NOTES, "bee"]
            # Not filed under a conversation.
            loose = await client.upload_file(b"loose", filename="loose.txt")
            assert loose.storage is not None and loose.storage.file_key.startswith("uploads/")
            assert [f.text for f in await client.upload_files([b"x", b"y"])] == ["x", "y"]

    asyncio.run(main())


def test_a_presigned_url_serves_the_bytes(hub: Hub) -> None:
    payload = bytes(range(256)) * 4  # not text: stored as is, nothing extracted

    async def main() -> None:
        async with await client_for(hub) as client:
            conv = await client.start_conversation("links", start="user-first")
            file = await conv.upload_file(payload, filename="blob.bin")
            assert file.text == "" and file.storage is not None
            assert hub.fetch(file.storage.presigned_url or "") == (200, payload)
            url = await client.presigned_url(file.storage.file_key, expires_in=60)
            assert url != file.storage.presigned_url
            assert hub.fetch(url) == (200, payload)
            url = await client.presigned_url(file.storage.file_key, datetime.timedelta(minutes=5))
            assert hub.fetch(url) == (200, payload)
            assert hub.fetch(await client.presigned_url(file.storage.file_key)) == (200, payload)
            with pytest.raises(captivate.HttpError, match="presigned URL"):
                await client.presigned_url("no/such/key")
            with pytest.raises(captivate.InvalidArgument):
                client.presigned_url(file.storage.file_key, expires_in=0)

    asyncio.run(main())


def test_wrong_arguments_raise_at_once(hub: Hub, notes: pathlib.Path, tmp_path: pathlib.Path) -> None:
    async def main() -> None:
        async with await client_for(hub) as client:
            conv = await client.start_conversation("wrong", start="user-first")
            # Each raises when the method is called, before anything is awaited.
            with pytest.raises(TypeError, match="path"):
                conv.upload_file(123)  # type: ignore[arg-type]
            with pytest.raises(TypeError, match="binary mode"):
                conv.upload_file(io.StringIO("text"))  # type: ignore[arg-type]
            with pytest.raises(TypeError, match="filename"):
                conv.upload_file(b"x", filename=5)  # type: ignore[arg-type]
            with pytest.raises(TypeError, match="storage"):
                conv.upload_file(b"x", storage="yes")  # type: ignore[arg-type]
            with pytest.raises(TypeError, match="ttl_days"):
                conv.upload_file(b"x", ttl_days=True)
            with pytest.raises(TypeError, match="content_type"):
                conv.upload_file(b"x", content_type=b"text/plain")  # type: ignore[arg-type]
            with pytest.raises(captivate.InvalidArgument, match="ttl_days"):
                conv.upload_file(b"x", ttl_days=5)
            with pytest.raises(captivate.InvalidArgument, match="url"):
                conv.upload_file(b"x", storage=False)
            with pytest.raises(FileNotFoundError):
                conv.upload_file(tmp_path / "missing.txt")
            with pytest.raises(TypeError, match="sources"):
                conv.upload_files(notes)  # type: ignore[arg-type]
            with pytest.raises(captivate.InvalidArgument, match="urls"):
                conv.upload_files([b"a", b"b"], storage=False, urls=["https://example.com/a"])
            with pytest.raises(TypeError):
                client.presigned_url(5)  # type: ignore[arg-type]
            with pytest.raises(TypeError, match="expires_in"):
                client.presigned_url("k", expires_in="soon")  # type: ignore[arg-type]
            with pytest.raises(TypeError, match="clients"):
                captivate.list_across(client, "u")  # type: ignore[arg-type]
            with pytest.raises(TypeError, match="clients"):
                captivate.list_across([client, object()], "u")  # type: ignore[list-item]
            with pytest.raises(captivate.InvalidArgument):
                captivate.list_across([], "u")
            with pytest.raises(TypeError):
                conv.send_message("x", files=[object()])  # type: ignore[list-item]
            with pytest.raises(captivate.InvalidArgument, match="url"):
                conv.send_message("x", files=[{"type": "text/plain"}])
            with pytest.raises(TypeError):
                captivate.File.from_json(["not", "a", "dict"])  # type: ignore[arg-type]
            # Options are checked as every option is (see test_options).
            with pytest.raises(captivate.InvalidArgument, match="trusted_hosts"):
                await captivate.connect(hub.key, url=hub.url, trusted_hosts=[5])  # type: ignore[list-item]
            with pytest.raises(captivate.InvalidArgument, match="transport"):
                await captivate.connect(hub.key, url=hub.url, transport="carrier-pigeon")  # type: ignore[arg-type]
            # Nothing reached the file service.
            assert hub.control("/control/files", method="GET") == []

    asyncio.run(main())


def test_a_users_conversations_across_two_keys(hub: Hub) -> None:
    async def main() -> None:
        a = await client_for(hub)
        b = await captivate.connect(hub.key2, url=hub.url, request_timeout_ms=3000)
        try:
            conv_a = await a.start_conversation("multi", metadata={"owner": "a"}, start="user-first")
            conv_b = await b.start_conversation("multi", metadata={"owner": "b"}, start="user-first")
            # The first client's own listing sees only its key, unless told of others: then
            # each summary names its key.
            assert [c.conversation_id for c in (await a.list_conversations("multi")).conversations] == [conv_a.id]
            summaries = (await a.list_conversations("multi", api_keys=(hub.key, hub.key2))).conversations
            assert {(c.conversation_id, c.api_key) for c in summaries} == {(conv_a.id, hub.key), (conv_b.id, hub.key2)}

            for clients in ([a, b], [b, a]):
                listing = await captivate.list_across(clients, "multi")
                assert isinstance(listing, captivate.CrossKeyListing) and len(listing) == 2
                by_id = {c.id: c for c in listing}
                assert set(by_id) == {conv_a.id, conv_b.id}
                assert by_id[conv_a.id].client is a and by_id[conv_b.id].client is b

            listing = await captivate.list_across([a, b], "multi")
            for conv in listing:
                owner = "a" if conv.client is a else "b"
                # Usable on its own key's client: metadata, a message and its reply.
                assert (await conv.get_metadata())["owner"] == owner
                events = conv.events()
                await conv.send_message(f"hello {owner}")
                await next_of(events, captivate.BotMessage, lambda e: e.text == f"You said: hello {owner}")

            only_b = await captivate.list_across([a, b], "multi", api_keys=[hub.key2])
            assert [(c.id, c.client) for c in only_b] == [(conv_b.id, b)]
            paged = await captivate.list_across([a, b], "multi", page=1, limit=1)
            assert len(paged) == 1 and paged.pagination is not None and paged.pagination.total == 2
        finally:
            await a.close()
            await b.close()

    asyncio.run(main())


async def entry_files(conv: captivate.Conversation) -> List[captivate.File]:
    transcript = await conv.get_transcript()
    return [f for e in transcript.entries if e.sender == "user" for f in e.files]


@pytest.mark.parametrize("transport", ["socket", "http"])
def test_an_expired_link_comes_back_refreshed(hub: Hub, notes: pathlib.Path, transport: str) -> None:
    async def main() -> None:
        async with await client_for(hub, transport=transport) as client:
            conv = await client.start_conversation("refresh", start="user-first")
            file = await conv.upload_file(notes)
            assert file.storage is not None and file.storage.presigned_url is not None
            old = file.storage.presigned_url
            msg_id = await conv.send_message("notes", files=[file])
            await frame_of(hub, "user_message", lambda f: f["event"]["event_payload"]["client_msg_id"] == msg_id)

            assert hub.control("/control/expire-file", {"fileKey": file.storage.file_key})["expired"] == 1
            assert hub.fetch(old)[0] == 403
            [expired] = await entry_files(conv)
            # Read and refreshed: a new link, good for two hours, that serves the file.
            assert expired.storage is not None and expired.storage.presigned_url != old
            assert expired.storage.expires_at is not None and expired.storage.expires_at > time.time() + 3600
            assert hub.fetch(expired.storage.presigned_url or "") == (200, NOTES.encode())
            # And pushed back to the hub, as the official client does.
            edit = await frame_of(hub, "edit_message", lambda f: f["event"]["event_payload"]["message_id"] == msg_id)
            pushed = edit["event"]["event_payload"]["content"]["files"][0]["storage"]
            assert pushed["presignedUrl"] == expired.storage.presigned_url
            [kept] = await entry_files(conv)
            assert kept.storage is not None and kept.storage.presigned_url == expired.storage.presigned_url

        # With the refresh off, the expired link is left as the hub has it.
        async with await client_for(hub, transport=transport, refresh_file_links=False) as client:
            conv = await client.start_conversation("norefresh", start="user-first")
            file = await conv.upload_file(notes)
            assert file.storage is not None
            msg_id = await conv.send_message(files=[file])
            await frame_of(hub, "user_message", lambda f: f["event"]["event_payload"]["client_msg_id"] == msg_id)
            hub.control("/control/expire-file", {"fileKey": file.storage.file_key})
            [stale] = await entry_files(conv)
            assert stale.storage is not None and stale.storage.presigned_url == file.storage.presigned_url
            assert stale.storage.expires_at is not None and stale.storage.expires_at < time.time()
            edits = [f for f in hub.received() if f["event"]["event_type"] == "edit_message"]
            assert all(f["event"]["event_payload"]["message_id"] != msg_id for f in edits)

    asyncio.run(main())


def test_the_http_services_options_reach_the_client(hub: Hub, notes: pathlib.Path) -> None:
    async def main() -> None:
        # The file service elsewhere: uploads go there (nothing answers on port 1).
        async with await client_for(hub, files_url="http://127.0.0.1:1") as client:
            conv = await client.start_conversation("opts", start="user-first")
            with pytest.raises(captivate.HttpError, match="upload"):
                await conv.upload_file(notes)
        # The hub's HTTP API named explicitly, over the HTTP transport: sends reach the hub
        # over HTTP.
        async with await client_for(hub, transport="http", http_url=hub.http, files_url=hub.http) as client:
            conv = await client.start_conversation("opts2", start="user-first")
            msg_id = await conv.send_message("over http")
            frame = await frame_of(hub, "user_message", lambda f: f["event"]["event_payload"]["client_msg_id"] == msg_id)
            assert frame.get("via") == "http"
            assert (await conv.upload_file(notes)).text == NOTES
        # A large message's link on a host that is not trusted is fetched without the API key
        # (and so refused by the hub); trusting the host lets the key go there.
        assert hub.url.startswith("ws://127.0.0.1:")
        for trusted in (None, ["localhost"]):
            async with await client_for(hub, trusted_hosts=trusted) as client:
                conv = await client.start_conversation("trust", start="user-first")
                raw = client.raw_events()
                events = conv.events()
                await conv.send_message("big")
                big = await next_of(raw, captivate.HubErrorEvent, lambda e: e.message_link is not None)
                await next_of(events, captivate.BotMessage, lambda e: e.fetched_from_link)
                assert big.message_link is not None
                elsewhere = big.message_link.replace("//127.0.0.1:", "//localhost:")
                payload = {"conversation_id": conv.id, "error_code": 413, "error_desc": "Message too large"}
                hub.push(
                    {
                        "action": "receiveMessage",
                        "event": {"event_type": "general_error", "event_payload": {**payload, "message_link": elsewhere}},
                    }
                )
                if trusted is None:
                    refused = await next_of(events, captivate.HubErrorEvent)
                    assert refused.code == 413 and refused.message_link == elsewhere
                else:
                    fetched = await next_of(events, captivate.BotMessage)
                    assert fetched.fetched_from_link and fetched.text is not None and len(fetched.text) > 200 * 1024

    asyncio.run(main())


def test_the_blocking_client_uploads_and_lists_across(hub: Hub, notes: pathlib.Path) -> None:
    with captivate.BlockingClient.connect(hub.key, url=hub.url, request_timeout_ms=3000, transport="http") as a:
        with captivate.BlockingClient.connect(hub.key2, url=hub.url, request_timeout_ms=3000) as b:
            conv = a.start_conversation("blocking", start="user-first")
            file = conv.upload_file(notes)
            check_uploaded(file, hub, conv.id, "notes.txt")
            with open(notes, "rb") as fo:
                files = conv.upload_files([fo, NOTES.encode()])
            assert [f.text for f in files] == [NOTES, NOTES]
            assert a.upload_file(b"loose").text == "loose"
            assert [f.text for f in a.upload_files([b"1", b"2"])] == ["1", "2"]
            with pytest.raises(TypeError):
                conv.upload_file(3.5)  # type: ignore[arg-type]

            msg_id = conv.send_message("blocking notes", files=[file])
            assert file.storage is not None
            url = a.presigned_url(file.storage.file_key, expires_in=30)
            assert hub.fetch(url) == (200, NOTES.encode())

            hub.control("/control/expire-file", {"fileKey": file.storage.file_key})
            transcript = conv.get_transcript()
            [entry] = [e for e in transcript.entries if e.message_id == msg_id]
            refreshed = entry.files[0].storage
            assert refreshed is not None and refreshed.presigned_url != file.storage.presigned_url
            assert hub.fetch(refreshed.presigned_url or "") == (200, NOTES.encode())

            other = b.start_conversation("blocking", start="user-first")
            listing = captivate.list_across_blocking([a, b], "blocking")
            pairs = {(c.id, c.client) for c in listing}
            assert pairs == {(conv.id, a), (other.id, b)}
            for c in listing:
                assert isinstance(c, captivate.BlockingConversation)
                assert isinstance(c.get_metadata(), dict)
            with pytest.raises(TypeError, match="BlockingClient"):
                captivate.list_across_blocking([a, "b"], "blocking")  # type: ignore[list-item]
