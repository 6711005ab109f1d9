"""The Python module against the local hub, over real sockets."""

from __future__ import annotations

import asyncio
import gc
import time
from typing import Any, Callable, List, Optional, Type, TypeVar

import pytest

import captivate
from conftest import Hub, in_thread

E = TypeVar("E", bound=captivate.Event)


async def client_for(hub: Hub, **options: Any) -> captivate.Client:
    options.setdefault("request_timeout_ms", 3000)
    return await captivate.connect(hub.key, url=hub.url, reconnect={"initial_delay_ms": 50}, **options)


async def next_of(stream: captivate.EventStream, cls: Type[E], pred: Callable[[E], bool] = lambda e: True) -> E:
    """The next event of type ``cls`` satisfying ``pred``, within 10 s."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        e = await stream.next(timeout=deadline - time.monotonic())
        if isinstance(e, cls) and pred(e):
            return e
    raise AssertionError(f"no {cls.__name__} within 10 s")


async def hub_received(hub: Hub, event_type: str, conversation_id: str) -> None:
    """Waits until the hub has read a frame of this type for this conversation."""
    for _ in range(200):
        frames = hub.control("/control/received", method="GET")
        if any(
            f["event"]["event_type"] == event_type and f["event"]["event_payload"].get("conversation_id") == conversation_id
            for f in frames
        ):
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"the hub never received {event_type} for {conversation_id}")


def texts(e: captivate.Message) -> List[str]:
    return [i.text for i in e.items if isinstance(i, captivate.TextItem)]


def test_connect_is_a_real_coroutine(hub: Hub) -> None:
    client = asyncio.run(captivate.connect(hub.key, url=hub.url))
    assert isinstance(client, captivate.Client)
    assert client.is_connected and client.socket_id
    asyncio.run(client.close())
    assert client.state.state == "closed"


@pytest.mark.parametrize("transport", ["socket", "http"])
def test_every_operation_end_to_end(hub: Hub, transport: str) -> None:
    async def main() -> None:
        async with await client_for(hub, transport=transport) as client:
            conv = await client.start_conversation(
                "ada", user_basic_info={"firstName": "Ada"}, metadata={"channel": "py"}, private_metadata={"tier": 1}
            )
            assert conv.id.startswith("ada")
            events = conv.events()
            greeting = await next_of(events, captivate.BotMessage, lambda e: bool(e.buttons))
            assert [b.label for b in greeting.buttons] == ["Leave Contact Details", "Chat to Agent"]
            assert greeting.conversation_id == conv.id and greeting.raw["event"]["event_type"] == "bot_message"

            msg_id = await conv.send_message("hello")
            assert len(msg_id) == 36
            echo = await next_of(events, captivate.BotMessage, lambda e: e.text == "You said: hello")
            assert texts(echo) == ["You said: hello"]

            await conv.send_message(files=[captivate.File("https://x/a.pdf", "application/pdf", "a.pdf")])
            await next_of(events, captivate.BotMessage, lambda e: e.text == "Thanks, I received 1 file(s).")
            await conv.send_message("see these", files=[{"url": "https://x/b.png", "type": "image/png"}])
            await conv.send_message("cards")
            cards = await next_of(events, captivate.BotMessage, lambda e: any(isinstance(i, captivate.CardsItem) for i in e.items))
            assert isinstance(cards.items[0], captivate.CardsItem)
            await conv.send_message("files")
            files = await next_of(events, captivate.BotMessage, lambda e: any(isinstance(i, captivate.FilesItem) for i in e.items))
            f = files.items[0]
            assert isinstance(f, captivate.FilesItem) and f.files[0].filename == "brochure.pdf"

            await conv.send_message("contact")
            action = await next_of(events, captivate.ActionEvent)
            assert action.actions[0].id == "redirectToContactUs" and action.actions[0].data == {"page": "/contact"}

            await conv.send_message("big")
            big = await next_of(events, captivate.BotMessage, lambda e: e.fetched_from_link)
            assert big.text is not None and len(big.text) > 200 * 1024

            await conv.send_action("escalateToHuman", {"why": "test"})
            update = await next_of(events, captivate.ConversationUpdate)
            assert update.update == "agent_connected" and update.data["agentInfo"]["name"] == "Sam"
            await next_of(events, captivate.LivechatMessage)

            await conv.set_metadata({"plan": "gold"}, target="bot_live")
            await conv.set_private_metadata({"crm": 7})
            await conv.set_time_to_live(90)
            md = await conv.get_metadata()
            assert md["plan"] == "gold" and md["channel"] == "py" and md["private"] == {"crm": 7} and md["timeToLive"] == 90

            await conv.edit_message(msg_id, "hello, edited")
            transcript = await conv.get_transcript()
            assert any(e.text == "hello, edited" and e.sender == "user" for e in transcript.entries)
            assert any(e.sender == "agent" for e in transcript.entries)

            other = await client.start_conversation("ada", metadata={"title": "weekly meeting"}, start="user-first")
            listing = await client.list_conversations("ada")
            assert {c.conversation_id for c in listing.conversations} == {conv.id, other.id}
            found = await client.list_conversations("ada", search={"title": "meet"}, page=1, limit=5)
            assert [c.conversation_id for c in found.conversations] == [other.id]
            assert found.pagination is not None and found.pagination.total == 1

            attached = client.conversation(other.id)
            assert (await attached.get_metadata())["title"] == "weekly meeting"

            await client.send_raw("metadata_request", {"conversation_id": other.id})
            reply = await client.request_raw("metadata_request", {"conversation_id": other.id}, "conversation_metadata", other.id)
            assert isinstance(reply, captivate.MetadataEvent) and reply.kind == "metadata"
            assert reply.metadata["title"] == "weekly meeting"

            await conv.delete()
            # Over HTTP the hub refuses it twice, its answer (404) and a general_error on the
            # socket (400): either way it is the hub's error.
            with pytest.raises(captivate.HubError) as err:
                await conv.get_metadata()
            assert err.value.hub_code in ((400,) if transport == "socket" else (400, 404))
            assert err.value.description == "Invalid conversation_id"
            assert err.value.code == "hub"
            await client.delete_user_conversations("ada", hard=True)
            assert (await client.list_conversations("ada")).conversations == []

        # The requests went the way the transport says.
        sent = [f for f in hub.received() if f["event"]["event_type"] == "user_message"]
        assert len(sent) >= 8
        assert all(f.get("via") == ("http" if transport == "http" else None) for f in sent)

    asyncio.run(main())


def test_hub_pushed_events_of_every_kind(hub: Hub) -> None:
    async def main() -> None:
        async with await client_for(hub) as client:
            conv = await client.start_conversation("kinds", start="user-first")
            events = conv.events()
            client_events = client.events()
            hub.push(
                {
                    "action": "receiveMessage",
                    "event": {
                        "event_type": "general_error",
                        "event_payload": {"conversation_id": conv.id, "error_code": "500", "error_desc": "boom"},
                        "event_id": "e1",
                    },
                }
            )
            err = await next_of(events, captivate.HubErrorEvent)
            assert err.code == 500 and err.description == "boom" and not err.nested
            hub.push(
                {
                    "action": "receiveMessage",
                    "event": {
                        "event_type": "conversation_update",
                        "event_payload": {
                            "event_type": "general_error",
                            "event_payload": {"conversation_id": conv.id, "error_code": 400, "error_desc": "nested"},
                        },
                        "event_id": "e2",
                    },
                }
            )
            nested = await next_of(events, captivate.HubErrorEvent, lambda e: e.nested)
            assert nested.description == "nested"
            hub.push({"action": "receiveMessage", "event": {"event_type": "typing", "event_payload": {"on": True}, "event_id": "e3"}})
            unknown = await next_of(events, captivate.UnknownEvent)
            assert unknown.kind == "unknown" and unknown.event_type == "typing" and unknown.payload == {"on": True}
            hub.push_text("{oops")
            bad = await next_of(client_events, captivate.MalformedFrame)
            assert bad.text == "{oops"
            assert client.is_connected

    asyncio.run(main())


def test_each_exception_for_real(hub: Hub) -> None:
    async def main() -> None:
        with pytest.raises(captivate.Rejected):
            await captivate.connect("wrong-key", url=hub.url)
        with pytest.raises(captivate.ConnectError):
            await captivate.connect(hub.key, url="ws://127.0.0.1:1/dev")
        with pytest.raises(captivate.InvalidArgument):
            await captivate.connect(hub.key, mode="staging")
        with pytest.raises(captivate.InvalidArgument):
            await captivate.connect(123)  # type: ignore[arg-type]
        with pytest.raises(captivate.InvalidArgument, match="unknown option"):
            await captivate.connect(hub.key, url=hub.url, request_timeout_s=3)  # type: ignore[call-arg]

        client = await client_for(hub, request_timeout_ms=300)
        conv = await client.start_conversation("errs", start="user-first")
        hub.faults(never_answer=["metadata_request"])
        with pytest.raises(captivate.Timeout):
            await conv.get_metadata()
        with pytest.raises(TimeoutError):
            await conv.get_metadata()
        hub.faults()
        with pytest.raises(captivate.InvalidArgument):
            await conv.set_time_to_live(5)
        with pytest.raises(captivate.InvalidArgument):
            await conv.send_message()
        with pytest.raises(TypeError):
            await conv.set_metadata({"when": object()})
        with pytest.raises(captivate.InvalidArgument):
            await conv.set_metadata(["not", "a", "dict"])  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            await conv.send_message(42)  # type: ignore[arg-type]
        with pytest.raises(captivate.FrameTooLarge):
            await conv.send_message("x" * (2 << 20))
        # The hub confirms a start without naming the conversation.
        hub.faults(omit_conversation_id=True)
        with pytest.raises(captivate.ProtocolError):
            await client.start_conversation("no-id", start="user-first")
        hub.faults()
        # The hub drops the link right after reading a message.
        hub.faults(drop_after_frames=1)
        with pytest.raises(captivate.PossiblyNotDelivered) as pnd:
            await conv.send_message("did it arrive?")
        assert len(pnd.value.client_msg_id or "") == 36
        hub.faults()

        # A request in flight when the link drops.
        hub.faults(never_answer=["conversation_transcript_request"])
        slow = await client_for(hub, request_timeout_ms=5000)
        slow_conv = slow.conversation(conv.id)
        pending = asyncio.ensure_future(slow_conv.get_transcript())
        await hub_received(hub, "conversation_transcript_request", conv.id)
        hub.control("/control/drop")
        with pytest.raises(captivate.ConnectionLost):
            await pending
        hub.faults()
        await slow.close()

        await client.close()
        with pytest.raises(captivate.Closed):
            await conv.send_message("after close")

        # The offline queue overflows while the hub is unreachable.
        lazy = await captivate.connect(hub.key, url="ws://127.0.0.1:1/dev", lazy=True, max_queued_events=1)
        far = lazy.conversation("nowhere")
        first = asyncio.ensure_future(far.send_message("queued"))  # queued when called
        assert lazy.state.state != "connected"
        with pytest.raises(captivate.QueueFull):
            await far.send_message("one too many")
        await lazy.close()
        with pytest.raises(captivate.Closed):
            await first
        assert issubclass(captivate.QueueFull, captivate.CaptivateError)

        # The reconnect policy gives up.
        doomed = await captivate.connect(
            hub.key, url="ws://127.0.0.1:1/dev", lazy=True, reconnect={"max_attempts": 1, "initial_delay_ms": 20}
        )
        for _ in range(200):
            if doomed.state.state == "failed":
                break
            await asyncio.sleep(0.02)
        with pytest.raises(captivate.Failed):
            await doomed.conversation("nowhere").send_message("too late")
        await doomed.close()

    asyncio.run(main())


def test_reconnect_while_iterating(hub: Hub) -> None:
    async def main() -> None:
        async with await client_for(hub) as client:
            conv = await client.start_conversation("rec", start="user-first")
            seen: List[str] = []
            events = conv.events()  # listening from here: nothing of the drop is missed

            async def consume() -> None:
                async for event in events:
                    if isinstance(event, captivate.StateChange):
                        seen.append(event.current.state)
                    elif isinstance(event, captivate.Discontinuity):
                        seen.append("discontinuity")
                    elif isinstance(event, captivate.BotMessage) and event.text == "You said: after":
                        seen.append("after")
                        return

            task = asyncio.ensure_future(consume())
            hub.control("/control/drop")
            for _ in range(100):
                if client.is_connected and "connected" in seen:
                    break
                await asyncio.sleep(0.05)
            await conv.send_message("after")
            await asyncio.wait_for(task, 10)
            assert "disconnected" in seen and "connected" in seen and "discontinuity" in seen and seen[-1] == "after", seen

    asyncio.run(main())


def test_a_send_made_while_reconnecting_is_queued_and_delivered(hub: Hub) -> None:
    async def main() -> None:
        async with await client_for(hub) as client:
            conv = await client.start_conversation("queued", start="user-first")
            states = client.events()
            events = conv.events()
            # The stalled hub holds `socket_connected` back: the link stays down until it ends.
            hub.faults(stall=True)
            try:
                hub.control("/control/drop")
                await next_of(states, captivate.StateChange, lambda s: s.current.state == "disconnected")
                sent = asyncio.ensure_future(conv.send_message("while away"))  # queued when called
                assert client.state.state != "connected", client.state
                hub.faults()
                back = await next_of(states, captivate.StateChange, lambda s: s.current.state == "connected")
                assert back.queued == 1, "the send waited for the connection"
                await sent
                await next_of(events, captivate.BotMessage, lambda e: e.text == "You said: while away")
            finally:
                hub.faults()

    asyncio.run(main())


def test_cancelling_an_awaiting_task_leaves_nothing_behind(hub: Hub) -> None:
    async def main() -> None:
        async with await client_for(hub) as client:
            conv = await client.start_conversation("cancel", start="user-first", metadata={"v": 1})
            hub.faults(reply_delay_ms=300)
            task = asyncio.ensure_future(conv.get_metadata())
            await hub_received(hub, "metadata_request", conv.id)  # the reply is on its way
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            hub.faults()
            await conv.set_metadata({"v": 2})
            # The cancelled call's late reply (v=1) must not answer this one.
            assert (await conv.get_metadata())["v"] == 2
            gc.collect()

    asyncio.run(main())


def test_a_hundred_conversations_on_one_client(hub: Hub) -> None:
    async def main() -> None:
        async with await client_for(hub) as client:
            convs = await asyncio.gather(*(client.start_conversation(f"u{i}", start="user-first") for i in range(100)))
            for i, c in enumerate(convs):
                assert c.id.startswith(f"u{i}_")
            streams = [c.events() for c in convs]
            await asyncio.gather(*(c.send_message(f"n{i}") for i, c in enumerate(convs)))
            for i, (c, s) in enumerate(zip(convs, streams)):
                e = await next_of(s, captivate.BotMessage, lambda e: "You said" in (e.text or ""))
                assert e.conversation_id == c.id and e.text == f"You said: n{i}"

    asyncio.run(main())


def test_callbacks_report_exceptions_and_may_reenter(hub: Hub) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        reported: List[BaseException] = []
        loop.set_exception_handler(lambda _l, ctx: reported.append(ctx["exception"]))
        async with await client_for(hub) as client:
            conv = await client.start_conversation("cb", start="user-first")
            got: List[str] = []
            done = asyncio.Event()

            async def on_message(m: captivate.Message) -> None:
                if not (m.text or "").startswith("You said"):
                    return  # the greeting
                got.append(m.text or "")
                if m.text == "You said: first":
                    raise RuntimeError("a bug in the application")
                if m.text == "You said: second":
                    # Re-entering the client from a callback.
                    md = await conv.get_metadata()
                    got.append(f"metadata has {len(md)} keys")
                    done.set()

            stop = conv.on_message(on_message)
            updates: List[str] = []
            stop_updates = conv.on_update(lambda u: updates.append(u.update))
            await conv.send_message("first")
            await conv.send_message("second")
            await asyncio.wait_for(done.wait(), 10)
            stop()
            stop_updates()
            assert got[:2] == ["You said: first", "You said: second"] and got[2].startswith("metadata has")
            assert len(reported) == 1 and isinstance(reported[0], RuntimeError)

    asyncio.run(main())


def test_the_blocking_client_in_a_plain_thread(hub: Hub) -> None:
    result: List[Any] = []

    def work() -> None:
        with captivate.BlockingClient.connect(hub.key, url=hub.url, request_timeout_ms=3000) as client:
            conv = client.start_conversation("blocking")
            events = conv.events()
            greeting = events.next(timeout=10)
            while greeting is not None and not isinstance(greeting, captivate.BotMessage):
                greeting = events.next(timeout=10)
            conv.send_message("from a thread")
            echo: Optional[captivate.Event] = None
            for e in events:
                if isinstance(e, captivate.BotMessage) and e.text == "You said: from a thread":
                    echo = e
                    break
            conv.set_metadata({"k": "v"})
            result.extend([greeting, echo, conv.get_metadata(), len(conv.get_transcript().entries)])
            with pytest.raises(captivate.HubError):
                client.conversation("no-such-conversation").get_metadata()

    in_thread(work)
    assert isinstance(result[0], captivate.BotMessage) and isinstance(result[1], captivate.BotMessage)
    assert result[2]["k"] == "v" and result[3] >= 2


def test_calls_made_together_reach_the_hub_in_call_order(hub: Hub) -> None:
    async def main() -> None:
        async with await client_for(hub) as client:
            conv = await client.start_conversation("order", start="user-first")
            await asyncio.gather(*(conv.send_message(f"order {i}") for i in range(40)))
            received = hub.control("/control/received", method="GET")
            sent = [
                f["event"]["event_payload"]["content"]["text"]
                for f in received
                if f["event"]["event_type"] == "user_message"
                and f["event"]["event_payload"]["content"].get("text", "").startswith("order ")
            ]
            assert sent == [f"order {i}" for i in range(40)]

    asyncio.run(main())


def test_close_ends_iteration_and_listeners(hub: Hub) -> None:
    async def main() -> None:
        client = await client_for(hub)
        conv = await client.start_conversation("closing", start="user-first")
        seen: List[captivate.Event] = []
        events = conv.events()  # listening from here

        async def consume() -> None:
            async for event in events:
                seen.append(event)

        task = asyncio.ensure_future(consume())
        conv.on_event(lambda e: None)  # a listener, which must end with the client
        await client.close()
        await asyncio.wait_for(task, 10)  # the loop ends by itself
        last = seen[-1]
        assert isinstance(last, captivate.StateChange) and last.current.state == "closed", seen
        for _ in range(100):
            if not [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]:
                break
            await asyncio.sleep(0.05)
        assert not [t for t in asyncio.all_tasks() if t is not asyncio.current_task()], "listener tasks ended"
        with pytest.raises(captivate.Closed):
            await conv.send_message("after close")

    asyncio.run(main())

    # The blocking stream ends too, instead of waiting forever.
    def work() -> None:
        client = captivate.BlockingClient.connect(hub.key, url=hub.url)
        events = client.events()
        client.close()
        assert [e for e in events if isinstance(e, captivate.StateChange)][-1].current.state == "closed"

    in_thread(work)


def test_messages_missed_during_a_drop_are_recovered(hub: Hub) -> None:
    async def main() -> None:
        async with await client_for(hub) as client:
            conv = await client.start_conversation("catcher", start="user-first")
            events = conv.events()
            await conv.send_message("before")
            await next_of(events, captivate.BotMessage, lambda e: e.text == "You said: before")
            for i in range(1, 4):  # said while the link is dead: only the transcript has them
                hub.control("/control/say", {"conversation_id": conv.id, "text": f"missed {i}", "send": False})
            hub.control("/control/drop")
            await next_of(events, captivate.Discontinuity)
            await conv.send_message("after")
            seen: List[Any] = []
            while not seen or seen[-1][0] != "You said: after":
                m = await next_of(events, captivate.BotMessage)
                seen.append((m.text, m.recovered))
            assert seen == [("missed 1", True), ("missed 2", True), ("missed 3", True), ("You said: after", False)]

    asyncio.run(main())


def test_closing_from_inside_a_state_callback(hub: Hub) -> None:
    async def main() -> None:
        client = await client_for(hub)
        closed = asyncio.Event()

        async def on_state(s: captivate.StateChange) -> None:
            if s.current.state == "disconnected":
                await client.close()  # re-entering from the state listener: no deadlock
                closed.set()

        client.on_state_change(on_state)  # listening from here
        hub.control("/control/drop")
        await asyncio.wait_for(closed.wait(), 10)
        assert client.state.state == "closed"

    asyncio.run(main())


def test_the_blocking_client_honours_ctrl_c(hub: Hub) -> None:
    import signal
    import subprocess
    import sys

    # Python leaves Ctrl-C alone when it starts with SIGINT ignored (as in a job started in the
    # background by a shell without job control): the program takes it, as an interactive one has.
    script = f"""
import signal, sys, captivate
signal.signal(signal.SIGINT, signal.default_int_handler)
client = captivate.BlockingClient.connect({hub.key!r}, url={hub.url!r}, request_timeout_ms=60000)
conv = client.start_conversation("ctrl-c", start="user-first")
print("ready", conv.id, flush=True)
try:
    conv.get_metadata() if sys.argv[1] == "call" else next(iter(conv.events()))
except KeyboardInterrupt:
    print("interrupted", flush=True)
    client.close()
"""
    hub.faults(never_answer=["metadata_request"])
    for mode in ("call", "events"):
        proc = subprocess.Popen(
            [sys.executable, "-c", script, mode], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert proc.stdout is not None
        ready, conv_id = proc.stdout.readline().split()
        assert ready == "ready"
        if mode == "call":
            # The hub has the request: the call is waiting for its answer.
            deadline = time.monotonic() + 10
            while not any(
                f["event"]["event_type"] == "metadata_request"
                and f["event"]["event_payload"].get("conversation_id") == conv_id
                for f in hub.received()
            ):
                assert time.monotonic() < deadline, "the hub never received the call"
                time.sleep(0.02)
        else:
            # A wait for an event shows nothing outside the process: the pause lets it begin.
            time.sleep(0.3)
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
        assert "interrupted" in out, (mode, out, err)
        assert proc.returncode == 0, (mode, err)
        assert time.monotonic() - started < 10, mode


def test_the_interpreter_exits_cleanly_whatever_is_left_running(hub: Hub) -> None:
    """No thread of the library calls into Python, so exiting never races with it: closed,
    left connected, or with a call still waiting, with every log record asked for or not (the
    log thread busy), a blocking client's callback thread waiting, the process ends with status
    0 and says nothing on stderr."""
    import subprocess
    import sys

    script = """
import asyncio, logging, sys, captivate
if sys.argv[4] == "logs":
    logging.getLogger("captivate").addHandler(logging.NullHandler())
    logging.getLogger("captivate").setLevel(1)
blocking = captivate.BlockingClient.connect(sys.argv[2], url=sys.argv[1])
blocking.start_conversation("bye-blocking", start="user-first").on_message(lambda m: None)
async def main(url, key, mode):
    client = await captivate.connect(key, url=url)
    conv = await client.start_conversation("bye", start="user-first")
    conv.on_message(lambda m: None)
    client.on_state_change(lambda s: None)
    asyncio.ensure_future(conv.events().next())
    await conv.send_message("hi")
    if mode == "pending":
        asyncio.ensure_future(conv.get_metadata())
    if mode == "close":
        await client.close()
asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
"""
    for logs in ("quiet", "logs"):
        for mode in ("close", "open", "pending") * 4:
            done = subprocess.run(
                [sys.executable, "-c", script, hub.url, hub.key, mode, logs], capture_output=True, text=True, timeout=30
            )
            assert (done.returncode, done.stderr) == (0, ""), (mode, logs)


def test_giving_up_on_an_event_loses_none(hub: Hub) -> None:
    async def main() -> None:
        async with await client_for(hub) as client:
            conv = await client.start_conversation("patient", start="user-first")
            events = conv.events()
            got: List[str] = []
            for i in range(20):
                await conv.send_message(f"n{i}")
                # Give up on waits again and again, some right when the echo comes in.
                deadline = time.monotonic() + 10
                while True:
                    assert time.monotonic() < deadline, f"the echo of n{i} was lost"
                    try:
                        e = await asyncio.wait_for(events.__anext__(), 0.001)
                    except asyncio.TimeoutError:
                        continue
                    if isinstance(e, captivate.BotMessage) and (e.text or "").startswith("You said"):
                        got.append(e.text or "")
                        break
            assert got == [f"You said: n{i}" for i in range(20)]

    asyncio.run(main())
