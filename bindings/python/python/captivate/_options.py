"""The options of ``connect`` and ``BlockingClient.connect``, typed: the schema every front end
shares (``captivate.OPTIONS`` lists it at run time, with each option's meaning). Every option
may be left out or given as None, which keeps its default. Durations are given in seconds under
Python names (``request_timeout=3.0``, ``reconnect={"initial_delay": 0.05}``), as asyncio,
websockets and httpx take them; the schema's millisecond names (``request_timeout_ms=3000``)
are accepted too, not both for one option."""

from __future__ import annotations

from typing import Any, Dict, Literal, Mapping, Optional, Sequence, TypedDict

from ._errors import InvalidArgument


class ReconnectOptions(TypedDict, total=False):
    """The reconnect policy (the ``reconnect`` option)."""

    enabled: Optional[bool]
    initial_delay: Optional[float]
    """Seconds before the first retry."""
    max_delay: Optional[float]
    """The longest wait between retries, in seconds."""
    reset_after: Optional[float]
    """Seconds connected after which the attempts count from zero again."""
    suspend_after: Optional[float]
    """Seconds disconnected after which queued sends fail and retries slow down."""
    suspended_retry: Optional[float]
    """Seconds between retries once suspended."""
    initial_delay_ms: Optional[float]
    max_delay_ms: Optional[float]
    max_attempts: Optional[int]
    reset_after_ms: Optional[float]
    suspend_after_ms: Optional[float]
    suspended_retry_ms: Optional[float]


class ConnectOptions(TypedDict, total=False):
    """The keyword options of ``connect``: times in milliseconds, the reconnect policy as a
    dict, and the official client's HTTP services (``transport``, ``http_url``, ``files_url``,
    ``trusted_hosts``, ``refresh_file_links``)."""

    endpoint: Optional[str]
    connect_timeout: Optional[float]
    """Seconds to wait for ``socket_connected``."""
    request_timeout: Optional[float]
    """Seconds to wait for a reply (or the proof of delivery)."""
    metadata_timeout: Optional[float]
    """Seconds to wait for a metadata reply."""
    ping_interval: Optional[float]
    """Seconds between pings on a quiet connection."""
    liveness_grace: Optional[float]
    """Seconds of silence after a ping before the link is taken for dead."""
    close_timeout: Optional[float]
    """Seconds a graceful close may take."""
    connect_timeout_ms: Optional[float]
    request_timeout_ms: Optional[float]
    metadata_timeout_ms: Optional[float]
    ping_interval_ms: Optional[float]
    liveness_grace_ms: Optional[float]
    close_timeout_ms: Optional[float]
    reconnect: Optional[ReconnectOptions]
    queue_while_offline: Optional[bool]
    max_queued_events: Optional[int]
    max_queued_bytes: Optional[int]
    delivery: Optional[Literal["at-most-once", "at-least-once"]]
    dedupe_window: Optional[int]
    catch_up: Optional[bool]
    max_backlog: Optional[int]
    tls_roots: Optional[Literal["webpki", "system", "both", "none"]]
    ca_file: Optional[str]
    ca_pem: Optional[str]
    max_frame_size: Optional[int]
    dialect: Optional[Literal["current", "legacy"]]
    socket_per_conversation: Optional[bool]
    fetch_large_messages: Optional[bool]
    transport: Optional[Literal["socket", "http"]]
    """``"socket"`` (default): requests go over the WebSocket; ``"http"``: they are POSTed to the
    hub's HTTP API with the socket's id, as the official client sends them (replies still come
    on the socket), and the transcript is read over REST."""
    http_url: Optional[str]
    """The HTTP base of the hub's services (default: by mode, or the hub's own host)."""
    files_url: Optional[str]
    """The base of the file-to-text service (default: the official one, or the hub's own host)."""
    trusted_hosts: Optional[Sequence[str]]
    """More hosts that may receive the API key (the hub's own and the official ones always may)."""
    refresh_file_links: Optional[bool]
    """Refresh file links about to expire when reading a transcript, and push them back to the
    hub (default True)."""


def milliseconds(options: Mapping[str, Any]) -> Dict[str, Any]:
    """The options with every duration given in seconds under its Python name
    (``request_timeout``) turned into the schema's milliseconds (``request_timeout_ms``), the
    ``reconnect`` dict included. Giving both names of one option is an ``InvalidArgument``;
    a duration that is not a number is left for the schema to refuse."""
    out: Dict[str, Any] = {}
    for name, value in options.items():
        if name == "reconnect" and isinstance(value, Mapping):
            value = milliseconds(value)
        if name in _SECONDS and value is not None:
            ms = name + "_ms"
            if options.get(ms) is not None:
                raise InvalidArgument(f"{name} and {ms} name the same option: give one")
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                out[ms] = value * 1000
            else:
                out[ms] = value
            continue
        out[name] = value
    return out


_SECONDS = frozenset(
    {
        "connect_timeout",
        "request_timeout",
        "metadata_timeout",
        "ping_interval",
        "liveness_grace",
        "close_timeout",
        "initial_delay",
        "max_delay",
        "reset_after",
        "suspend_after",
        "suspended_retry",
    }
)
"""The durations given in seconds under their Python names."""
