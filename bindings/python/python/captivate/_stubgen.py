"""The type stub of the blocking module (``_blocking.pyi``), written from the functions of its
classes (the asyncio client's operations, their annotations made blocking by ``_twin.py``):
their signatures, defaults and docstrings, and the imports the annotations need.

``python -m captivate._stubgen bindings/python/python/captivate/_blocking.pyi`` rewrites it;
the package's tests fail when the committed stub is not what this module writes."""

from __future__ import annotations

import builtins
import inspect
import json
import re
import sys
import types
import typing
from typing import Any, Callable, Dict, List, Sequence, Tuple

from . import _native


_HOMES: Dict[str, str] = {
    "JSON": "._client",
    "Files": "._client",
    "ConversationBase": "._client",
    "Source": "._files",
    "ConnectOptions": "._options",
    "CrossKeyListing": "._results",
    "FileList": "._results",
    "BlockingEventStream": "._threads",
    "BlockingSurface": "._threads",
    "Unpack": "typing_extensions",
}
"""Where the names the stub uses come from (besides ``typing`` and the native module)."""

_REEXPORTED = {"BlockingEventStream"}
"""Names the blocking module hands on (``from ._blocking import BlockingEventStream``)."""


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    if value is None or isinstance(value, (bool, int, float)):
        return repr(value)
    return "..."


def _signature(fn: Callable[..., Any], prefix: str, indent: str, drop_first: bool = False) -> str:
    params = list(inspect.signature(fn).parameters.values())
    if drop_first:
        params = params[1:]
    out: List[str] = []
    star = False
    for p in params:
        ann = f": {p.annotation}" if p.annotation is not inspect.Parameter.empty else ""
        if p.kind is inspect.Parameter.KEYWORD_ONLY and not star:
            out.append("*")
            star = True
        if p.kind is inspect.Parameter.VAR_POSITIONAL:
            star = True
            out.append(f"*{p.name}{ann}")
            continue
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            out.append(f"**{p.name}{ann}")
            continue
        default = "" if p.default is inspect.Parameter.empty else f" = {_literal(p.default)}"
        out.append(f"{p.name}{ann}{default}")
    returned = fn.__annotations__.get("return")
    tail = f" -> {returned}" if returned else ""
    one_line = f"({', '.join(out)}){tail}"
    if len(prefix) + len(one_line) + 1 <= 110:
        return one_line
    # One parameter a line, as a formatter would put them.
    return "(\n" + "".join(f"{indent}    {p},\n" for p in out) + f"{indent}){tail}"


def _docstring(doc: str, indent: str) -> List[str]:
    lines = inspect.cleandoc(doc).replace('"""', '\\"""').splitlines()
    if len(lines) == 1:
        return [f'{indent}"""{lines[0]}"""']
    body = [f"{indent}{line}" if line else "" for line in lines[1:]]
    return [f'{indent}"""{lines[0]}'] + body[:-1] + [f'{body[-1]}"""']


def _def(
    name: str, fn: Callable[..., Any], indent: str, is_classmethod: bool = False, drop_first: bool = False
) -> List[str]:
    lines = [f"{indent}@classmethod"] if is_classmethod else []
    prefix = f"{indent}def {name}"
    lines.append(f"{prefix}{_signature(fn, prefix, indent, drop_first)}:")
    lines += _docstring(fn.__doc__ or "", indent + "    ")
    return lines


def _imports(texts: Sequence[str], defined: Sequence[str]) -> List[str]:
    names: typing.Set[str] = set()
    for text in texts:
        names.update(m.group(0).split(".")[0] for m in re.finditer(r"[A-Za-z_][\w.]*", text))
    by_home: Dict[str, List[str]] = {}
    plain: List[str] = []
    for n in sorted(names):
        if n in defined or hasattr(builtins, n):
            continue
        if n == "datetime":
            plain.append("import datetime")
        elif n in _HOMES:
            by_home.setdefault(_HOMES[n], []).append(n)
        elif n in _native.__all__:
            by_home.setdefault("._native", []).append(n)
        elif hasattr(typing, n):
            by_home.setdefault("typing", []).append(n)
        else:
            raise LookupError(f"the stub uses {n}, from nowhere known: add it to _HOMES")
    out = plain[:]
    for local in (False, True):
        if out and local:
            out.append("")
        for home in sorted(h for h in by_home if h.startswith(".") == local):
            shown = [f"{n} as {n}" if n in _REEXPORTED else n for n in by_home[home]]
            out.append(f"from {home} import {', '.join(shown)}")
    return out


def stub(
    module_doc: str,
    classes: Sequence[Tuple[type, str]],
    functions: Sequence[Tuple[str, Callable[..., Any]]],
) -> str:
    """The stub of a module of twins: ``classes`` (each with its bases as the stub writes them)
    and module-level ``functions`` (classmethods of a twin, bound)."""
    body: List[str] = []
    texts: List[str] = []
    for cls, bases in classes:
        body += ["", ""]
        body.append(f"class {cls.__name__}({bases}):")
        body += _docstring(cls.__doc__ or "", "    ")
        texts.append(bases)
        for name, attr in vars(cls).items():
            is_classmethod = isinstance(attr, classmethod)
            fn = attr.__func__ if is_classmethod else attr
            if not isinstance(fn, types.FunctionType):
                continue
            body.append("")
            body += _def(name, fn, "    ", is_classmethod)
            texts += list(fn.__annotations__.values())
    for name, bound in functions:
        fn = getattr(bound, "__func__", bound)
        body += ["", ""]
        body += _def(name, fn, "", drop_first=fn is not bound)
        texts += list(fn.__annotations__.values())
    texts.append("BlockingEventStream")
    head = _docstring(module_doc, "") + [
        "",
        "# Written by `python -m captivate._stubgen` from the operations of Client and Conversation",
        "# (_client.py): do not edit. The package's tests fail when it is stale.",
        "",
    ]
    return "\n".join(head + _imports(texts, [c.__name__ for c, _ in classes]) + body) + "\n"


def blocking_stub() -> str:
    """The stub of ``_blocking.py`` (``_blocking.pyi``)."""
    from . import _blocking
    from ._blocking import BlockingClient, BlockingConversation, list_across_blocking

    return stub(
        _blocking.__doc__ or "",
        [(BlockingConversation, 'ConversationBase["BlockingClient"]'), (BlockingClient, "BlockingSurface")],
        [("list_across_blocking", list_across_blocking)],
    )


def main(argv: Sequence[str]) -> int:
    """Writes the blocking module's stub to the path given (``-``: standard output)."""
    text = blocking_stub()
    if len(argv) != 2:
        sys.stderr.write("usage: python -m captivate._stubgen PATH-OF-_blocking.pyi | -\n")
        return 2
    if argv[1] == "-":
        sys.stdout.write(text)
    else:
        with open(argv[1], "w", encoding="utf-8") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
