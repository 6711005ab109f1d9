"""The blocking client, for scripts and REPLs: the methods of ``Client`` and ``Conversation``,
each waiting on the caller's thread for its outcome with the GIL released (Ctrl-C interrupts
the wait and stops the call). There is no event loop and no thread behind it: a call after
``close`` fails at once with ``Closed``, and every stream ends at the close. Callbacks run on a
thread of the client's own.

The classes are made from the asyncio client's operations (``_twin.py``), so that each
operation is written once; ``_blocking.pyi`` gives their types."""

from __future__ import annotations

from ._client import Client, Conversation, ConversationBase
from ._threads import BlockingEventStream, BlockingSurface
from ._twin import twin

__all__ = ["BlockingClient", "BlockingConversation", "BlockingEventStream", "list_across_blocking"]

BlockingConversation = twin(
    Conversation,
    "BlockingConversation",
    (ConversationBase,),
    "A conversation of a ``BlockingClient``: the methods of ``Conversation``, each waiting for\n"
    "its outcome; its events are a blocking iterator, its callbacks run on the client's\n"
    "callback thread.",
    __name__,
)

BlockingClient = twin(
    Client,
    "BlockingClient",
    (BlockingSurface,),
    "A client for scripts and REPLs: the methods of ``Client``, each waiting for its outcome.\n"
    "Create one with ``BlockingClient.connect(...)``; ``with`` closes it.",
    __name__,
)
BlockingClient._conversation_class = BlockingConversation

list_across_blocking = BlockingClient.list_across

