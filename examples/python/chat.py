"""A whole conversation with the hub from Python, printed readably: the greeting and its
buttons, a button choice, the hand-over to a live agent, metadata, the transcript, and
deletion. Runs against the local hub by default (``make demo`` starts one); set CAPTIVATE_URL
(without the key) and CAPTIVATE_API_KEY to talk to another hub."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Callable

import captivate


def show(event: captivate.Event) -> None:
    """Prints an event the way a chat window would show it."""
    if isinstance(event, captivate.Message):
        who = "bot  " if isinstance(event, captivate.BotMessage) else "agent"
        for item in event.items:
            if isinstance(item, captivate.TextItem):
                print(f"  {who} > {item.text}")
            elif isinstance(item, captivate.ButtonsItem):
                if item.title:
                    print(f"  {who} > {item.title}")
                print("          " + " ".join(f"[{o.label}]" for o in item.options))
            elif isinstance(item, captivate.FilesItem):
                for f in item.files:
                    print(f"  {who} > file {f.url}")
    elif isinstance(event, captivate.ConversationUpdate):
        if event.update == "agent_connected":
            name = event.data.get("agentInfo", {}).get("name", "an agent") if isinstance(event.data, dict) else "an agent"
            print(f"  .... {name} joined the conversation")
        elif event.update == "agent_disconnected":
            print("  .... the agent left the conversation")
    elif isinstance(event, captivate.StateChange):
        print(f"  .... connection: {event.current.state}")
    elif isinstance(event, captivate.HubErrorEvent):
        print(f"  .... hub error: {event.description}")


async def until(events: captivate.EventStream, what: str, done: Callable[[captivate.Event], bool]) -> None:
    """Shows events until one satisfies ``done``."""
    while True:
        event = await events.next(timeout=10)
        if event is None:
            raise RuntimeError(f"no {what} within 10 s")
        show(event)
        if done(event):
            return


async def main() -> None:
    url = os.environ.get("CAPTIVATE_URL", "ws://127.0.0.1:8080/dev")
    key = os.environ.get("CAPTIVATE_API_KEY", "test-key")
    print(f"== Python (captivate {captivate.__version__}): connecting to {url}")
    async with await captivate.connect(key, url=url, ca_file=os.environ.get("CAPTIVATE_CA_FILE")) as client:
        print(f"  connected, socket {client.socket_id}")
        conv = await client.start_conversation(
            "demo-user",
            user_basic_info={"firstName": "Ada", "email": "ada@example.com"},
            metadata={"channel": "python-demo"},
        )
        print(f"  conversation {conv.id}")
        events = conv.events()
        await until(events, "greeting", lambda e: isinstance(e, captivate.BotMessage) and bool(e.buttons))

        async def say(text: str) -> None:
            print(f"  you   > {text}")
            await conv.send_message(text)

        await say("Hello there!")
        await until(events, "bot reply", lambda e: isinstance(e, captivate.BotMessage))
        print("  you   > (chooses [Chat to Agent])")
        await conv.send_message("Chat to Agent")
        await until(events, "live agent", lambda e: isinstance(e, captivate.LivechatMessage))
        await say("My order #1234 has not arrived.")
        await until(events, "agent reply", lambda e: isinstance(e, captivate.LivechatMessage))
        await say("bye")
        await until(
            events, "agent leaving", lambda e: isinstance(e, captivate.ConversationUpdate) and e.update == "agent_disconnected"
        )

        await conv.set_metadata({"plan": "gold", "page": "/checkout"})
        await conv.set_private_metadata({"crm_id": "C-981"})
        await conv.set_time_to_live(30)
        print(f"  metadata: {await conv.get_metadata()}")
        transcript = await conv.get_transcript()
        print(f"  transcript ({len(transcript.entries)} entries):")
        for entry in transcript.entries:
            if entry.text:
                print(f"    {entry.sender:<5} {entry.text.replace(chr(10), ' / ')}")
        await conv.delete()
        print("  conversation deleted")
    print("  closed")


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except captivate.CaptivateError as e:
        print(f"chat failed: {e}", file=sys.stderr)
        sys.exit(1)
