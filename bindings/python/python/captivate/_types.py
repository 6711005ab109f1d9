"""Typed events, content items, transcripts and listings, built from the core's JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Union

JSON = Union[Dict[str, Any], List[Any], str, int, float, bool, None]


@dataclass(frozen=True)
class File:
    """A file attached to a message."""

    url: str
    type: Optional[str] = None
    filename: Optional[str] = None


@dataclass(frozen=True)
class TextItem:
    """A text item of a message."""

    text: str


@dataclass(frozen=True)
class ButtonOption:
    """One button: what the user sees and what to send back when chosen."""

    label: str
    value: str


@dataclass(frozen=True)
class ButtonsItem:
    """Buttons offered by the bot."""

    title: Optional[str]
    options: List[ButtonOption]


@dataclass(frozen=True)
class CardsItem:
    """Cards; their shape is not fixed by the protocol, so they are kept as JSON."""

    cards: Any


@dataclass(frozen=True)
class FilesItem:
    """Files sent by the bot or an agent."""

    files: List[File]


@dataclass(frozen=True)
class UnknownItem:
    """A content item of a type this library does not know, as the hub sent it."""

    type: Optional[str]
    raw: Dict[str, Any]


Item = Union[TextItem, ButtonsItem, CardsItem, FilesItem, UnknownItem]


def _file(v: Dict[str, Any]) -> File:
    return File(url=str(v.get("url") or ""), type=v.get("type") or v.get("mimetype"), filename=v.get("filename"))


def item_from_json(v: Any) -> Item:
    """Builds a content item from its canonical JSON."""
    if not isinstance(v, dict):
        return UnknownItem(type=None, raw={"value": v})
    t = v.get("type")
    if t == "text":
        return TextItem(text=str(v.get("text") or ""))
    if t == "buttons":
        b = v.get("buttons") or {}
        return ButtonsItem(
            title=b.get("title"),
            options=[ButtonOption(label=str(o.get("label")), value=str(o.get("value"))) for o in b.get("options") or []],
        )
    if t == "cards":
        return CardsItem(cards=v.get("cards"))
    if t == "files":
        return FilesItem(files=[_file(f) for f in v.get("files") or [] if isinstance(f, dict)])
    return UnknownItem(type=t if isinstance(t, str) else None, raw=v)


@dataclass(frozen=True)
class Action:
    """An action: its id (e.g. ``redirectToContactUs``), type and data."""

    id: str
    type: str
    data: Any


@dataclass(frozen=True)
class ConnectionState:
    """A connection state: ``initialized``, ``connecting``, ``connected``, ``disconnected``,
    ``suspended``, ``closing``, ``closed`` or ``failed``."""

    state: str
    attempt: Optional[int] = None
    retry_in: Optional[float] = None
    socket_id: Optional[str] = None

    @staticmethod
    def from_json(v: Dict[str, Any]) -> "ConnectionState":
        """Builds a state from its canonical JSON."""
        ms = v.get("retry_in_ms")
        return ConnectionState(
            state=str(v.get("state")),
            attempt=v.get("attempt"),
            retry_in=None if ms is None else ms / 1000.0,
            socket_id=v.get("socket_id"),
        )


@dataclass(frozen=True)
class Event:
    """Base of every event. ``raw`` is the frame as the hub sent it (``{}`` for events made by
    the library itself); ``json`` is the event's whole canonical JSON."""

    kind: str
    raw: Dict[str, Any] = field(repr=False)
    json: Dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class HubEventBase(Event):
    """An event from the hub."""

    event_type: str
    event_id: Optional[str]
    conversation_id: Optional[str]


@dataclass(frozen=True)
class Message(HubEventBase):
    """A bot or live-agent message. ``fetched_from_link``: it came as a 413 ``message_link`` and
    was fetched over HTTP; ``recovered``: it was missed while the connection was down and
    recovered from the transcript after the reconnect."""

    message_id: Optional[str]
    text: Optional[str]
    items: List[Item]
    fetched_from_link: bool
    recovered: bool

    @property
    def buttons(self) -> List[ButtonOption]:
        """Every button option of the message."""
        return [o for i in self.items if isinstance(i, ButtonsItem) for o in i.options]


@dataclass(frozen=True)
class BotMessage(Message):
    """A message from the chat flow (``bot_message``)."""


@dataclass(frozen=True)
class LivechatMessage(Message):
    """A message from a live agent in Slack, Teams, Freshdesk, ... (``livechat_message``)."""


@dataclass(frozen=True)
class ActionEvent(HubEventBase):
    """Actions sent by the flow, e.g. ``redirectToContactUs``."""

    actions: List[Action]


@dataclass(frozen=True)
class ConversationUpdate(HubEventBase):
    """A conversation update. ``update`` is ``agent_connected``, ``agent_disconnected``,
    ``failed_agent_assignment`` or ``other``; ``update_type`` is the hub's own name."""

    update_type: str
    update: str
    data: Any


@dataclass(frozen=True)
class HubErrorEvent(HubEventBase):
    """A ``general_error`` from the hub (on its own or nested in an update)."""

    code: Union[int, str, None]
    description: str
    message_link: Optional[str]
    nested: bool


@dataclass(frozen=True)
class RawEvent(HubEventBase):
    """Any other hub event: an unknown type (``kind == "unknown"``, with ``payload``), or a
    reply nobody waited for (``metadata``, ``transcript``, ...)."""

    payload: Any


@dataclass(frozen=True)
class StateChange(Event):
    """The connection's state changed."""

    previous: ConnectionState
    current: ConnectionState
    reason: Optional[str]


@dataclass(frozen=True)
class Discontinuity(Event):
    """The connection was re-established; events of this conversation may be missing (fetch the
    transcript to catch up)."""

    conversation_id: str


@dataclass(frozen=True)
class MalformedFrame(Event):
    """The hub sent a frame that could not be decoded; the connection goes on."""

    error: str
    text: str


@dataclass(frozen=True)
class Lagged(Event):
    """Nobody listened and the backlog overflowed: ``missed`` events were dropped."""

    missed: int


def event_from_json(v: Dict[str, Any]) -> Event:
    """Builds a typed event from the core's canonical JSON."""
    kind = str(v.get("kind"))
    raw = v.get("raw") if isinstance(v.get("raw"), dict) else {}
    assert isinstance(raw, dict)
    if kind == "state":
        return StateChange(
            kind=kind,
            raw=raw,
            json=v,
            previous=ConnectionState.from_json(v.get("previous") or {}),
            current=ConnectionState.from_json(v.get("current") or {}),
            reason=v.get("reason"),
        )
    if kind == "discontinuity":
        return Discontinuity(kind=kind, raw=raw, json=v, conversation_id=str(v.get("conversation_id")))
    if kind == "malformed":
        return MalformedFrame(kind=kind, raw=raw, json=v, error=str(v.get("error")), text=str(v.get("text")))
    if kind == "lagged":
        return Lagged(kind=kind, raw=raw, json=v, missed=int(v.get("missed") or 0))
    base: Dict[str, Any] = dict(
        kind=kind,
        raw=raw,
        json=v,
        event_type=str(v.get("event_type")),
        event_id=v.get("event_id"),
        conversation_id=v.get("conversation_id"),
    )
    if kind in ("bot_message", "livechat_message"):
        cls = BotMessage if kind == "bot_message" else LivechatMessage
        return cls(
            **base,
            message_id=v.get("message_id"),
            text=v.get("text"),
            items=[item_from_json(i) for i in v.get("content") or []],
            fetched_from_link=bool(v.get("fetched_from_link")),
            recovered=bool(v.get("recovered")),
        )
    if kind == "action":
        return ActionEvent(
            **base,
            actions=[Action(id=str(a.get("id")), type=str(a.get("type")), data=a.get("data")) for a in v.get("actions") or []],
        )
    if kind == "conversation_update":
        return ConversationUpdate(
            **base, update_type=str(v.get("update_type")), update=str(v.get("update")), data=v.get("data")
        )
    if kind == "error":
        return HubErrorEvent(
            **base,
            code=v.get("code"),
            description=str(v.get("description") or ""),
            message_link=v.get("message_link"),
            nested=bool(v.get("nested")),
        )
    payload = v.get("payload")
    if payload is None:
        ev = raw.get("event")
        payload = ev.get("event_payload") if isinstance(ev, dict) else None
    return RawEvent(**base, payload=payload)


@dataclass(frozen=True)
class TranscriptEntry:
    """One entry of a transcript. ``sender`` is ``user``, ``bot``, ``agent`` or the hub's value."""

    sender: str
    text: Optional[str]
    items: List[Item]
    actions: List[Action]
    files: List[File]
    event_id: Optional[str]
    message_id: Optional[str]
    raw: Dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class Transcript:
    """A conversation's transcript, oldest first."""

    entries: List[TranscriptEntry]

    @staticmethod
    def from_json(v: Dict[str, Any]) -> "Transcript":
        """Builds a transcript from the core's JSON."""
        return Transcript(
            entries=[
                TranscriptEntry(
                    sender=str(e.get("from")),
                    text=e.get("text"),
                    items=[item_from_json(i) for i in e.get("messages") or []],
                    actions=[Action(id=str(a.get("id")), type=str(a.get("type")), data=a.get("data")) for a in e.get("actions") or []],
                    files=[_file(f) for f in e.get("files") or [] if isinstance(f, dict)],
                    event_id=e.get("event_id"),
                    message_id=e.get("message_id"),
                    raw=e.get("raw") or {},
                )
                for e in v.get("entries") or []
            ]
        )


@dataclass(frozen=True)
class ConversationSummary:
    """A conversation in a listing."""

    conversation_id: str
    metadata: Dict[str, Any]
    api_key: Optional[str]


@dataclass(frozen=True)
class Pagination:
    """Paging information of a listing."""

    page: int
    page_size: int
    total: int
    total_pages: int
    has_next_page: bool
    has_prev_page: bool


@dataclass(frozen=True)
class ConversationList:
    """A page of a user's conversations."""

    conversations: List[ConversationSummary]
    pagination: Optional[Pagination]

    @staticmethod
    def from_json(v: Dict[str, Any]) -> "ConversationList":
        """Builds a listing from the core's JSON."""
        p = v.get("pagination")
        return ConversationList(
            conversations=[
                ConversationSummary(
                    conversation_id=str(c.get("conversation_id")), metadata=c.get("metadata") or {}, api_key=c.get("api_key")
                )
                for c in v.get("conversations") or []
            ],
            pagination=None
            if not isinstance(p, dict)
            else Pagination(
                page=int(p.get("page") or 0),
                page_size=int(p.get("pageSize") or 0),
                total=int(p.get("total") or 0),
                total_pages=int(p.get("totalPages") or 0),
                has_next_page=bool(p.get("hasNextPage")),
                has_prev_page=bool(p.get("hasPrevPage")),
            ),
        )
