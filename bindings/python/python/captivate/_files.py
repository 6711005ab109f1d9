"""What the uploads share, asyncio or blocking: the files they take (a path, bytes, or a binary
file object), read into bytes with the name the file knows of itself, and their options,
checked for type at once. Their values (a blank name, a time-to-live other than 1, 7, 30 or 90
days, a file not stored without a url), the default name ``attachment_<milliseconds>`` and the
policy for several files are the core's upload schema's, the same in every language."""

from __future__ import annotations

import datetime
import os
from typing import IO, Any, Dict, List, Optional, Sequence, Tuple, Union

from ._errors import InvalidArgument

Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, IO[bytes]]
"""A file to upload: a path (``str`` or ``os.PathLike``), its bytes (``bytes``, ``bytearray``,
``memoryview``), or a binary file object (read from its current position to its end)."""


def _check_opt(value: Any, name: str, kind: type) -> None:
    if value is not None and not isinstance(value, kind):
        raise TypeError(f"{name} must be a {kind.__name__} or None, not {type(value).__name__}")


def read_source(source: Any, filename: Optional[str]) -> Tuple[bytes, Optional[str]]:
    """The bytes of ``source`` and the file name to upload them under: ``filename``, else the
    path's (or the file object's) last part, else None (the core then names it
    ``attachment_<milliseconds>``)."""
    _check_opt(filename, "filename", str)
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        with open(path, "rb") as f:
            data = f.read()
        return data, filename or os.path.basename(path) or None
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), filename
    read = getattr(source, "read", None)
    if callable(read):
        data = read()
        if isinstance(data, str):
            raise TypeError("the file object must be opened in binary mode ('rb'), not text mode")
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"the file object's read() gave {type(data).__name__}, not bytes")
        name = getattr(source, "name", None)
        own = os.path.basename(name) if isinstance(name, str) else ""
        return bytes(data), filename or own or None
    raise TypeError(
        "a file to upload must be a path (str or os.PathLike), bytes, bytearray, memoryview or a binary "
        f"file object, not {type(source).__name__}"
    )


def upload_options(
    file_name: Optional[str], content_type: Optional[str], storage: bool, url: Optional[str], ttl_days: Optional[int]
) -> Dict[str, Any]:
    """The options of one upload, for the native layer (which checks their values)."""
    _check_opt(content_type, "content_type", str)
    if not isinstance(storage, bool):
        raise TypeError(f"storage must be a bool, not {type(storage).__name__}")
    _check_opt(url, "url", str)
    if ttl_days is not None and (isinstance(ttl_days, bool) or not isinstance(ttl_days, int)):
        raise TypeError(f"ttl_days must be an int (1, 7, 30 or 90) or None, not {type(ttl_days).__name__}")
    return {"file_name": file_name, "content_type": content_type, "storage": storage, "url": url, "ttl_days": ttl_days}


def prepare(
    source: Any,
    filename: Optional[str],
    content_type: Optional[str],
    storage: bool,
    url: Optional[str],
    ttl_days: Optional[int],
) -> Tuple[bytes, Dict[str, Any]]:
    """One upload's bytes and options."""
    data, name = read_source(source, filename)
    return data, upload_options(name, content_type, storage, url, ttl_days)


def prepare_many(
    sources: Sequence[Any], storage: bool, urls: Optional[Sequence[str]], ttl_days: Optional[int]
) -> List[Tuple[bytes, Dict[str, Any]]]:
    """The bytes and options of several uploads (``urls``: one per file, for files not
    stored)."""
    if isinstance(sources, (str, bytes, bytearray, memoryview, os.PathLike)) or not isinstance(sources, Sequence):
        raise TypeError(f"sources must be a list of files to upload, not {type(sources).__name__}")
    if urls is not None:
        if isinstance(urls, str) or not isinstance(urls, Sequence):
            raise TypeError(f"urls must be a list of str or None, not {type(urls).__name__}")
        if len(urls) != len(sources):
            raise InvalidArgument(f"urls has {len(urls)} entries for {len(sources)} files")
    return [
        prepare(s, None, None, storage, None if urls is None else urls[i], ttl_days) for i, s in enumerate(sources)
    ]


def seconds(expires_in: Union[int, datetime.timedelta, None]) -> Optional[int]:
    """A link's lifetime in whole seconds (None: the default)."""
    if expires_in is None:
        return None
    if isinstance(expires_in, datetime.timedelta):
        expires_in = int(expires_in.total_seconds())
    elif isinstance(expires_in, bool) or not isinstance(expires_in, int):
        raise TypeError(f"expires_in must be an int of seconds or a timedelta, not {type(expires_in).__name__}")
    if expires_in <= 0:
        raise InvalidArgument(f"expires_in must be positive, not {expires_in} s")
    return expires_in
