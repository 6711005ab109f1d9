"""Type stubs of the native layer (private: use the ``captivate`` package)."""

from typing import Any, Dict, Iterator, List, Mapping, Optional, SupportsIndex, Tuple, Type, Union, final, overload

from typing_extensions import disjoint_base

__all__ = [
    "Action",
    "ActionEvent",
    "BotMessage",
    "ButtonOption",
    "ButtonsItem",
    "CardsItem",
    "Completions",
    "ConnectionState",
    "ConversationDeleted",
    "ConversationList",
    "ConversationStarted",
    "ConversationSummary",
    "ConversationUpdate",
    "DeliveryReport",
    "Discontinuity",
    "Event",
    "Feed",
    "File",
    "FileStorage",
    "FilesItem",
    "HubErrorEvent",
    "Hub",
    "HubEventBase",
    "Lagged",
    "LivechatMessage",
    "MalformedFrame",
    "Message",
    "MessageEdited",
    "MetadataEvent",
    "MetadataUpdated",
    "Pagination",
    "RawEvent",
    "Session",
    "SocketConnected",
    "StateChange",
    "TextItem",
    "Transcript",
    "TranscriptEntry",
    "TranscriptEvent",
    "UnknownEvent",
    "UnknownItem",
    "UserConversations",
    "__version__",
    "decode_frame",
    "error_kinds",
    "log_pipe",
    "options",
    "register_errors",
    "set_log_level",
    "take_logs",
]

__version__: str

def options() -> List[Tuple[str, str, List[str], str]]: ...
def decode_frame(text: str) -> Event: ...
def error_kinds() -> List[Tuple[str, str, str]]: ...
def register_errors(classes: Mapping[str, Type[BaseException]]) -> None: ...
def log_pipe() -> Tuple[int, int]: ...
def set_log_level(level: int) -> bool: ...
def take_logs() -> Tuple[List[Tuple[int, str, str]], int]: ...

# ----- plumbing -----

@final
class Completions:
    def __new__(cls, pipe: bool = True) -> "Completions": ...
    def fileno(self) -> int: ...
    def writer_fileno(self) -> int: ...
    def take(self) -> Tuple[List[Tuple[int, Optional[BaseException], Any]], List[int]]: ...
    def wait(self, token: int, timeout: Optional[float] = None) -> Any: ...
    def cancel(self, token: int) -> None: ...
    def close(self) -> None: ...

@final
class Feed:
    @property
    def id(self) -> int: ...
    def attach(self, completions: Completions) -> None: ...
    def listen(self, conversation_id: Optional[str] = None, persistent: bool = False) -> int: ...
    def unlisten(self, key: int) -> None: ...
    def next(self, key: int) -> Optional[Event]: ...
    def ended(self, key: int) -> bool: ...
    def pump_woken(self) -> List[int]: ...
    def next_blocking(self, key: int, timeout: Optional[float] = None) -> Optional[Event]: ...

@final
class Hub:
    """A local hub running in this process (``captivate.testing.Hub`` wraps it)."""

    def __new__(cls, options: Optional[Dict[str, Any]] = None) -> "Hub": ...
    @staticmethod
    def hub_options() -> List[Tuple[str, str]]: ...
    @staticmethod
    def fault_names() -> List[str]: ...
    def is_running(self) -> bool: ...
    def url(self) -> str: ...
    def http_url(self) -> str: ...
    def api_key(self) -> str: ...
    def port(self) -> int: ...
    def ca_pem(self) -> Optional[str]: ...
    def client_options(self) -> Dict[str, Any]: ...
    def set_script(self, script: Optional[Dict[str, Any]] = None) -> None: ...
    def script(self) -> Dict[str, Any]: ...
    def set_faults(self, faults: Optional[Dict[str, Any]] = None) -> None: ...
    def faults(self) -> Dict[str, Any]: ...
    def drop_connections(self) -> None: ...
    def close_connections(self, code: int, reason: str) -> None: ...
    def restart(self, down_for: float) -> None: ...
    def push(self, frame: Any) -> None: ...
    def push_text(self, text: str) -> None: ...
    def bot_says(self, conversation_id: str, content: Any, send: bool) -> None: ...
    def agent_says(self, conversation_id: str, content: Any, send: bool) -> None: ...
    def update(self, conversation_id: str, update: Any) -> None: ...
    def received(
        self, conversation_id: Optional[str] = None, event_type: Optional[str] = None
    ) -> List[Dict[str, Any]]: ...
    def requests(self) -> List[Dict[str, Any]]: ...
    def conversations(self) -> List[Dict[str, Any]]: ...
    def files(self) -> List[Dict[str, Any]]: ...
    def expire_files(self, file_key: Optional[str] = None) -> int: ...
    def live_connections(self) -> int: ...
    def connections_accepted(self) -> int: ...
    def reset(self) -> None: ...
    def stop(self) -> None: ...

@final
class Session:
    @staticmethod
    def connect(completions: Completions, options: Dict[str, Any], lazy: bool = False) -> int: ...
    def state(self) -> ConnectionState: ...
    def socket_id(self) -> Optional[str]: ...
    def feed(self) -> Feed: ...
    def raw_feed(self) -> Feed: ...
    def start_conversation(self, completions: Completions, options: Dict[str, Any]) -> int: ...
    def conversation(self, conversation_id: str) -> str: ...
    def list_conversations(self, completions: Completions, options: Dict[str, Any]) -> int: ...
    def delete_user_conversations(self, completions: Completions, user_id: str, hard: bool) -> int: ...
    def request(
        self,
        completions: Completions,
        event_type: str,
        payload: Any = None,
        reply_type: Optional[str] = None,
        conversation_id: Optional[str] = None,
    ) -> int: ...
    def send_message(
        self, completions: Completions, conversation_id: str, text: Optional[str] = None, files: Any = None
    ) -> int: ...
    def set_metadata(
        self, completions: Completions, conversation_id: str, metadata: Any, target: Optional[str] = None
    ) -> int: ...
    def set_private_metadata(self, completions: Completions, conversation_id: str, private: Any) -> int: ...
    def set_time_to_live(self, completions: Completions, conversation_id: str, days: Any) -> int: ...
    def get_metadata(self, completions: Completions, conversation_id: str) -> int: ...
    def send_action(
        self,
        completions: Completions,
        conversation_id: str,
        action_id: str,
        data: Any = None,
        action_type: Optional[str] = None,
    ) -> int: ...
    def edit_message(
        self,
        completions: Completions,
        conversation_id: str,
        message_id: str,
        text: Optional[str] = None,
        files: Any = None,
    ) -> int: ...
    def get_transcript(self, completions: Completions, conversation_id: str) -> int: ...
    def upload_file(
        self, completions: Completions, conversation_id: Optional[str], data: bytes, options: Dict[str, Any]
    ) -> int: ...
    def upload_files(
        self, completions: Completions, conversation_id: Optional[str], files: List[Tuple[bytes, Dict[str, Any]]]
    ) -> int: ...
    def presigned_url(self, completions: Completions, file_key: str, expires_in: Optional[int] = None) -> int: ...
    @staticmethod
    def list_across(completions: Completions, sessions: List[Session], options: Dict[str, Any]) -> int: ...
    def delete_conversation(self, completions: Completions, conversation_id: str, hard: bool) -> int: ...
    def reconnect(self, completions: Completions) -> int: ...
    def close(self, completions: Completions) -> int: ...

# ----- values -----

@final
class File:
    """A file attached to a message, or uploaded: where it can be downloaded (``url``, or the
    presigned link of its ``storage``), its MIME type, its name, and the text the file-to-text
    service extracted from it."""

    def __new__(cls, url: str, type: Optional[str] = None, filename: Optional[str] = None) -> "File": ...
    @staticmethod
    def from_json(obj: Dict[str, Any]) -> "File":
        """A file from the JSON object a message carries (e.g. ``File.json`` kept from earlier)."""
    @property
    def url(self) -> Optional[str]:
        """Where the file can be downloaded; None for a stored upload (see ``storage`` and ``link``)."""
    @property
    def type(self) -> Optional[str]:
        """Its MIME type, when known."""
    @property
    def filename(self) -> Optional[str]:
        """Its file name, when known."""
    @property
    def storage(self) -> Optional[FileStorage]:
        """Where the file-to-text service keeps it, for a stored upload."""
    @property
    def text_content(self) -> Optional[Dict[str, Any]]:
        """The extracted text as a message carries it: ``{"type": "file_content", "text", "metadata"}``."""
    @property
    def text(self) -> Optional[str]:
        """The extracted text (``text_content["text"]``), when given."""
    @property
    def link(self) -> Optional[str]:
        """The link to download it: its URL, else the presigned link of its storage."""
    @property
    def json(self) -> Dict[str, Any]:
        """The JSON object a message carries for it."""
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class FileStorage:
    """Where the file-to-text service keeps an uploaded file."""

    @property
    def file_key(self) -> str:
        """The file's key in the store (for ``Client.presigned_url``)."""
    @property
    def presigned_url(self) -> Optional[str]:
        """A link to the file, working until ``expires_at``."""
    @property
    def expires_at(self) -> Optional[int]:
        """When the link expires, in unix seconds (``expiresIn`` on the wire)."""
    @property
    def file_size(self) -> Optional[int]:
        """The file's size in bytes."""
    @property
    def processing_time(self) -> Any:
        """How long the service took, as it reports it."""
    def __eq__(self, value: object, /) -> bool: ...

@final
class TextItem:
    """A text item of a message."""

    @property
    def text(self) -> str: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class ButtonOption:
    """One button: what the user sees, and what to send back when it is chosen."""

    @property
    def label(self) -> str: ...
    @property
    def value(self) -> str: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class ButtonsItem:
    """Buttons offered by the bot."""

    @property
    def title(self) -> Optional[str]: ...
    @property
    def options(self) -> List[ButtonOption]: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class CardsItem:
    """Cards, as the hub sent them."""

    @property
    def cards(self) -> Any: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class FilesItem:
    """Files sent by the bot or an agent."""

    @property
    def files(self) -> List[File]: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class UnknownItem:
    """A content item of a type this library does not know, as the hub sent it."""

    @property
    def type(self) -> Optional[str]: ...
    @property
    def raw(self) -> Any: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class Action:
    """An action: its id (e.g. ``redirectToContactUs``), type and data."""

    @property
    def id(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def data(self) -> Any: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class ConnectionState:
    """A connection state: ``initialized``, ``connecting``, ``connected``, ``disconnected``,
    ``suspended``, ``closing``, ``closed`` or ``failed``."""

    @property
    def state(self) -> str: ...
    @property
    def attempt(self) -> Optional[int]: ...
    @property
    def retry_in(self) -> Optional[float]: ...
    @property
    def retry_in_ms(self) -> Optional[int]: ...
    @property
    def socket_id(self) -> Optional[str]: ...
    @property
    def is_connected(self) -> bool: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class TranscriptEntry:
    """One entry of a transcript. ``sender`` is ``user``, ``bot``, ``agent`` or the hub's value."""

    @property
    def sender(self) -> str: ...
    @property
    def text(self) -> Optional[str]: ...
    @property
    def items(self) -> List[Union[TextItem, ButtonsItem, CardsItem, FilesItem, UnknownItem]]: ...
    @property
    def actions(self) -> List[Action]: ...
    @property
    def files(self) -> List[File]: ...
    @property
    def event_id(self) -> Optional[str]: ...
    @property
    def message_id(self) -> Optional[str]: ...
    @property
    def channel_name(self) -> Optional[str]: ...
    @property
    def chatbot_name(self) -> Optional[str]: ...
    @property
    def livechat_name(self) -> Optional[str]: ...
    @property
    def raw(self) -> Any: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class Transcript:
    """A conversation's transcript, oldest first: a sequence of entries (``len``, iteration,
    indexing and slicing, ``==`` with another transcript or a list of entries), with the entries
    as the hub sent them (``raw``)."""

    @property
    def entries(self) -> List[TranscriptEntry]: ...
    @property
    def raw(self) -> List[Any]: ...
    def __len__(self) -> int: ...
    @overload
    def __getitem__(self, key: SupportsIndex, /) -> TranscriptEntry: ...
    @overload
    def __getitem__(self, key: slice, /) -> List[TranscriptEntry]: ...
    def __iter__(self) -> Iterator[TranscriptEntry]: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class ConversationSummary:
    """A conversation in a listing."""

    @property
    def conversation_id(self) -> str: ...
    @property
    def metadata(self) -> Any: ...
    @property
    def api_key(self) -> Optional[str]: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class Pagination:
    """Paging information of a listing."""

    @property
    def page(self) -> int: ...
    @property
    def page_size(self) -> int: ...
    @property
    def total(self) -> int: ...
    @property
    def total_pages(self) -> int: ...
    @property
    def has_next_page(self) -> bool: ...
    @property
    def has_prev_page(self) -> bool: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class ConversationList:
    """A page of a user's conversations: a sequence of ``ConversationSummary`` (``len``,
    iteration, indexing and slicing, ``==`` with another listing or a list of summaries), with
    its ``pagination`` and the hub's JSON (``raw``)."""

    @property
    def conversations(self) -> List[ConversationSummary]: ...
    @property
    def pagination(self) -> Optional[Pagination]: ...
    @property
    def raw(self) -> Dict[str, Any]:
        """The listing as the hub's JSON: ``{"conversations": [each entry as the hub sent it,
        fields the library does not read included], "pagination"?: {...}}``."""
    def __len__(self) -> int: ...
    @overload
    def __getitem__(self, key: SupportsIndex, /) -> ConversationSummary: ...
    @overload
    def __getitem__(self, key: slice, /) -> List[ConversationSummary]: ...
    def __iter__(self) -> Iterator[ConversationSummary]: ...
    def __eq__(self, value: object, /) -> bool: ...

# ----- events -----

@disjoint_base
class Event:
    """Base of every event. ``kind`` names it; ``json`` is its whole canonical JSON."""

    @property
    def kind(self) -> str: ...
    @property
    def json(self) -> Dict[str, Any]: ...

class HubEventBase(Event):
    """An event from the hub, with the frame as received (``raw``, parsed when read)."""

    @property
    def event_type(self) -> str: ...
    @property
    def event_id(self) -> Optional[str]: ...
    @property
    def conversation_id(self) -> Optional[str]: ...
    @property
    def raw(self) -> Dict[str, Any]: ...

class Message(HubEventBase):
    """A bot or live-agent message."""

    @property
    def message_id(self) -> Optional[str]: ...
    @property
    def text(self) -> Optional[str]: ...
    @property
    def items(self) -> List[Union[TextItem, ButtonsItem, CardsItem, FilesItem, UnknownItem]]: ...
    @property
    def buttons(self) -> List[ButtonOption]: ...
    @property
    def fetched_from_link(self) -> bool: ...
    @property
    def recovered(self) -> bool: ...

@final
class BotMessage(Message):
    """A message from the chat flow (``bot_message``)."""

@final
class LivechatMessage(Message):
    """A message from a live agent (``livechat_message``)."""

@final
class ActionEvent(HubEventBase):
    """Actions sent by the flow."""

    @property
    def actions(self) -> List[Action]: ...

@final
class ConversationUpdate(HubEventBase):
    """A conversation update (agent connected, ...)."""

    @property
    def update_type(self) -> str: ...
    @property
    def update(self) -> str: ...
    @property
    def data(self) -> Any: ...

@final
class HubErrorEvent(HubEventBase):
    """A ``general_error`` from the hub."""

    @property
    def code(self) -> Union[int, str, None]: ...
    @property
    def description(self) -> str: ...
    @property
    def message_link(self) -> Optional[str]: ...
    @property
    def nested(self) -> bool: ...

class RawEvent(HubEventBase):
    """Any other hub event: replies to requests, and unknown types."""

@final
class SocketConnected(RawEvent):
    """``socket_connected``."""

    @property
    def socket_id(self) -> Optional[str]: ...

@final
class ConversationStarted(RawEvent):
    """``conversation_start_success``."""

@final
class MetadataUpdated(RawEvent):
    """``metadata_update_success``."""

@final
class MetadataEvent(RawEvent):
    """``conversation_metadata``."""

    @property
    def metadata(self) -> Any: ...

@final
class TranscriptEvent(RawEvent):
    """``conversation_transcript``."""

    @property
    def entries(self) -> List[TranscriptEntry]: ...

@final
class MessageEdited(RawEvent):
    """``message_edited_success``."""

    @property
    def message_id(self) -> Optional[str]: ...

@final
class ConversationDeleted(RawEvent):
    """``delete_conversation_success``."""

    @property
    def user_id(self) -> Optional[str]: ...

@final
class UserConversations(RawEvent):
    """``user_conversations``."""

    @property
    def conversations(self) -> List[ConversationSummary]: ...
    @property
    def pagination(self) -> Optional[Pagination]: ...

@final
class UnknownEvent(RawEvent):
    """An event type this library does not know."""

    @property
    def payload(self) -> Any: ...

@final
class StateChange(Event):
    """The connection's state changed."""

    @property
    def previous(self) -> ConnectionState: ...
    @property
    def current(self) -> ConnectionState: ...
    @property
    def reason(self) -> Optional[str]: ...
    @property
    def queued(self) -> int: ...

@final
class Discontinuity(Event):
    """The connection was re-established; events of this conversation may be missing."""

    @property
    def conversation_id(self) -> Optional[str]: ...

@final
class MalformedFrame(Event):
    """The hub sent a frame that could not be decoded."""

    @property
    def error(self) -> str: ...
    @property
    def text(self) -> str: ...

@final
class DeliveryReport(Event):
    """The late outcome of a message not confirmed in time (at-least-once)."""

    @property
    def client_msg_id(self) -> str: ...
    @property
    def conversation_id(self) -> Optional[str]: ...
    @property
    def delivered(self) -> bool: ...

@final
class Lagged(Event):
    """Nobody listened and the backlog overflowed: ``missed`` events were dropped."""

    @property
    def missed(self) -> int: ...
