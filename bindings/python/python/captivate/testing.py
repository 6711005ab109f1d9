"""Testing an application offline: :class:`Hub`, the local hub in this process.

The hub speaks the Captivate Chat Socket API on 127.0.0.1 (a free port by default), with its
bot following a script you give as data, and a live agent it hands conversations over to.
It runs on a thread of its own, so it answers whatever your test does meanwhile (blocking
calls included), and stops with everything it started::

    from captivate.testing import Hub

    SCRIPT = {
        "greeting": [{"bot": "Welcome to Acme."}],
        "rules": [
            {"when": {"regex": r"^order (?P<n>\\d+)$"}, "then": [{"bot": "Order {n} is on its way."}]},
            {"when": {"contains": "human"}, "then": [{"handover": {"agent": "Ada"}}, {"agent": "Ada here."}]},
            {"then": [{"bot": "You said: {text}"}]},
        ],
    }

    async with Hub(SCRIPT) as hub:
        client = await captivate.connect(**hub.client_options())
        ...
        hub.drop()                                   # the link drops; the client comes back
        assert hub.received(conv.id, "user_message")

The script's format (conditions ``exact``, ``contains``, ``regex``, ``files``, ``action``,
``metadata``, ``live``, ``state``; steps ``bot``, ``agent``, ``handover``, ``end_handover``,
``update``, ``action``, ``error``, ``delay_ms``, ``set``, ...) is the same in every language;
``Hub.default_script()`` is the usual flow, a complete example. Its times stay in milliseconds
there (``after_ms``, ``delay_ms``), as the script is shared data; everything this module takes
itself is in seconds.

With pytest, the package's plugin gives the ``captivate_hub`` fixture (see
``captivate.pytest_plugin``).
"""

from __future__ import annotations

import asyncio
import math
from types import TracebackType
from typing import TYPE_CHECKING, Any, Coroutine, Dict, List, Mapping, Optional, Sequence, Type, TypedDict, cast

from . import _native
from ._client import Client, connect
from ._errors import InvalidArgument

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ._blocking import BlockingClient
    from ._options import ConnectOptions

__all__ = ["FAULT_NAMES", "Faults", "Hub", "ProxyFaults", "ProxyStats"]


class Faults(TypedDict, total=False):
    """The hub's misbehaviour on demand (``Hub.set_faults``); every fault is off unless set."""

    reply_delay: float
    """Seconds every reply and pushed event is held back."""
    never_answer: Sequence[str]
    """Request event types ignored silently (no reply, no processing)."""
    omit_conversation_id: bool
    """Replies and pushes carry no ``conversation_id``."""
    stall: bool
    """Stop reading and writing on every connection, keeping TCP open (a half-open link)."""
    drop_after_frames: Optional[int]
    """Drop a connection abruptly after receiving this many frames on it."""
    malformed_before_replies: bool
    """Send ``{not json`` before each reply."""
    unknown_event_before_replies: bool
    """Send an event of an unknown type before each reply."""
    duplicate_events: bool
    """Send every hub event twice, with the same ``event_id``."""
    transcript_as_messages: bool
    """Answer transcript requests with ``messages`` instead of ``transcript``."""
    no_socket_connected: bool
    """Never send ``socket_connected`` after the handshake."""
    http_status: Optional[int]
    """The HTTP services answer this status (200 to 599) and do nothing else."""
    http_status_count: Optional[int]
    """For this many requests, after which ``http_status`` clears itself (None: until cleared)."""
    http_delay: float
    """Seconds every answer of the HTTP services is held back."""
    http_paths: Sequence[str]
    """Path prefixes the HTTP faults apply to (empty: every path under ``/api/``)."""


FAULT_NAMES = tuple(Faults.__annotations__)
"""The names ``Hub.set_faults`` takes (``Faults``)."""


class ProxyFaults(TypedDict):
    """The fault proxy's faults in force (``Hub.proxy_faults``)."""

    latency: float
    """Seconds every chunk of bytes is held back, each way (0: none)."""
    bandwidth: Optional[int]
    """Bytes per second each way (None: no limit)."""
    blackhole: bool
    """Bytes are swallowed both ways, the connections kept open (a dead link)."""


class ProxyStats(TypedDict):
    """What the fault proxy has done so far (``Hub.proxy_stats``)."""

    accepted: int
    """Connections accepted and forwarded to the hub."""
    live: int
    """Connections open through it now."""
    bytes_up: int
    """Bytes forwarded from clients to the hub."""
    bytes_down: int
    """Bytes forwarded from the hub to clients."""
    resets: int
    """Connections reset by ``Hub.proxy_reset``."""
    truncated: int
    """Connections cut inside a frame after ``Hub.proxy_truncate``."""

_DELAYS = ("reply_delay", "http_delay")
_LISTS = ("never_answer", "http_paths")
_COUNTS = ("drop_after_frames", "http_status", "http_status_count")


def _type_name(value: Any) -> str:
    return type(value).__name__


def _seconds(name: str, value: Any) -> float:
    """A duration in seconds: a number (not a bool), finite and 0 or more."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, not {_type_name(value)}")
    if not math.isfinite(value) or value < 0:
        raise InvalidArgument(f"{name} must be a number of seconds, 0 or more (got {value!r})")
    return float(value)


def _millis(name: str, value: Any) -> int:
    """A duration in seconds as whole milliseconds, as the hub takes it."""
    return int(round(_seconds(name, value) * 1000))


def _count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {_type_name(value)}")
    if value < 0:
        raise InvalidArgument(f"{name} must be 0 or more (got {value})")
    return value


def _strings(name: str, value: Any) -> List[str]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be a list of str, not {_type_name(value)}")
    for item in value:
        if not isinstance(item, str):
            raise TypeError(f"{name} must be a list of str, not of {_type_name(item)}")
    return list(value)


def _script(script: Any) -> Optional[Dict[str, Any]]:
    if script is not None and not isinstance(script, Mapping):
        raise TypeError(f"script must be a dict or None, not {_type_name(script)}")
    return None if script is None else dict(script)


def _hub_faults(faults: Mapping[str, Any]) -> Dict[str, Any]:
    """Python's faults (seconds) as the hub's (milliseconds), every value checked."""
    out: Dict[str, Any] = {}
    for name, value in faults.items():
        if name not in FAULT_NAMES:
            raise InvalidArgument(f"{name!r} is not one of the faults ({', '.join(FAULT_NAMES)})")
        if name in _DELAYS:
            out[name + "_ms"] = _millis(name, value)
        elif name in _LISTS:
            out[name] = _strings(name, value)
        elif name in _COUNTS:
            if value is not None:
                out[name] = _count(name, value)
                if name == "http_status" and not 200 <= value <= 599:
                    raise InvalidArgument(f"http_status must be 200 to 599 (got {value})")
        else:
            out[name] = _flag(name, value)
    return out


class Hub:
    """A local hub in this process, for testing an application offline.

    ``Hub(script=None, *, api_key=None, extra_api_keys=(), tls=False, agent_delay=0.05,
    port=0, log=False, proxy=False)`` starts it on 127.0.0.1 and returns once it listens
    (``Hub.start(...)`` is the same). ``script`` is the bot's script (a dict; None: the usual flow); ``api_key`` the key
    clients present (default ``"test-key"``) and ``extra_api_keys`` more it accepts;
    ``tls=True`` serves ``wss://`` with a self-signed certificate (``ca_pem``); ``agent_delay``
    is the seconds a live agent takes to answer; ``port`` 0 takes a free one; ``log=True``
    prints the hub's notes (connections, faults, frames it ignores) on standard error, where
    it is quiet by default; ``proxy=True`` puts a fault proxy in front of the hub, through
    which ``client_options()`` sends clients (``proxy_url``): it adds latency, limits the
    bandwidth, swallows bytes, resets connections, cuts them inside a frame and restarts,
    while the hub itself runs on (``set_proxy_faults``, ``proxy_reset``, ``proxy_truncate``,
    ``proxy_restart``, ``proxy_stats``). Those calls on a hub without it raise
    ``captivate.InvalidArgument``.

    It is a context manager, sync (``with Hub() as hub:``) and async (``async with Hub() as
    hub:``), stopping the hub at the end; otherwise call ``stop()`` (it also stops when
    collected). A wrong type raises ``TypeError``, a wrong value ``captivate.InvalidArgument``,
    a call after ``stop()`` ``captivate.Closed``. Its ``repr`` and errors never show the key.
    """

    __slots__ = ("_hub",)

    def __init__(
        self,
        script: Optional[Mapping[str, Any]] = None,
        *,
        api_key: Optional[str] = None,
        extra_api_keys: Sequence[str] = (),
        tls: bool = False,
        agent_delay: float = 0.05,
        port: int = 0,
        log: bool = False,
        proxy: bool = False,
    ) -> None:
        if api_key is not None and not isinstance(api_key, str):
            raise TypeError(f"api_key must be a str or None, not {_type_name(api_key)}")
        if not isinstance(tls, bool):
            raise TypeError(f"tls must be a bool, not {_type_name(tls)}")
        if isinstance(port, bool) or not isinstance(port, int):
            raise TypeError(f"port must be an int, not {_type_name(port)}")
        if not isinstance(log, bool):
            raise TypeError(f"log must be a bool, not {_type_name(log)}")
        if not isinstance(proxy, bool):
            raise TypeError(f"proxy must be a bool, not {_type_name(proxy)}")
        options: Dict[str, Any] = {
            "script": _script(script),
            "api_key": api_key,
            "extra_api_keys": _strings("extra_api_keys", extra_api_keys),
            "tls": tls,
            "agent_delay_ms": _millis("agent_delay", agent_delay),
            "port": port,
            "log": log,
            "proxy": proxy,
        }
        self._hub = _native.Hub(options)

    @classmethod
    def start(
        cls,
        script: Optional[Mapping[str, Any]] = None,
        *,
        api_key: Optional[str] = None,
        extra_api_keys: Sequence[str] = (),
        tls: bool = False,
        agent_delay: float = 0.05,
        port: int = 0,
        log: bool = False,
        proxy: bool = False,
    ) -> Hub:
        """Starts a hub: the same as ``Hub(...)``."""
        return cls(
            script,
            api_key=api_key,
            extra_api_keys=extra_api_keys,
            tls=tls,
            agent_delay=agent_delay,
            port=port,
            log=log,
            proxy=proxy,
        )

    @staticmethod
    def default_script() -> Dict[str, Any]:
        """The usual flow, the script a hub runs when given none (a complete example of the
        format): a greeting with buttons, a hand-over to the agent Sam, cards, files, ..."""
        with Hub() as hub:
            return hub.script

    def __repr__(self) -> str:
        if not self._hub.is_running():
            return "<captivate.testing.Hub stopped>"
        return f"<captivate.testing.Hub {self._hub.url()}>"

    def __enter__(self) -> Hub:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Hub:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        # Stopping waits for the hub's thread: off the loop, which its clients may still need.
        await asyncio.get_running_loop().run_in_executor(None, self.stop)

    # What a client needs.

    @property
    def url(self) -> str:
        """The WebSocket URL, without the key: ``ws://127.0.0.1:PORT/dev`` (``wss://localhost:
        PORT/dev`` with TLS)."""
        return self._hub.url()

    @property
    def api_key(self) -> str:
        """The API key clients present."""
        return self._hub.api_key()

    @property
    def http_url(self) -> str:
        """The HTTP base of the same port (the channel API, the file service)."""
        return self._hub.http_url()

    @property
    def port(self) -> int:
        """The port it listens on."""
        return self._hub.port()

    @property
    def ca_pem(self) -> Optional[str]:
        """With TLS, the PEM of the certificate a client trusts; otherwise None."""
        return self._hub.ca_pem()

    @property
    def running(self) -> bool:
        """Whether it still runs (False after ``stop()``)."""
        return self._hub.is_running()

    def client_options(self) -> Dict[str, Any]:
        """What a client of this hub needs, as keyword arguments of ``captivate.connect`` and
        ``BlockingClient.connect``: ``api_key``, ``url``, ``http_url``, ``files_url`` (and
        ``ca_pem`` with TLS); with ``proxy=True`` the URLs go through the fault proxy.
        ``captivate.connect(**hub.client_options(), request_timeout=2)`` adds options of your
        own."""
        options: Dict[str, Any] = self._hub.client_options()
        return options

    def connect(self, **options: Unpack[ConnectOptions]) -> Coroutine[Any, Any, Client]:
        """``captivate.connect`` to this hub, with more options of ``connect``:
        ``client = await hub.connect(request_timeout=2)``."""
        merged: Dict[str, Any] = {**self.client_options(), **options}
        return connect(**merged)

    def connect_blocking(self, **options: Unpack[ConnectOptions]) -> BlockingClient:
        """``captivate.BlockingClient.connect`` to this hub, with more options of ``connect``."""
        from ._blocking import BlockingClient

        merged: Dict[str, Any] = {**self.client_options(), **options}
        return BlockingClient.connect(**merged)

    # The bot's script and the faults.

    @property
    def script(self) -> Dict[str, Any]:
        """The bot's script in force (a dict)."""
        script: Dict[str, Any] = self._hub.script()
        return script

    def set_script(self, script: Optional[Mapping[str, Any]]) -> None:
        """Replaces the bot's script (None: the usual flow); conversations keep their state
        and live agents. A script with an unknown key or a bad value raises
        ``InvalidArgument``."""
        self._hub.set_script(_script(script))

    @property
    def faults(self) -> Faults:
        """The faults in force, every one named (delays in seconds)."""
        raw: Dict[str, Any] = self._hub.faults()
        out: Dict[str, Any] = {}
        for name, value in raw.items():
            if name.endswith("_ms"):
                out[name[:-3]] = value / 1000
            else:
                out[name] = value
        return cast(Faults, out)

    def set_faults(self, **faults: Unpack[Faults]) -> None:
        """Replaces the faults with these (none given: no fault): ``hub.set_faults(
        reply_delay=0.2, never_answer=["metadata_request"])``. Durations are in seconds."""
        self._hub.set_faults(_hub_faults(faults))

    def clear_faults(self) -> None:
        """Clears every fault."""
        self._hub.set_faults(None)

    # Controls.

    def drop(self) -> None:
        """Closes every connection abruptly (no close frame): clients see a dropped link."""
        self._hub.drop_connections()

    def close_connections(self, code: int = 1001, reason: str = "") -> None:
        """Closes every connection with a close frame of ``code`` (1000 to 4999) and
        ``reason``."""
        if isinstance(code, bool) or not isinstance(code, int):
            raise TypeError(f"code must be an int, not {_type_name(code)}")
        if not isinstance(reason, str):
            raise TypeError(f"reason must be a str, not {_type_name(reason)}")
        if not 1000 <= code <= 4999:
            raise InvalidArgument(f"code must be a close code, 1000 to 4999 (got {code})")
        self._hub.close_connections(code, reason)

    def restart(self, down_for: float = 0.5) -> None:
        """Closes every connection and refuses new ones for ``down_for`` seconds, then listens
        again on the same port (conversations survive). Returns at once."""
        self._hub.restart(_seconds("down_for", down_for))

    def push(self, frame: Mapping[str, Any]) -> None:
        """Sends this frame (a dict, as JSON) to every connection."""
        if not isinstance(frame, Mapping):
            raise TypeError(f"frame must be a dict, not {_type_name(frame)}")
        self._hub.push(dict(frame))

    def push_text(self, text: str) -> None:
        """Sends raw text (malformed JSON, say) to every connection."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, not {_type_name(text)}")
        self._hub.push_text(text)

    def bot_says(self, conversation_id: str, content: Any, send: bool = True) -> None:
        """The bot says ``content`` (a str, or a list of str and items such as ``{"type":
        "buttons", ...}``) in a conversation: kept in its transcript and, when ``send``, sent to
        its connection. An unknown conversation raises ``InvalidArgument``."""
        self._hub.bot_says(conversation_id, content, _flag("send", send))

    def agent_says(self, conversation_id: str, content: Any, send: bool = True) -> None:
        """The live agent says ``content`` in a conversation (as ``bot_says``)."""
        self._hub.agent_says(conversation_id, content, _flag("send", send))

    def update(self, conversation_id: str, type: str, data: Any = None) -> None:
        """Sends a ``conversation_update`` of this ``type`` (``"livechatAgentConnected"``, or
        your own) and ``data`` to a conversation."""
        if not isinstance(type, str):
            raise TypeError(f"type must be a str, not {_type_name(type)}")
        update: Dict[str, Any] = {"type": type}
        if data is not None:
            update["data"] = data
        self._hub.update(conversation_id, update)

    # The fault proxy (``proxy=True``).

    @property
    def proxy_url(self) -> str:
        """The WebSocket URL through the fault proxy, without the key (the ``url`` of
        ``client_options()``); ``url`` stays the hub's own."""
        return self._hub.proxy_url()

    @property
    def proxy_faults(self) -> ProxyFaults:
        """The fault proxy's faults in force (latency in seconds)."""
        raw: Dict[str, Any] = self._hub.proxy_faults()
        return {
            "latency": raw["latency_ms"] / 1000,
            "bandwidth": raw["bandwidth_bps"] or None,
            "blackhole": raw["blackhole"],
        }

    def set_proxy_faults(
        self, *, latency: float = 0.0, bandwidth: Optional[int] = None, blackhole: bool = False
    ) -> None:
        """Replaces the fault proxy's faults with these (none given: no fault):
        ``hub.set_proxy_faults(latency=0.03)``. ``latency`` is the seconds bytes are held back
        each way (whole milliseconds); ``bandwidth`` the bytes per second each way (None: no
        limit); ``blackhole=True`` swallows every byte both ways, connections kept open.
        Connections already open are affected too."""
        faults: Dict[str, Any] = {"latency_ms": _millis("latency", latency), "blackhole": _flag("blackhole", blackhole)}
        if bandwidth is not None:
            if _count("bandwidth", bandwidth) == 0:
                raise InvalidArgument("bandwidth must be 1 or more bytes per second, or None (no limit)")
            faults["bandwidth_bps"] = bandwidth
        self._hub.set_proxy_faults(faults)

    def clear_proxy_faults(self) -> None:
        """Clears the fault proxy's faults."""
        self._hub.set_proxy_faults(None)

    def proxy_reset(self) -> int:
        """Resets every connection through the fault proxy (a TCP reset: clients see the link
        drop); gives how many."""
        return self._hub.proxy_reset()

    def proxy_truncate(self) -> int:
        """Cuts every connection through the fault proxy inside the next frame the hub sends
        on it (the client gets part of a frame, then the end of the stream); gives how many
        connections it armed."""
        return self._hub.proxy_truncate()

    def proxy_restart(self, down_for: float = 0.5) -> None:
        """Closes every connection through the fault proxy and refuses new ones for
        ``down_for`` seconds, then listens again on the same port; the hub itself runs on.
        Returns once the proxy refuses connections."""
        self._hub.proxy_restart(_seconds("down_for", down_for))

    @property
    def proxy_stats(self) -> ProxyStats:
        """What the fault proxy has done so far: ``{"accepted", "live", "bytes_up",
        "bytes_down", "resets", "truncated"}``."""
        raw: Dict[str, int] = self._hub.proxy_stats()
        return {
            "accepted": raw["accepted"],
            "live": raw["live"],
            "bytes_up": raw["bytes_up"],
            "bytes_down": raw["bytes_down"],
            "resets": raw["resets"],
            "truncated": raw["truncated"],
        }

    # What the hub saw.

    def received(self, conversation_id: Optional[str] = None, event_type: Optional[str] = None) -> List[Dict[str, Any]]:
        """Every frame the hub received from clients, in order (``{"event": {"event_type",
        "event_payload"}, ...}``; HTTP sends with ``"via": "http"``), narrowed to a
        conversation and an event type (``"user_message"``, ...) when given."""
        frames: List[Dict[str, Any]] = self._hub.received(conversation_id, event_type)
        return frames

    def requests(self) -> List[Dict[str, Any]]:
        """Every HTTP request the hub served: ``{"method", "path", "status"}``."""
        requests: List[Dict[str, Any]] = self._hub.requests()
        return requests

    def conversations(self) -> List[Dict[str, Any]]:
        """The conversations the hub keeps: ``{"conversation_id", "user_id", "metadata",
        "live", "agent", "state", "transcript"}``."""
        conversations: List[Dict[str, Any]] = self._hub.conversations()
        return conversations

    def files(self) -> List[Dict[str, Any]]:
        """The files the file service keeps: ``{"fileKey", "filename", "contentType",
        "fileSize", "ttlDays"}``."""
        files: List[Dict[str, Any]] = self._hub.files()
        return files

    def expire_files(self, file_key: Optional[str] = None) -> int:
        """Makes the links of a stored file (of every one, when None) expire now; gives how
        many files it touched."""
        return self._hub.expire_files(file_key)

    @property
    def live_connections(self) -> int:
        """Connections open now."""
        return self._hub.live_connections()

    @property
    def connections_accepted(self) -> int:
        """Successful WebSocket handshakes so far (it grows when a client reconnects)."""
        return self._hub.connections_accepted()

    def reset(self) -> None:
        """Forgets conversations, frames, requests and files, clears the faults and puts back
        the script the hub started with, as between tests. Connections stay open."""
        self._hub.reset()

    def stop(self) -> None:
        """Stops the hub: every connection is closed and the port freed. Calls made afterwards
        raise ``captivate.Closed``; stopping again does nothing."""
        self._hub.stop()


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, not {_type_name(value)}")
    return value
