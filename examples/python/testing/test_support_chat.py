"""A support chat and its tests, offline: the local hub plays the bot and the agent."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Tuple

import pytest

import captivate
from captivate.testing import Hub


class SupportChat:
    """The app's chat handler: asks on behalf of a user, and tells who answered and what."""

    def __init__(self, conv: captivate.Conversation) -> None:
        self.conv = conv
        self.events = conv.events()

    @classmethod
    async def open(cls, client: captivate.Client, user_id: str) -> SupportChat:
        return cls(await client.start_conversation(user_id, start="user-first"))

    async def ask(self, text: str, wait: float = 10.0) -> Tuple[str, str]:
        await self.conv.send_message(text)
        while True:
            event = await self.events.next(timeout=wait)
            if event is None:
                return "app", "Support is busy: we will email you."
            if isinstance(event, captivate.Message):
                who = "agent" if isinstance(event, captivate.LivechatMessage) else "bot"
                return who, event.text or ""


# The bot's script: the rules are tried in order, on each message.
SCRIPT = {
    "rules": [
        {"when": {"regex": r"^order (?P<n>\d+)$"}, "then": [{"bot": "Order {n} is on its way."}]},
        {"when": {"contains": "human"}, "then": [{"handover": {"agent": "Ada"}}, {"agent": "Ada here."}]},
        {"when": {"live": True}, "then": [{"agent": "{agent}: noted."}]},
        {"then": [{"bot": "Ask me about an order."}]},
    ]
}


async def reconnected(states: captivate.EventStream) -> None:
    """Waits until the link has dropped and is back."""
    down = False
    async for event in states:
        if isinstance(event, captivate.StateChange):
            down = down or event.current.state == "disconnected"
            if down and event.current.is_connected:
                return


@pytest.mark.captivate_script(SCRIPT)
def test_orders_then_a_human_across_a_dropped_link(captivate_hub: Hub) -> None:
    async def main() -> None:
        async with await captivate.connect(**captivate_hub.client_options()) as client:
            states = client.events()
            chat = await SupportChat.open(client, "user-1")
            assert await chat.ask("order 42") == ("bot", "Order 42 is on its way.")
            assert await chat.ask("a human, please") == ("agent", "Ada here.")

            captivate_hub.drop()  # the link drops: the client reconnects by itself
            await asyncio.wait_for(reconnected(states), 10)
            assert await chat.ask("my parcel is late") == ("agent", "Ada: noted.")

        sent = captivate_hub.received(chat.conv.id, "user_message")
        assert [f["event"]["event_payload"]["content"]["text"] for f in sent] == [
            "order 42",
            "a human, please",
            "my parcel is late",
        ]

    asyncio.run(main())


def test_a_silent_hub_gets_the_apps_own_answer(captivate_hub: Hub) -> None:
    captivate_hub.set_faults(never_answer=["user_message"])  # the usual flow, but mute

    async def main() -> None:
        async with await captivate.connect(**captivate_hub.client_options()) as client:
            chat = await SupportChat.open(client, "user-2")
            assert await chat.ask("hello?", wait=0.5) == ("app", "Support is busy: we will email you.")

    asyncio.run(main())


if __name__ == "__main__":  # `python test_support_chat.py` runs `pytest test_support_chat.py`
    sys.exit(subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__]))
