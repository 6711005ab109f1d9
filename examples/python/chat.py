"""A whole conversation with the hub from Python, printed readably: the greeting and its
buttons, a button choice, the hand-over to a live agent, a file uploaded (its text extracted by
the file-to-text service) and sent, metadata, the transcript, the user's conversations listed
across two API keys, and deletion. Runs against the local hub by default (``make demo`` starts
one); set CAPTIVATE_URL (without the key), CAPTIVATE_API_KEY and, for the listing across keys,
CAPTIVATE_API_KEY_2 to talk to another hub."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from typing import Callable, Optional

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
                    print(f"  {who} > file {f.filename or f.link}")
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

        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "order-1234.txt")
            with open(path, "w", encoding="utf-8") as f:
                f.write("Order #1234\n2 x blue mug\nOrdered on 3 March, not delivered yet.\n")
            file = await conv.upload_file(path)
        print(f"  uploaded {file.filename}: {len(file.text or '')} characters of text extracted")
        print(f"          {(file.text or '').splitlines()[0]!r} ...")
        print("  you   > Here is my order summary. (with order-1234.txt)")
        await conv.send_message("Here is my order summary.", files=[file])
        await until(events, "bot reply", lambda e: isinstance(e, captivate.BotMessage))

        await conv.set_metadata({"plan": "gold", "page": "/checkout"})
        await conv.set_private_metadata({"crm_id": "C-981"})
        await conv.set_time_to_live(30)
        print(f"  metadata: {await conv.get_metadata()}")
        transcript = await conv.get_transcript()
        print(f"  transcript ({len(transcript.entries)} entries):")
        for entry in transcript.entries:
            if entry.text:
                print(f"    {entry.sender:<5} {entry.text.replace(chr(10), ' / ')}")
            for attached in entry.files:
                print(f"    {entry.sender:<5} (file {attached.filename})")
        await list_across_keys(client, url, os.environ.get("CAPTIVATE_API_KEY_2"))
        await conv.delete()
        print("  conversation deleted")
    print("  closed")


async def list_across_keys(client: captivate.Client, url: str, second_key: Optional[str]) -> None:
    """Lists the demo user's conversations across two API keys: each comes back on the client
    of its own key, ready to use, with its metadata."""
    if not second_key:
        print("  (set CAPTIVATE_API_KEY_2 to list conversations across two keys)")
        return
    async with await captivate.connect(second_key, url=url, ca_file=os.environ.get("CAPTIVATE_CA_FILE")) as second:
        other = await second.start_conversation("demo-user", metadata={"channel": "python-demo-2"}, start="user-first")
        listing = await captivate.list_across([client, second], "demo-user")
        print(f"  conversations of demo-user across two keys ({len(listing)}):")
        # Each conversation comes with what the hub said of it: its metadata and key.
        for found, summary in zip(listing, listing.summaries):
            key = "first key " if found.client is client else "second key"
            print(f"    {key} {found.id} (channel {summary.metadata.get('channel')})")
        await other.delete()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except captivate.CaptivateError as e:
        print(f"chat failed: {e}", file=sys.stderr)
        sys.exit(1)
