"""The options of ``connect`` and ``BlockingClient.connect``, typed: the schema every front end
shares (``captivate.OPTIONS`` lists it at run time, with each option's meaning). Every option
may be left out or given as None, which keeps its default."""

from __future__ import annotations

from typing import Literal, Optional, Sequence, TypedDict


class ReconnectOptions(TypedDict, total=False):
    """The reconnect policy (the ``reconnect`` option)."""

    enabled: Optional[bool]
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
