"""``captivate.testing.Hub``, the local hub in this process, and the ``captivate_hub`` fixture of
the package's pytest plugin: a script of the test's own followed (greeting, a regex rule, the
hand-over to a named agent and the agent's lines) across a dropped link, inspection, faults,
the fault proxy in front of the hub, reset, stop, both context managers, and the plugin loaded
through its entry point. No hub
binary is needed: every hub here runs in the test's process."""

from __future__ import annotations

import asyncio
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple, Type, TypeVar
from urllib.parse import urlsplit

import pytest

import captivate
from captivate.testing import FAULT_NAMES, Hub

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "python" / "testing" / "test_support_chat.py"
WAIT = 10.0

SCRIPT: Dict[str, Any] = {
    "greeting": [{"bot": "Welcome to Acme."}],
    "rules": [
        {"when": {"regex": r"^order (?P<n>\d+)$"}, "then": [{"bot": "Order {n} is on its way."}]},
        {
            "when": {"contains": "human"},
            "then": [{"handover": {"agent": "Ada"}}, {"agent": "Ada here. How can I help?", "after_ms": 0}],
        },
        {"when": {"live": True}, "then": [{"agent": "{agent} got: {text}", "after_ms": 0}]},
        {"then": [{"bot": "Pardon?"}]},
    ],
}

E = TypeVar("E", bound=captivate.Event)


async def next_of(stream: captivate.EventStream, cls: Type[E]) -> E:
    """The stream's next event of class ``cls`` (others are skipped)."""
    while True:
        event = await stream.next(timeout=WAIT)
        assert event is not None, f"no {cls.__name__} within {WAIT} s"
        if isinstance(event, cls):
            return event


async def said(stream: captivate.EventStream) -> Tuple[str, Optional[str]]:
    """Who spoke next (``bot`` or ``agent``) and what."""
    m = await next_of(stream, captivate.Message)
    return ("agent" if isinstance(m, captivate.LivechatMessage) else "bot", m.text)


async def state(stream: captivate.EventStream, wanted: str) -> None:
    """Waits for the client's connection to reach the state ``wanted``."""
    while (await next_of(stream, captivate.StateChange)).current.state != wanted:
        pass


async def hears(stream: captivate.EventStream, wanted: Tuple[str, str]) -> None:
    """Waits for ``wanted`` (who, what) to be said; lines said before it are skipped (a line
    cut on its way may come back with the link)."""
    while await said(stream) != wanted:
        pass


def texts(frames: List[Dict[str, Any]]) -> List[str]:
    """The texts of user messages the hub received."""
    return [f["event"]["event_payload"]["content"]["text"] for f in frames]


def test_a_conversation_follows_the_script_across_a_dropped_link() -> None:
    async def main() -> None:
        async with Hub(SCRIPT, api_key="acme-key-Qm3", agent_delay=0.01) as hub:
            assert hub.url.startswith("ws://127.0.0.1:") and "acme-key-Qm3" not in hub.url
            assert hub.api_key == "acme-key-Qm3" and hub.url.endswith(f":{hub.port}/dev")
            assert hub.http_url == f"http://127.0.0.1:{hub.port}" and hub.ca_pem is None
            assert "acme-key-Qm3" not in repr(hub)
            async with await hub.connect(reconnect={"initial_delay": 0.02}) as client:
                states = client.events()
                conv = await client.start_conversation("u1", start="user-first")
                events = conv.events()

                # The greeting, then the regex rule with its group.
                await conv.send_message("order 42")
                assert await said(events) == ("bot", "Welcome to Acme.")
                assert await said(events) == ("bot", "Order 42 is on its way.")

                # The hand-over to Ada: her update and her line, in either order.
                await conv.send_message("I want a human")
                update = await next_of(events, captivate.ConversationUpdate)
                assert update.update == "agent_connected" and update.data["agentInfo"]["name"] == "Ada"
                assert await said(events) == ("agent", "Ada here. How can I help?")

                # The link drops; the client comes back by itself and Ada is still there.
                accepted = hub.connections_accepted
                hub.drop()
                await state(states, "disconnected")
                await state(states, "connected")
                assert hub.connections_accepted == accepted + 1 and hub.live_connections == 1
                await conv.send_message("still there?")
                assert await said(events) == ("agent", "Ada got: still there?")

                # The test speaks as the bot and as the agent, and sends an update of its own.
                hub.bot_says(conv.id, ["From the bot.", {"type": "cards", "cards": []}])
                assert await said(events) == ("bot", "From the bot.")
                hub.agent_says(conv.id, "From Ada.")
                assert await said(events) == ("agent", "From Ada.")
                hub.bot_says(conv.id, "Kept only in the transcript.", send=False)
                hub.update(conv.id, "custom_update", {"x": 1})
                custom = await next_of(events, captivate.ConversationUpdate)
                assert custom.update_type == "custom_update" and custom.data == {"x": 1}

                # What the hub received, narrowed to the conversation and the event type.
                sent = hub.received(conv.id, "user_message")
                assert texts(sent) == ["order 42", "I want a human", "still there?"]
                assert all(f["event"]["event_type"] == "user_message" for f in sent)
                assert texts(hub.received(event_type="user_message")) == texts(sent)
                assert hub.received(conv.id, "no_such_event") == []
                assert hub.received("no-such-conversation") == []
                assert len(hub.received()) > len(hub.received(conv.id)) > len(sent)
                (kept,) = hub.conversations()
                assert (kept["conversation_id"], kept["user_id"]) == (conv.id, "u1")
                assert kept["live"] is True and kept["agent"] == "Ada"
                assert "Kept only in the transcript." in str(kept["transcript"])
        assert not hub.running

    asyncio.run(main())


def test_faults_in_seconds_and_cleared() -> None:
    async def main() -> None:
        async with Hub(SCRIPT) as hub:
            assert set(hub.faults) == set(FAULT_NAMES) and not any(hub.faults.values())
            hub.set_faults(reply_delay=0.25, never_answer=["metadata_request"], http_status=503, http_paths=["/x"])
            faults = hub.faults
            assert (faults["reply_delay"], faults["never_answer"]) == (0.25, ["metadata_request"])
            assert (faults["http_status"], faults["http_paths"]) == (503, ["/x"])
            async with await hub.connect(request_timeout=0.5) as client:
                conv = await client.start_conversation("u1", start="user-first")
                # Replacing the faults drops those not named again.
                hub.set_faults(malformed_before_replies=True)
                assert hub.faults["never_answer"] == [] and hub.faults["reply_delay"] == 0
                events = client.events()
                await conv.get_metadata()
                assert "not json" in (await next_of(events, captivate.MalformedFrame)).text
                hub.clear_faults()
                assert not any(hub.faults.values())

                # Frames of the test's own, and raw text.
                hub.push_text("{not json either")
                assert "either" in (await next_of(events, captivate.MalformedFrame)).text
                hub.push({"event": {"event_type": "mystery_event", "event_payload": {"n": 1}}})
                assert (await next_of(events, captivate.UnknownEvent)).event_type == "mystery_event"

                # A hub that never answers: the client's timeout.
                hub.set_faults(never_answer=["metadata_request"])
                with pytest.raises(captivate.Timeout):
                    await conv.get_metadata()

    asyncio.run(main())


def test_reset_forgets_everything_but_the_connections() -> None:
    async def main() -> None:
        async with Hub(SCRIPT) as hub:
            async with await hub.connect() as client:
                conv = await client.start_conversation("u1", start="user-first")
                events = conv.events()
                await conv.send_message("order 7")
                assert await said(events) == ("bot", "Welcome to Acme.")
                await conv.upload_file(b"a receipt", filename="receipt.txt")
                hub.set_faults(duplicate_events=True)
                hub.set_script({"rules": [{"then": [{"bot": "Another script."}]}]})
                assert hub.script["rules"][0]["then"] == [{"bot": "Another script."}]
                assert hub.conversations() and hub.received() and hub.requests() and hub.files()

                hub.reset()
                assert hub.conversations() == [] and hub.received() == []
                assert hub.requests() == [] and hub.files() == []
                assert not any(hub.faults.values())
                assert hub.script == Hub(SCRIPT).script  # the script it started with
                assert hub.live_connections == 1 and client.is_connected
                # The client goes on: a new conversation is greeted as the first was.
                conv = await client.start_conversation("u2", start="user-first")
                events = conv.events()
                await conv.send_message("hello")
                assert await said(events) == ("bot", "Welcome to Acme.")
                assert await said(events) == ("bot", "Pardon?")

                hub.set_script(None)  # the usual flow
                assert hub.script == Hub.default_script()

    asyncio.run(main())


def test_files_requests_and_expired_links() -> None:
    async def main() -> None:
        async with Hub() as hub:
            async with await hub.connect() as client:
                conv = await client.start_conversation("u1", start="user-first")
                file = await conv.upload_file(b"Order 1234 arrived damaged.", filename="report.txt")
                assert file.storage is not None
                (stored,) = hub.files()
                assert (stored["fileKey"], stored["filename"]) == (file.storage.file_key, "report.txt")
                assert stored["fileSize"] == len(b"Order 1234 arrived damaged.")
                assert [r["method"] for r in hub.requests()] == ["POST"]
                assert hub.requests()[0]["path"].startswith("/api/")
                assert hub.expire_files("no-such-key") == 0
                assert hub.expire_files(file.storage.file_key) == 1
                assert hub.expire_files() == 1

    asyncio.run(main())


def test_stop_closes_the_port_and_ends_the_calls() -> None:
    async def main() -> None:
        hub = Hub.start(SCRIPT)
        port = hub.port
        async with await hub.connect(reconnect={"enabled": False}) as client:
            states = client.events()
            hub.stop()
            await state(states, "failed")
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=WAIT).close()
        assert not hub.running and repr(hub) == "<captivate.testing.Hub stopped>"
        for call in (lambda: hub.url, lambda: hub.received(), hub.drop, hub.reset, lambda: hub.faults):
            with pytest.raises(captivate.Closed):
                call()
        hub.stop()  # again: nothing

    asyncio.run(main())


def test_restart_and_close_frames_the_client_survives() -> None:
    async def main() -> None:
        async with Hub(SCRIPT) as hub:
            async with await hub.connect(reconnect={"initial_delay": 0.02, "max_delay": 0.1}) as client:
                states = client.events()
                conv = await client.start_conversation("u1", start="user-first")
                events = conv.events()
                hub.restart(down_for=0.2)
                await state(states, "disconnected")
                await state(states, "connected")
                await conv.send_message("order 1")  # the conversation survived the restart
                assert await said(events) == ("bot", "Welcome to Acme.")
                assert await said(events) == ("bot", "Order 1 is on its way.")
                hub.close_connections(4000, "maintenance")
                await state(states, "disconnected")
                await state(states, "connected")
                assert hub.connections_accepted == 3

    asyncio.run(main())


def test_the_fault_proxy_in_front_of_the_hub() -> None:
    async def main() -> None:
        async with Hub(SCRIPT, agent_delay=0.01, proxy=True) as hub:
            assert hub.proxy_url.startswith("ws://127.0.0.1:") and hub.proxy_url != hub.url
            assert hub.client_options()["url"] == hub.proxy_url  # clients go through the proxy
            assert hub.proxy_stats == {
                "accepted": 0,
                "live": 0,
                "bytes_up": 0,
                "bytes_down": 0,
                "resets": 0,
                "truncated": 0,
            }
            assert hub.proxy_faults == {"latency": 0.0, "bandwidth": None, "blackhole": False}
            async with await hub.connect(reconnect={"initial_delay": 0.02, "max_delay": 0.1}) as client:
                states = client.events()
                conv = await client.start_conversation("u1", start="user-first")
                events = conv.events()
                await conv.send_message("order 1")
                assert await said(events) == ("bot", "Welcome to Acme.")
                assert await said(events) == ("bot", "Order 1 is on its way.")
                stats = hub.proxy_stats
                assert (stats["accepted"], stats["live"]) == (1, 1)
                assert stats["bytes_up"] > 0 and stats["bytes_down"] > 0

                # A frame cut on its way: the client comes back through the proxy and goes on.
                assert hub.proxy_truncate() == 1
                hub.bot_says(conv.id, "This frame is cut.")
                await state(states, "disconnected")
                await state(states, "connected")
                await conv.send_message("order 2")
                await hears(events, ("bot", "Order 2 is on its way."))
                assert hub.proxy_stats["truncated"] == 1 and hub.proxy_stats["accepted"] == 2

                # Latency each way, in seconds: a reply takes at least the round trip.
                hub.set_proxy_faults(latency=0.03, bandwidth=1_000_000)
                assert hub.proxy_faults == {"latency": 0.03, "bandwidth": 1_000_000, "blackhole": False}
                before = (hub.proxy_stats["bytes_up"], hub.proxy_stats["bytes_down"])
                asked = time.monotonic()
                await conv.send_message("order 3")
                assert await said(events) == ("bot", "Order 3 is on its way.")
                assert time.monotonic() - asked >= 0.06, "30 ms each way"
                after = (hub.proxy_stats["bytes_up"], hub.proxy_stats["bytes_down"])
                assert after[0] > before[0] and after[1] > before[1]
                hub.set_proxy_faults(blackhole=True)  # replaces the faults
                assert hub.proxy_faults == {"latency": 0.0, "bandwidth": None, "blackhole": True}
                hub.clear_proxy_faults()
                assert hub.proxy_faults == {"latency": 0.0, "bandwidth": None, "blackhole": False}

                # A reset of every connection through it.
                assert hub.proxy_reset() == 1
                await state(states, "disconnected")
                await state(states, "connected")
                await conv.send_message("order 4")
                await hears(events, ("bot", "Order 4 is on its way."))
                assert hub.proxy_stats["resets"] == 1

                # A restart of the proxy alone: it refuses connections once the call returns.
                hub.proxy_restart(down_for=0.3)
                port = urlsplit(hub.proxy_url).port
                assert port is not None
                with pytest.raises(ConnectionRefusedError):
                    socket.create_connection(("127.0.0.1", port), timeout=WAIT).close()
                socket.create_connection(("127.0.0.1", hub.port), timeout=WAIT).close()  # the hub runs on
                await state(states, "disconnected")
                await state(states, "connected")
                await conv.send_message("order 5")
                await hears(events, ("bot", "Order 5 is on its way."))
                stats = hub.proxy_stats
                assert (stats["accepted"], stats["live"], stats["resets"], stats["truncated"]) == (4, 1, 1, 1)
                assert texts(hub.received(conv.id, "user_message")) == [f"order {n}" for n in range(1, 6)]

    asyncio.run(main())


def test_the_fault_proxy_is_checked_and_only_there_when_asked_for() -> None:
    with pytest.raises(TypeError, match="proxy must be a bool"):
        Hub(proxy=1)  # type: ignore[arg-type]
    with Hub.start() as plain:
        calls: List[Callable[[], object]] = [
            lambda: plain.proxy_url,
            lambda: plain.proxy_faults,
            lambda: plain.proxy_stats,
            lambda: plain.set_proxy_faults(latency=0.01),
            plain.clear_proxy_faults,
            plain.proxy_reset,
            plain.proxy_truncate,
            plain.proxy_restart,
        ]
        for call in calls:
            with pytest.raises(captivate.InvalidArgument, match="no fault proxy"):
                call()
        assert plain.client_options()["url"] == plain.url
    with Hub.start(proxy=True) as hub:
        with pytest.raises(TypeError):
            hub.set_proxy_faults(latency="30 ms")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            hub.set_proxy_faults(bandwidth=1.5)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            hub.set_proxy_faults(blackhole=1)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            hub.set_proxy_faults(jitter=0.01)  # type: ignore[call-arg]
        with pytest.raises(TypeError):
            hub.proxy_restart(down_for="soon")  # type: ignore[arg-type]
        for bad in (dict(latency=-1.0), dict(latency=float("inf")), dict(bandwidth=0), dict(bandwidth=-5)):
            with pytest.raises(captivate.InvalidArgument):
                hub.set_proxy_faults(**bad)
        with pytest.raises(captivate.InvalidArgument):
            hub.proxy_restart(down_for=-1)
        # A refused call leaves the faults in force.
        assert hub.proxy_faults == {"latency": 0.0, "bandwidth": None, "blackhole": False}
        assert hub.proxy_reset() == 0 and hub.proxy_truncate() == 0
    with pytest.raises(captivate.Closed):
        hub.proxy_stats


def test_the_sync_context_manager_and_the_blocking_client() -> None:
    with Hub(SCRIPT, extra_api_keys=["second-key"]) as hub:
        client = hub.connect_blocking()
        try:
            conv = client.start_conversation("u1", start="user-first")
            events = conv.events()
            conv.send_message("order 9")
            seen: List[Optional[str]] = []
            while len(seen) < 2:
                event = events.next(timeout=WAIT)
                assert event is not None, "no reply"
                if isinstance(event, captivate.BotMessage):
                    seen.append(event.text)
            assert seen == ["Welcome to Acme.", "Order 9 is on its way."]
        finally:
            client.close()
        other = captivate.BlockingClient.connect("second-key", url=hub.url)  # an extra key works
        other.close()
    assert not hub.running


def test_tls() -> None:
    async def main() -> None:
        async with Hub(tls=True) as hub:
            assert hub.url.startswith("wss://localhost:")
            assert hub.ca_pem is not None and hub.ca_pem.startswith("-----BEGIN CERTIFICATE-----")
            assert hub.client_options()["ca_pem"] == hub.ca_pem
            async with await captivate.connect(**hub.client_options()) as client:
                assert client.is_connected

    asyncio.run(main())


def test_arguments_are_checked() -> None:
    with pytest.raises(TypeError):
        Hub([])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Hub(agent_delay="soon")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Hub(extra_api_keys="one-key")
    with pytest.raises(TypeError):
        Hub(tls=1)  # type: ignore[arg-type]
    for bad in (dict(agent_delay=-1.0), dict(port=70000), dict(api_key=" ")):
        with pytest.raises(captivate.InvalidArgument):
            Hub(**bad)
    with pytest.raises(captivate.InvalidArgument, match="rules must be a list"):
        Hub({"rules": 1})
    with pytest.raises(captivate.InvalidArgument):
        Hub({"rules": [{"when": {"contians": "typo"}, "then": []}]})
    with Hub(api_key="secret-key-Zr8") as hub:
        with pytest.raises(captivate.InvalidArgument, match="'reply_delay_ms' is not one of the faults"):
            hub.set_faults(reply_delay_ms=5)  # type: ignore[call-arg]
        with pytest.raises(TypeError):
            hub.set_faults(stall="yes")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            hub.set_faults(never_answer="user_message")
        with pytest.raises(captivate.InvalidArgument):
            hub.set_faults(http_status=700)
        with pytest.raises(captivate.InvalidArgument):
            hub.set_faults(reply_delay=float("nan"))
        with pytest.raises(captivate.InvalidArgument, match="no conversation"):
            hub.bot_says("no-such-conversation", "hello")
        with pytest.raises(captivate.InvalidArgument):
            hub.agent_says("no-such-conversation", "hello")
        with pytest.raises(captivate.InvalidArgument):
            hub.bot_says("no-such-conversation", 5)
        with pytest.raises(TypeError):
            hub.bot_says(5, "hello")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            hub.bot_says("c", "hello", send="yes")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            hub.update("c", 5)  # type: ignore[arg-type]
        with pytest.raises(captivate.InvalidArgument):
            hub.close_connections(5)
        with pytest.raises(captivate.InvalidArgument):
            hub.restart(down_for=-1)
        with pytest.raises(TypeError):
            hub.push("frame")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            hub.set_script(["rules"])  # type: ignore[arg-type]
        with pytest.raises(captivate.InvalidArgument):
            hub.set_script({"greeting": "hello"})
        assert "secret-key-Zr8" not in repr(hub)
        # A refused script leaves the one in force.
        assert hub.script == Hub.default_script()


# The pytest plugin, as a test of this suite uses it: loaded through the package's entry point.


@pytest.mark.captivate_script(SCRIPT)
@pytest.mark.captivate_hub(api_key="fixture-key-Jd4", agent_delay=0.01)
def test_the_fixture_runs_the_marked_script(captivate_hub: Hub) -> None:
    assert captivate_hub.api_key == "fixture-key-Jd4" and captivate_hub.script["greeting"] == SCRIPT["greeting"]

    async def main() -> None:
        async with await captivate.connect(**captivate_hub.client_options()) as client:
            conv = await client.start_conversation("u1", start="user-first")
            events = conv.events()
            await conv.send_message("a human please")
            assert await said(events) == ("bot", "Welcome to Acme.")
            assert await said(events) == ("agent", "Ada here. How can I help?")

    asyncio.run(main())


ECHO = {"rules": [{"then": [{"bot": "echo: {text}"}]}]}
SHOUT = {"rules": [{"when": {"regex": "(?P<all>.*)"}, "then": [{"bot": "{all}!"}]}]}


@pytest.mark.parametrize(("captivate_hub", "reply"), [(ECHO, "echo: hi"), (SHOUT, "hi!")], indirect=["captivate_hub"])
def test_the_fixture_parametrized_by_script(captivate_hub: Hub, reply: str) -> None:
    async def main() -> None:
        async with await captivate.connect(**captivate_hub.client_options()) as client:
            conv = await client.start_conversation("u1", start="user-first")
            events = conv.events()
            await conv.send_message("hi")
            assert await said(events) == ("bot", reply)

    asyncio.run(main())


@pytest.mark.captivate_hub(proxy=True)
def test_the_fixture_with_the_fault_proxy(captivate_hub: Hub) -> None:
    with captivate_hub.connect_blocking() as client:
        assert client.is_connected
        assert captivate_hub.client_options()["url"] == captivate_hub.proxy_url
        assert captivate_hub.proxy_stats["live"] == 1


def test_the_fixture_is_fresh_for_each_test(captivate_hub: Hub) -> None:
    assert captivate_hub.running and captivate_hub.conversations() == [] and captivate_hub.live_connections == 0
    assert captivate_hub.script == Hub.default_script()


def test_the_plugin_loads_through_its_entry_point(pytester: pytest.Pytester) -> None:
    """A project with no conftest: the fixture and the marks come from the installed package."""
    pytester.makepyfile(
        test_app="""
        import asyncio
        import pytest
        import captivate

        @pytest.mark.captivate_script({"rules": [{"then": [{"bot": "echo: {text}"}]}]})
        def test_echo(captivate_hub):
            async def main():
                async with await captivate.connect(**captivate_hub.client_options()) as client:
                    conv = await client.start_conversation("u", start="user-first")
                    events = conv.events()
                    await conv.send_message("ping")
                    while True:
                        e = await events.next(timeout=10)
                        assert e is not None
                        if isinstance(e, captivate.BotMessage):
                            assert e.text == "echo: ping"
                            return
            asyncio.run(main())
        """
    )
    run = pytester.runpytest_subprocess("--trace-config", "--strict-markers", "-p", "no:cacheprovider")
    run.assert_outcomes(passed=1)
    assert re.search(r"registered.*captivate\.pytest_plugin", run.stdout.str()), run.stdout.str()
    left_out = pytester.runpytest_subprocess("-p", "no:captivate", "-p", "no:cacheprovider")
    left_out.assert_outcomes(errors=1)
    left_out.stdout.fnmatch_lines(["*fixture 'captivate_hub' not found*"])
    marks = pytester.runpytest_subprocess("--markers")
    marks.stdout.fnmatch_lines(["@pytest.mark.captivate_script(script):*", "@pytest.mark.captivate_hub(**options):*"])


def test_the_package_does_not_need_pytest() -> None:
    code = "import sys, captivate, captivate.testing; sys.exit('pytest' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


def test_the_readme_example_is_the_tested_file(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README shows examples/python/testing/test_support_chat.py as it is, and it passes."""
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")  # nothing written beside the example
    readme = (ROOT / "bindings" / "python" / "README.md").read_text(encoding="utf-8")
    example = EXAMPLE.read_text(encoding="utf-8")
    assert f"```python\n{example}```\n" in readme, "the README's testing example differs from its file"
    run = pytester.runpytest_subprocess(str(EXAMPLE), "-p", "no:cacheprovider")
    run.assert_outcomes(passed=len(re.findall(r"^def test_", example, re.M)))
