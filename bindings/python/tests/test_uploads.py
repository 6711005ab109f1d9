"""Uploads follow the core's one upload schema and its policy for several files, the same in
every language: the default name, values checked by the core, a bad file among several uploads
nothing, and a failure among several fails the call only once every upload has run."""

from __future__ import annotations

import asyncio
from typing import Any, List

import pytest

import captivate
from conftest import Hub
from test_client import client_for


def stored(hub: Hub) -> List[Any]:
    files: List[Any] = hub.control("/control/files", method="GET")
    return files


def test_several_uploads_one_policy(hub: Hub) -> None:
    async def main() -> None:
        async with await client_for(hub) as client:
            conv = await client.start_conversation("uploads", start="user-first")
            unnamed = await conv.upload_file(b"no name")
            assert unnamed.filename is not None and unnamed.filename.startswith("attachment_"), unnamed.filename
            assert unnamed.filename[len("attachment_") :].isdigit()
            before = len(stored(hub))
            with pytest.raises(captivate.InvalidArgument, match="file 1 of 2.*ttl"):
                await conv.upload_files([b"a", b"b"], ttl_days=5)
            with pytest.raises(captivate.InvalidArgument, match="ttl"):
                await conv.upload_file(b"a", ttl_days=3)
            with pytest.raises(captivate.InvalidArgument, match="name"):
                await conv.upload_file(b"a", filename="  ")
            assert len(stored(hub)) == before, "nothing uploaded"
            # The service fails one request of three: the call fails once the others are done.
            hub.faults(http_status=500, http_status_count=1, http_paths=["/api/file-to-text"])
            with pytest.raises(captivate.HttpError):
                await conv.upload_files([b"x", b"y", b"z"])
            assert len(stored(hub)) == before + 2, "the two others ran to their end and stay stored"

    asyncio.run(main())


def test_the_blocking_client_has_the_same_policy(hub: Hub) -> None:
    with captivate.BlockingClient.connect(hub.key, url=hub.url) as client:
        conv = client.start_conversation("uploads-blocking", start="user-first")
        before = len(stored(hub))
        with pytest.raises(captivate.InvalidArgument, match="file 2 of 2"):
            conv.upload_files([b"a", b"b"], storage=False, urls=["https://example.com/a", " "])
        assert len(stored(hub)) == before
        files = conv.upload_files([b"a", b"b"])
        assert [f.text for f in files] == ["a", "b"]
