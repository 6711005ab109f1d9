"""Every option of the schema the front ends share reaches the client from ``connect`` and
``BlockingClient.connect``: each is accepted with a value of its type, and refused, naming
itself, with a value of another."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Set, Tuple

import pytest

import captivate
from conftest import Hub

# A value of the right type for each kind of option, and one of a wrong type.
SAMPLES: Dict[str, Tuple[Any, Any]] = {
    "millis": (1234, "soon"),
    "flag": (True, "yes"),
    "count": (4096, -1),
    "text": ("x", 5),
    "text_list": (["trusted.example"], "trusted.example"),
}


def cases(hub: Hub, ca_file: str) -> Dict[str, Tuple[Dict[str, Any], Dict[str, Any]]]:
    """For each option: the arguments of connect (besides the key) with a good value and with a
    bad one."""
    out: Dict[str, Tuple[Dict[str, Any], Dict[str, Any]]] = {}
    for spec in captivate.OPTIONS:
        good: Any
        bad: Any
        if spec.type == "one_of":
            good, bad = spec.choices[-1], "nope"
        else:
            good, bad = SAMPLES[spec.type]
        if spec.name in ("url", "endpoint"):
            good = hub.url
        if spec.name in ("http_url", "files_url"):
            good = hub.http
        if spec.name == "ca_file":
            good = ca_file
        if spec.name == "ca_pem":
            with open(ca_file) as f:
                good = f.read()
        section, _, sub = spec.name.partition(".")
        if sub:
            out[spec.name] = ({section: {sub: good}}, {section: {sub: bad}})
        else:
            out[spec.name] = ({spec.name: good}, {spec.name: bad})
    return out


def test_the_schema_is_exposed() -> None:
    names = {o.name for o in captivate.OPTIONS}
    assert {"api_key", "mode", "url", "request_timeout_ms", "reconnect.max_attempts", "delivery"} <= names
    assert all(o.doc for o in captivate.OPTIONS)
    assert all(o.type in ("text", "one_of", "millis", "flag", "count", "text_list") for o in captivate.OPTIONS)


def test_the_typed_options_are_the_schema() -> None:
    """``ConnectOptions`` (what type checkers see) names every option of the schema, and
    ``ReconnectOptions`` every one of the reconnect policy; each duration (``_ms`` in the
    schema) also under its Python name in seconds."""

    def with_seconds(names: Set[str]) -> Set[str]:
        return names | {n[: -len("_ms")] for n in names if n.endswith("_ms")}

    top = {o.name for o in captivate.OPTIONS if "." not in o.name} - {"api_key", "mode", "url"}
    assert set(captivate.ConnectOptions.__annotations__) == with_seconds(top) | {"reconnect"}
    sub = {o.name.split(".", 1)[1] for o in captivate.OPTIONS if o.name.startswith("reconnect.")}
    assert set(captivate.ReconnectOptions.__annotations__) == with_seconds(sub)


def test_every_option_reaches_connect(hub: Hub, ca_file: str) -> None:
    async def main() -> None:
        for name, (good, bad) in cases(hub, ca_file).items():
            if name == "api_key":
                client = await captivate.connect("another-key", url=hub.url, lazy=True)
                await client.close()
                with pytest.raises(captivate.InvalidArgument, match="api_key"):
                    await captivate.connect(5, url=hub.url)  # type: ignore[arg-type]
                continue
            kwargs = dict(good)
            kwargs.setdefault("url", hub.url)
            client = await captivate.connect(hub.key, lazy=True, **kwargs)
            await client.close()
            field = name.rpartition(".")[2]
            with pytest.raises(captivate.InvalidArgument, match=field):
                await captivate.connect(hub.key, lazy=True, **bad)

    asyncio.run(main())


def test_every_option_reaches_the_blocking_client(hub: Hub, ca_file: str) -> None:
    for name, (good, bad) in cases(hub, ca_file).items():
        if name == "api_key":
            with pytest.raises(captivate.InvalidArgument, match="api_key"):
                captivate.BlockingClient.connect(5, url=hub.url)  # type: ignore[arg-type]
            continue
        kwargs = dict(good)
        kwargs.setdefault("url", hub.url)
        captivate.BlockingClient.connect(hub.key, lazy=True, **kwargs).close()
        field = name.rpartition(".")[2]
        with pytest.raises(captivate.InvalidArgument, match=field):
            captivate.BlockingClient.connect(hub.key, lazy=True, **bad)


def test_options_change_what_the_client_does(hub: Hub) -> None:
    async def main() -> None:
        # A refused connection gives up after the retries allowed.
        for retries in (1, 3):
            doomed = await captivate.connect(
                hub.key, url="ws://127.0.0.1:1/dev", lazy=True, reconnect={"max_attempts": retries, "initial_delay_ms": 10}
            )
            states: List[str] = []
            async for e in doomed.events():
                if isinstance(e, captivate.StateChange):
                    states.append(e.current.state)
                    if e.current.state == "failed":
                        break
            assert states.count("connecting") == retries + 1 and states[-1] == "failed", states
            await doomed.close()
        # Frames over max_frame_size are refused before they are sent.
        small = await captivate.connect(hub.key, url=hub.url, max_frame_size=2048)
        conv = await small.start_conversation("small", start="user-first")
        with pytest.raises(captivate.FrameTooLarge):
            await conv.send_message("x" * 4096)
        await small.close()

    asyncio.run(main())
