"""The exception hierarchy: everything the library raises derives from CaptivateError."""

from __future__ import annotations

import json
from typing import Any, Dict, Optional, Type, Union


class CaptivateError(Exception):
    """Base of every error of the library. ``kind`` is a stable name such as ``timeout``."""

    kind: str = "internal"

    def __init__(self, message: str, details: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: Dict[str, Any] = details or {}


class InvalidArgument(CaptivateError, ValueError):
    """An argument's value is not acceptable."""

    kind = "invalid_argument"


class ConnectError(CaptivateError):
    """The connection could not be made (DNS, TCP, TLS, WebSocket handshake)."""

    kind = "connect"


class Rejected(ConnectError):
    """The hub refused the API key."""

    kind = "rejected"


class Timeout(CaptivateError, TimeoutError):
    """The call did not complete in time."""

    kind = "timeout"


class ConnectionLost(CaptivateError):
    """The connection was lost before the call completed."""

    kind = "connection_lost"


class PossiblyNotDelivered(ConnectionLost):
    """The message was written to a connection that died before the hub confirmed reading it.
    ``client_msg_id`` identifies it in the transcript."""

    kind = "possibly_not_delivered"

    @property
    def client_msg_id(self) -> Optional[str]:
        """The message's id."""
        v = self.details.get("client_msg_id")
        return v if isinstance(v, str) else None


class HubError(CaptivateError):
    """The hub answered with a ``general_error``."""

    kind = "hub"

    @property
    def code(self) -> Union[int, str, None]:
        """The hub's error code (400 for an unknown conversation, ...)."""
        v = self.details.get("code")
        return v if isinstance(v, (int, str)) else None

    @property
    def description(self) -> str:
        """The hub's description."""
        return str(self.details.get("description") or "")

    @property
    def conversation_id(self) -> Optional[str]:
        """The conversation the error concerns."""
        v = self.details.get("conversation_id")
        return v if isinstance(v, str) else None


class QueueFull(CaptivateError):
    """The offline queue is full."""

    kind = "queue_full"


class Closed(CaptivateError):
    """The client is closed."""

    kind = "closed"


class Failed(CaptivateError):
    """The client gave up reconnecting."""

    kind = "failed"


class FrameTooLarge(InvalidArgument):
    """A frame exceeds the maximum frame size."""

    kind = "frame_too_large"


class ProtocolError(CaptivateError):
    """The hub sent something that is not the protocol."""

    kind = "protocol"


class HttpError(CaptivateError):
    """Fetching a large message over HTTP failed. Reserved: not raised by this version (a failed
    fetch delivers the hub's 413 error event in the message's place)."""

    kind = "http"


_KINDS: Dict[str, Type[CaptivateError]] = {
    c.kind: c
    for c in (
        InvalidArgument,
        ConnectError,
        Rejected,
        Timeout,
        ConnectionLost,
        PossiblyNotDelivered,
        HubError,
        QueueFull,
        Closed,
        Failed,
        FrameTooLarge,
        ProtocolError,
        HttpError,
    )
}


def translate(args: Any) -> CaptivateError:
    """Turns the native layer's error arguments ``(kind, message, details_json)`` into the
    matching exception."""
    try:
        kind, message, details = args
        parsed = json.loads(details)
    except (ValueError, TypeError):
        return CaptivateError(str(args))
    cls = _KINDS.get(kind, CaptivateError)
    return cls(str(message), parsed if isinstance(parsed, dict) else {})
