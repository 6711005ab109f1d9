"""The blocking twins of the asyncio classes, made from their operations (the methods marked
``@operation`` in ``_client.py``), and their type stub.

A twin's method is the asyncio method's own function (same code, defaults and docstring) under
the twin's name, with its annotations made blocking: ``Awaitable[X]`` and
``Coroutine[Any, Any, X]`` returns become ``X``, and ``Client``, ``Conversation`` and
``EventStream`` their blocking classes. The function runs the same way in both: it calls its
client's ``_run``, which waits in the blocking client.

Type checkers and editors read the twins' signatures from ``_blocking.pyi``, which
``_stubgen.py`` writes from the same functions (a test fails when the committed stub is stale).
"""

from __future__ import annotations

import re
import types
from typing import Any, Callable, Dict, List, Tuple

from ._client import OPERATION

BLOCKING_NAMES: Dict[str, str] = {
    "Client": "BlockingClient",
    "Conversation": "BlockingConversation",
    "EventStream": "BlockingEventStream",
}
"""The asyncio classes in annotations, and their blocking counterparts."""

_NAME = re.compile(r"\b(" + "|".join(BLOCKING_NAMES) + r")\b")
_AWAITED = re.compile(r"(?:Awaitable\[(.*)\]|Coroutine\[Any, Any, (.*)\])")


def blocking_annotation(annotation: str, returned: bool) -> str:
    """An annotation of an asyncio method (as written: ``from __future__ import annotations``)
    made blocking."""
    text = annotation.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    if returned:
        awaited = _AWAITED.fullmatch(text)
        if awaited is not None:
            text = awaited.group(1) or awaited.group(2)
    return _NAME.sub(lambda m: BLOCKING_NAMES[m.group(1)], text)


def operations(cls: type) -> List[Tuple[str, Callable[..., Any], bool]]:
    """The operations of ``cls`` in the order they are written: each one's name, its function
    as written, and whether it is a classmethod."""
    out: List[Tuple[str, Callable[..., Any], bool]] = []
    for name, attr in vars(cls).items():
        is_classmethod = isinstance(attr, classmethod)
        fn = attr.__func__ if is_classmethod else attr
        written = getattr(fn, OPERATION, None)
        if written is not None:
            out.append((name, written, is_classmethod))
    return out


def _twin_function(fn: Callable[..., Any], owner: str, name: str, module: str) -> types.FunctionType:
    if not isinstance(fn, types.FunctionType):
        raise TypeError(f"{name} is not a function")
    twin = types.FunctionType(fn.__code__, fn.__globals__, name, fn.__defaults__, fn.__closure__)
    twin.__kwdefaults__ = dict(fn.__kwdefaults__) if fn.__kwdefaults__ else None
    twin.__doc__ = fn.__doc__
    twin.__module__ = module
    twin.__qualname__ = f"{owner}.{name}"
    twin.__annotations__ = {k: blocking_annotation(v, k == "return") for k, v in fn.__annotations__.items()}
    return twin


def twin(cls: type, name: str, bases: Tuple[type, ...], doc: str, module: str) -> type:
    """The blocking class of ``cls``: ``bases`` (what waits) and the operations of ``cls``."""
    namespace: Dict[str, Any] = {"__slots__": (), "__doc__": doc, "__module__": module}
    for op, fn, is_classmethod in operations(cls):
        method = _twin_function(fn, name, op, module)
        namespace[op] = classmethod(method) if is_classmethod else method
    return type(name, bases, namespace)
