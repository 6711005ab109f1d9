"""The exceptions: one flat hierarchy, every class deriving directly from ``CaptivateError``,
one per kind of error of the library (the same classes and codes as the Node package). Each
has a stable ``code`` (``"timeout"``, ``"hub"``, ...), a ``message`` and ``details`` (a dict of
the fields beyond the message)."""

from __future__ import annotations

from typing import Any, Dict, Optional, Type, Union

from . import _native


class CaptivateError(Exception):
    """Base of every error of the library."""

    code: str = "internal"

    def __init__(self, message: str, details: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: Dict[str, Any] = details if isinstance(details, dict) else {}

    def __reduce__(self) -> Any:
        return (type(self), (self.message, self.details))


class InvalidArgument(CaptivateError, ValueError):
    """An argument was not acceptable (also a ``ValueError``)."""

    code = "invalid_argument"


class Rejected(CaptivateError):
    """The hub rejected the API key. ``details["status"]``: the HTTP status."""

    code = "rejected"


class ConnectError(CaptivateError):
    """The connection could not be made (DNS, TCP, TLS, WebSocket handshake)."""

    code = "connect"


class Timeout(CaptivateError, TimeoutError):
    """The reply (or the proof of delivery) did not come in time (also a ``TimeoutError``)."""

    code = "timeout"


class ConnectionLost(CaptivateError):
    """The connection was lost before the call completed."""

    code = "connection_lost"


class PossiblyNotDelivered(CaptivateError):
    """The message was written to a connection that died before the hub confirmed reading it;
    ``client_msg_id`` identifies it in the transcript."""

    code = "possibly_not_delivered"

    @property
    def client_msg_id(self) -> Optional[str]:
        """The message's id."""
        v = self.details.get("client_msg_id")
        return v if isinstance(v, str) else None


class HubError(CaptivateError):
    """The hub answered with a ``general_error``."""

    code = "hub"

    @property
    def hub_code(self) -> Union[int, str, None]:
        """The hub's own error code (400 for an unknown conversation, ...)."""
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

    code = "queue_full"


class Closed(CaptivateError):
    """The client is closed."""

    code = "closed"


class Failed(CaptivateError):
    """The connection failed for good (the reconnect policy gave up)."""

    code = "failed"


class FrameTooLarge(CaptivateError):
    """A frame exceeds the maximum frame size."""

    code = "frame_too_large"


class ProtocolError(CaptivateError):
    """The hub sent something that is not the protocol."""

    code = "protocol"


class HttpError(CaptivateError):
    """A request to the hub's HTTP services failed: an upload, a presigned URL, the transcript
    over REST (``transport="http"``), or a request refused before it was made (the API key
    would have gone to a host that is not trusted). A failed fetch of a large message is not
    raised: the hub's 413 error event is delivered in the message's place."""

    code = "http"


class InternalError(CaptivateError):
    """A bug in this library."""

    code = "internal"


def _register() -> Dict[str, Type[CaptivateError]]:
    """Hands the class of every code of the native layer to it, which raises them from then on."""
    classes: Dict[str, Type[CaptivateError]] = {}
    CaptivateError.__module__ = "captivate"
    for code, class_name, _doc in _native.error_kinds():
        cls = globals()[class_name]
        assert isinstance(cls, type) and issubclass(cls, CaptivateError) and cls.code == code, class_name
        cls.__module__ = "captivate"
        classes[code] = cls
    _native.register_errors(classes)
    return classes


ERRORS: Dict[str, Type[CaptivateError]] = _register()
"""The class of every error code."""
