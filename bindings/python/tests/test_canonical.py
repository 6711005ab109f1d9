"""Every kind of event and every key of its canonical JSON (``core/tests/fixtures/canonical/
events.json``, the form every front end presents) maps to a class and a typed attribute of the
Python event objects, with the same value. Hub events come from the receive fixtures, decoded
as the client decodes them; the events the library makes itself are made for real, against the
local hub."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple, Type

import pytest

import captivate
from conftest import ROOT, Hub

FIXTURES = ROOT / "core" / "tests" / "fixtures"
CANONICAL: Dict[str, Dict[str, Any]] = json.loads((FIXTURES / "canonical" / "events.json").read_text())


# ----- the canonical JSON of values, read from their typed attributes only -----


def state_json(s: captivate.ConnectionState) -> Dict[str, Any]:
    out: Dict[str, Any] = {"state": s.state}
    if s.attempt is not None:
        out["attempt"] = s.attempt
    if s.retry_in_ms is not None:
        out["retry_in_ms"] = s.retry_in_ms
    if s.socket_id is not None:
        out["socket_id"] = s.socket_id
    return out


def file_json(f: captivate.File) -> Dict[str, Any]:
    out: Dict[str, Any] = {"url": f.url}
    if f.type is not None:
        out["type"] = f.type
    if f.filename is not None:
        out["filename"] = f.filename
    return out


def item_json(i: captivate.Item) -> Any:
    if isinstance(i, captivate.TextItem):
        return {"type": "text", "text": i.text}
    if isinstance(i, captivate.ButtonsItem):
        options = [{"label": o.label, "value": o.value} for o in i.options]
        return {"type": "buttons", "buttons": {"title": i.title, "options": options}}
    if isinstance(i, captivate.CardsItem):
        return {"type": "cards", "cards": i.cards}
    if isinstance(i, captivate.FilesItem):
        return {"type": "files", "files": [file_json(f) for f in i.files]}
    return i.raw


def action_json(a: captivate.Action) -> Dict[str, Any]:
    return {"id": a.id, "type": a.type, "data": a.data}


def entry_json(e: captivate.TranscriptEntry) -> Dict[str, Any]:
    return {
        "from": e.sender,
        "text": e.text,
        "messages": [item_json(i) for i in e.items],
        "actions": [action_json(a) for a in e.actions],
        "files": [file_json(f) for f in e.files],
        "event_id": e.event_id,
        "message_id": e.message_id,
        "channel_name": e.channel_name,
        "chatbot_name": e.chatbot_name,
        "livechat_name": e.livechat_name,
        "raw": e.raw,
    }


def pagination_json(p: Optional[captivate.Pagination]) -> Optional[Dict[str, Any]]:
    if p is None:
        return None
    return {
        "hasNextPage": p.has_next_page,
        "hasPrevPage": p.has_prev_page,
        "page": p.page,
        "pageSize": p.page_size,
        "total": p.total,
        "totalPages": p.total_pages,
    }


Getters = Dict[str, Callable[[Any], Any]]

HUB: Getters = {
    "event_type": lambda e: e.event_type,
    "event_id": lambda e: e.event_id,
    "conversation_id": lambda e: e.conversation_id,
}

# Every kind: its class, and for each key of its canonical JSON the attribute that carries it.
KINDS: Dict[str, Tuple[Type[captivate.Event], Getters]] = {
    "bot_message": (
        captivate.BotMessage,
        {
            **HUB,
            "message_id": lambda e: e.message_id,
            "text": lambda e: e.text,
            "content": lambda e: [item_json(i) for i in e.items],
            "fetched_from_link": lambda e: e.fetched_from_link,
            "recovered": lambda e: e.recovered,
        },
    ),
    "action": (captivate.ActionEvent, {**HUB, "actions": lambda e: [action_json(a) for a in e.actions]}),
    "conversation_update": (
        captivate.ConversationUpdate,
        {**HUB, "update_type": lambda e: e.update_type, "update": lambda e: e.update, "data": lambda e: e.data},
    ),
    "error": (
        captivate.HubErrorEvent,
        {
            **HUB,
            "code": lambda e: e.code,
            "description": lambda e: e.description,
            "message_link": lambda e: e.message_link,
            "nested": lambda e: e.nested,
        },
    ),
    "metadata": (captivate.MetadataEvent, {**HUB, "metadata": lambda e: e.metadata}),
    "transcript": (captivate.TranscriptEvent, {**HUB, "entries": lambda e: [entry_json(x) for x in e.entries]}),
    "message_edited": (captivate.MessageEdited, {**HUB, "message_id": lambda e: e.message_id}),
    "conversation_deleted": (captivate.ConversationDeleted, {**HUB, "user_id": lambda e: e.user_id}),
    "user_conversations": (
        captivate.UserConversations,
        {
            **HUB,
            "conversations": lambda e: [
                {"conversation_id": c.conversation_id, "metadata": c.metadata, "api_key": c.api_key}
                for c in e.conversations
            ],
            "pagination": lambda e: pagination_json(e.pagination),
        },
    ),
    "conversation_started": (captivate.ConversationStarted, dict(HUB)),
    "metadata_updated": (captivate.MetadataUpdated, dict(HUB)),
    "socket_connected": (captivate.SocketConnected, {**HUB, "socket_id": lambda e: e.socket_id}),
    "unknown": (captivate.UnknownEvent, {**HUB, "payload": lambda e: e.payload}),
    "state": (
        captivate.StateChange,
        {
            "previous": lambda e: state_json(e.previous),
            "current": lambda e: state_json(e.current),
            "reason": lambda e: e.reason,
            "queued": lambda e: e.queued,
        },
    ),
    "discontinuity": (captivate.Discontinuity, {"conversation_id": lambda e: e.conversation_id}),
    "malformed": (captivate.MalformedFrame, {"error": lambda e: e.error, "text": lambda e: e.text}),
    "delivery": (
        captivate.DeliveryReport,
        {
            "client_msg_id": lambda e: e.client_msg_id,
            "conversation_id": lambda e: e.conversation_id,
            "delivered": lambda e: e.delivered,
        },
    ),
    "lagged": (captivate.Lagged, {"missed": lambda e: e.missed}),
}
KINDS["livechat_message"] = (captivate.LivechatMessage, KINDS["bot_message"][1])


def typed(e: captivate.Event) -> Dict[str, Any]:
    """The canonical JSON of an event, from its typed attributes."""
    cls, getters = KINDS[e.kind]
    assert type(e) is cls, (e.kind, type(e))
    return {"kind": e.kind, **{key: get(e) for key, get in getters.items()}}


def without_raw(v: Dict[str, Any]) -> Dict[str, Any]:
    return {k: x for k, x in v.items() if k != "raw"}


def test_every_hub_event_of_the_fixtures_maps_to_typed_attributes() -> None:
    hub_kinds = set()
    for path in sorted((FIXTURES / "receive").glob("*.json")):
        canonical = CANONICAL[path.stem]
        text = path.read_text()
        e = captivate.decode_frame(text)
        assert isinstance(e, captivate.HubEventBase)
        assert set(canonical) - {"kind"} <= set(KINDS[e.kind][1]), f"{path.stem}: a key without an attribute"
        assert typed(e) == canonical, path.stem
        assert e.raw == json.loads(text) and without_raw(e.json) == canonical
        hub_kinds.add(e.kind)
    unknown = captivate.decode_frame(json.dumps({"event": {"event_type": "typing", "event_payload": {"on": True}}}))
    assert typed(unknown) == without_raw(unknown.json) and unknown.payload == {"on": True}  # type: ignore[attr-defined]
    with pytest.raises(captivate.ProtocolError):
        captivate.decode_frame("{not json")


async def library_events(hub: Hub) -> List[captivate.Event]:
    """One of each kind of event the library makes itself, for real."""
    got: List[captivate.Event] = []

    async def until(stream: captivate.EventStream, cls: Type[captivate.Event], pred: Callable[[Any], bool]) -> None:
        while True:
            e = await stream.next(timeout=10)
            assert e is not None, f"no {cls.__name__}"
            if isinstance(e, cls) and pred(e):
                got.append(e)
                return

    def state(name: str) -> Callable[[Any], bool]:
        return lambda e: e.current.state == name

    client = await captivate.connect(
        hub.key, url=hub.url, delivery="at-least-once", request_timeout_ms=300, reconnect={"initial_delay_ms": 20}
    )
    events = client.events()
    await until(events, captivate.StateChange, state("connected"))
    conv = await client.start_conversation("lib", start="user-first")
    conv_events = conv.events()
    hub.push_text("{not json")
    await until(events, captivate.MalformedFrame, lambda e: True)
    # A message the stalled hub does not confirm in time: its outcome comes later.
    hub.faults(stall=True)
    with pytest.raises(captivate.Timeout):
        await conv.send_message("late")
    hub.faults()
    await until(conv_events, captivate.DeliveryReport, lambda e: True)
    hub.control("/control/drop")
    await until(events, captivate.StateChange, state("disconnected"))
    await until(conv_events, captivate.Discontinuity, lambda e: True)
    await client.close()
    await until(events, captivate.StateChange, state("closed"))

    suspended = await captivate.connect(
        hub.key, url="ws://127.0.0.1:1/dev", lazy=True, reconnect={"suspend_after_ms": 100, "initial_delay_ms": 20}
    )
    await until(suspended.events(), captivate.StateChange, state("suspended"))
    await suspended.close()

    small = await captivate.connect(hub.key, url=hub.url, max_backlog=2)
    quiet = await small.start_conversation("quiet", start="user-first")
    for i in range(5):  # nobody listens to this conversation yet
        hub.push({"action": "receiveMessage", "event": {"event_type": "mystery", "event_payload": {"conversation_id": quiet.id}, "event_id": f"m{i}"}})
    elsewhere = {"conversation_id": "elsewhere"}  # names no open conversation: the client's
    hub.push({"action": "receiveMessage", "event": {"event_type": "mystery", "event_payload": elsewhere, "event_id": "done"}})
    await until(small.events(), captivate.UnknownEvent, lambda e: e.event_id == "done")
    await until(quiet.events(), captivate.Lagged, lambda e: e.missed == 3)
    await small.close()
    return got


def test_every_event_the_library_makes_maps_to_typed_attributes(hub: Hub) -> None:
    got = asyncio.run(library_events(hub))
    seen = set()
    for e in got:
        assert typed(e) == without_raw(e.json)
        if not isinstance(e, captivate.HubEventBase):
            seen.add(e.kind)
    # Every key of every canonical example has its attribute.
    for name, canonical in CANONICAL.items():
        cls, getters = KINDS[canonical["kind"]]
        assert set(canonical) - {"kind"} == set(getters), name
    library_kinds = {v["kind"] for k, v in CANONICAL.items() if not (FIXTURES / "receive" / f"{k}.json").exists()}
    assert library_kinds == seen == {"state", "discontinuity", "malformed", "delivery", "lagged"}
    states = {e.current.state for e in got if isinstance(e, captivate.StateChange)}
    assert states == {"connected", "disconnected", "closed", "suspended"}
