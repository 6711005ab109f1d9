"""The asyncio and blocking clients are one table of operations: every operation is written
once (a method of ``Client`` or ``Conversation``) and the blocking classes are made from it, with
their types in a stub written from the same functions."""

from __future__ import annotations

import inspect
import threading
from typing import Any, Callable, Dict, List, Set, Tuple

import pytest

import captivate
from captivate import _stubgen
from conftest import ROOT, Hub, in_thread

STUB = ROOT / "bindings" / "python" / "python" / "captivate" / "_blocking.pyi"

PAIRS = [
    (captivate.Client, captivate.BlockingClient),
    (captivate.Conversation, captivate.BlockingConversation),
]

ASYNC_ONLY = {"__aenter__", "__aexit__"}
BLOCKING_ONLY = {"__enter__", "__exit__"}

NOT_METHODS = {"__annotations__", "__slots__", "__orig_bases__", "__parameters__", "__weakref__", "__dict__"}


def public(cls: type) -> Set[str]:
    """The methods and properties ``cls`` offers (its own and inherited, dunders of protocols
    included), minus what ``object`` has."""
    names = {n for n in dir(cls) if not n.startswith("_") or (n.startswith("__") and n.endswith("__"))}
    return {n for n in names if n not in dir(object) and n not in NOT_METHODS}


def test_the_blocking_stub_is_what_the_operations_make() -> None:
    written = _stubgen.blocking_stub()
    assert STUB.read_text(encoding="utf-8") == written, (
        "_blocking.pyi is stale: run `python -m captivate._stubgen bindings/python/python/captivate/_blocking.pyi` "
        "with the package installed"
    )


@pytest.mark.parametrize("aio, blocking", PAIRS)
def test_both_clients_have_the_same_operations(aio: type, blocking: type) -> None:
    assert public(aio) - ASYNC_ONLY == public(blocking) - BLOCKING_ONLY


@pytest.mark.parametrize("aio, blocking", PAIRS)
def test_each_operation_is_written_once(aio: type, blocking: type) -> None:
    for name in sorted(n for n in public(aio) if not n.startswith("_")):
        a = inspect.getattr_static(aio, name)
        b = inspect.getattr_static(blocking, name)
        if a is b:
            continue  # inherited from the same base by both
        fa = inspect.unwrap(getattr(a, "__func__", a))
        fb = getattr(b, "__func__", b)
        # The same code, defaults and docstring: the blocking method is the asyncio one's function.
        assert fb.__code__ is fa.__code__, name
        assert fb.__doc__ == fa.__doc__ and fb.__doc__, name
        assert fb.__defaults__ == fa.__defaults__ and fb.__kwdefaults__ == fa.__kwdefaults__, name
        pa = list(inspect.signature(fa).parameters)
        assert list(inspect.signature(fb).parameters) == pa, name
        # Its types are the blocking ones: what the asyncio method's awaitable gives.
        ra, rb = fa.__annotations__["return"], fb.__annotations__["return"]
        assert "Awaitable" not in rb and "Coroutine" not in rb, name
        if "Awaitable" in ra or "Coroutine" in ra:
            assert rb in ra.replace("Client", "BlockingClient").replace("Conversation", "BlockingConversation"), name


def test_the_asyncio_forms_keep_their_kind() -> None:
    # Coroutine functions that start when awaited; the others start when called.
    assert inspect.iscoroutinefunction(captivate.connect)
    assert inspect.iscoroutinefunction(captivate.Client.close)
    assert inspect.iscoroutinefunction(captivate.Client.reconnect)
    assert not inspect.iscoroutinefunction(captivate.Client.list_conversations)
    assert captivate.list_across == captivate.Client.list_across
    assert captivate.list_across_blocking == captivate.BlockingClient.list_across


def test_the_blocking_client_has_every_listener_and_the_raw_events(hub: Hub) -> None:
    """What only the asyncio client had before the table (raw events, the action, update and
    error callbacks of a conversation) works in the blocking client too."""

    def work() -> None:
        with captivate.BlockingClient.connect(hub.key, url=hub.url, request_timeout=3.0) as client:
            conv = client.start_conversation("twins", start="user-first")
            raw = client.raw_events()
            seen: List[Any] = []
            got = {"action": threading.Event(), "update": threading.Event(), "error": threading.Event()}

            def keep(kind: str) -> Callable[[Any], None]:
                def fn(e: Any) -> None:
                    seen.append(e)
                    got[kind].set()

                return fn

            stops = [conv.on_action(keep("action")), conv.on_update(keep("update")), conv.on_error(keep("error"))]
            pushed: List[Tuple[str, Dict[str, Any]]] = [
                ("action", {"actions": [{"id": "openForm", "type": "normal", "data": {}}]}),
                ("conversation_update", {"type": "agent_connected", "data": {}}),
                ("general_error", {"error_code": 500, "error_desc": "boom"}),
            ]
            for i, (event_type, payload) in enumerate(pushed):
                payload["conversation_id"] = conv.id
                event = {"event_type": event_type, "event_payload": payload, "event_id": f"tw{i}"}
                hub.push({"action": "receiveMessage", "event": event})
            for kind, flag in got.items():
                assert flag.wait(10), f"no {kind} callback"
            assert {type(e) for e in seen} == {
                captivate.ActionEvent,
                captivate.ConversationUpdate,
                captivate.HubErrorEvent,
            }
            for stop in stops:
                stop()
            # The raw stream saw the frames, before routing.
            types: Set[str] = set()
            while len(types & {"action", "conversation_update", "general_error"}) < 3:
                e = raw.next(timeout=10)
                assert e is not None, "the raw stream ended"
                if isinstance(e, captivate.HubEventBase):
                    types.add(e.event_type)
            raw.close()

    in_thread(work)


def test_conversation_handles_are_equal_by_client_and_id(hub: Hub) -> None:
    def work() -> None:
        with captivate.BlockingClient.connect(hub.key, url=hub.url, request_timeout=3.0) as client:
            conv = client.start_conversation("twins-eq", start="user-first")
            again = client.conversation(conv.id)
            assert again == conv and hash(again) == hash(conv) and again is not conv
            assert conv != client.start_conversation("twins-eq", start="user-first")

    in_thread(work)
