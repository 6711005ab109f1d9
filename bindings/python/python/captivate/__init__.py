"""captivate: a fast, reliable client for the Captivate Chat Socket API.

asyncio first::

    client = await captivate.connect("my-api-key")            # mode="prod" | "dev", or url=...
    conv = await client.start_conversation("user-1")          # bot-first: the flow greets
    await conv.send_message("Hello")
    async for event in conv.events():
        if isinstance(event, captivate.BotMessage):
            print(event.text)

Files go through the official file-to-text service (``await conv.upload_file(path)`` gives a
``File`` to send with ``conv.send_message(files=[...])``); ``captivate.list_across`` lists a
user's conversations across several API keys. Callbacks (``conv.on_message(fn)``) and a
blocking client (``captivate.BlockingClient``) are alternatives. Every error derives from ``captivate.CaptivateError``; the library's log records
go to ``logging.getLogger("captivate")``. ``captivate.testing.Hub`` is a local hub in the process
for testing an application offline (with pytest: the ``captivate_hub`` fixture).
"""

from __future__ import annotations

from typing import Dict, List, NamedTuple, Union

from . import _native
from ._aio import EventStream
from ._blocking import BlockingClient, BlockingConversation, BlockingEventStream, list_across_blocking
from ._client import JSON, Client, Conversation, connect, list_across
from ._errors import (
    ERRORS,
    CaptivateError,
    Closed,
    ConnectError,
    ConnectionLost,
    Failed,
    FrameTooLarge,
    HttpError,
    HubError,
    InternalError,
    InvalidArgument,
    PossiblyNotDelivered,
    ProtocolError,
    QueueFull,
    Rejected,
    Timeout,
)
from ._files import Source
from ._logs import TRACE, sync_log_level
from ._native import (
    Action,
    ActionEvent,
    BotMessage,
    ButtonOption,
    ButtonsItem,
    CardsItem,
    ConnectionState,
    ConversationDeleted,
    ConversationList,
    ConversationStarted,
    ConversationSummary,
    ConversationUpdate,
    DeliveryReport,
    Discontinuity,
    Event,
    File,
    FilesItem,
    FileStorage,
    HubErrorEvent,
    HubEventBase,
    Lagged,
    LivechatMessage,
    MalformedFrame,
    Message,
    MessageEdited,
    MetadataEvent,
    MetadataUpdated,
    Pagination,
    RawEvent,
    SocketConnected,
    StateChange,
    TextItem,
    Transcript,
    TranscriptEntry,
    TranscriptEvent,
    UnknownEvent,
    UnknownItem,
    UserConversations,
    decode_frame,
)
from ._options import ConnectOptions, ReconnectOptions
from ._results import CrossKeyListing, FileList

__version__: str = _native.__version__

Item = Union[TextItem, ButtonsItem, CardsItem, FilesItem, UnknownItem]
"""A content item of a message or a transcript entry."""


class OptionSpec(NamedTuple):
    """One option of ``connect``: its name, what it takes, the values it allows (for
    ``one_of``) and its meaning. Names under ``reconnect.`` go in the ``reconnect`` dict."""

    name: str
    type: str
    choices: List[str]
    doc: str


OPTIONS: List[OptionSpec] = [OptionSpec(*o) for o in _native.options()]
"""Every option of ``connect`` and ``BlockingClient.connect`` (the schema every front end shares):
``type`` is ``text``, ``one_of``, ``millis`` (milliseconds), ``flag``, ``count`` or ``text_list``
(a list of str). ``ConnectOptions`` types them for type checkers."""

ERROR_CLASSES: Dict[str, type] = dict(ERRORS)
"""The exception class of every error code."""

__all__ = [
    "ERROR_CLASSES",
    "JSON",
    "OPTIONS",
    "TRACE",
    "Action",
    "ActionEvent",
    "BlockingClient",
    "BlockingConversation",
    "BlockingEventStream",
    "BotMessage",
    "ButtonOption",
    "ButtonsItem",
    "CaptivateError",
    "CardsItem",
    "Client",
    "Closed",
    "ConnectOptions",
    "ConnectError",
    "ConnectionLost",
    "ConnectionState",
    "Conversation",
    "ConversationDeleted",
    "ConversationList",
    "ConversationStarted",
    "ConversationSummary",
    "ConversationUpdate",
    "CrossKeyListing",
    "DeliveryReport",
    "Discontinuity",
    "Event",
    "EventStream",
    "Failed",
    "File",
    "FileList",
    "FileStorage",
    "FilesItem",
    "FrameTooLarge",
    "HttpError",
    "HubError",
    "HubErrorEvent",
    "HubEventBase",
    "InternalError",
    "InvalidArgument",
    "Item",
    "Lagged",
    "LivechatMessage",
    "MalformedFrame",
    "Message",
    "MessageEdited",
    "MetadataEvent",
    "MetadataUpdated",
    "OptionSpec",
    "Pagination",
    "PossiblyNotDelivered",
    "ProtocolError",
    "QueueFull",
    "RawEvent",
    "ReconnectOptions",
    "Rejected",
    "SocketConnected",
    "Source",
    "StateChange",
    "TextItem",
    "Timeout",
    "Transcript",
    "TranscriptEntry",
    "TranscriptEvent",
    "UnknownEvent",
    "UnknownItem",
    "UserConversations",
    "__version__",
    "connect",
    "decode_frame",
    "list_across",
    "list_across_blocking",
    "sync_log_level",
]
