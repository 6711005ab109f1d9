"""Results that hold several things, made in Python: sequences, as ``Transcript`` and
``ConversationList`` are (iterable, indexable and sliceable like a list, ``len``, ``==`` with
another of their kind or with a list of their items), each with the JSON it was made from
(``raw``)."""

from __future__ import annotations

from typing import Any, Generic, Iterator, List, Optional, Sequence, TypeVar, Union, overload

from ._native import ConversationList, ConversationSummary, File, Pagination

T = TypeVar("T")
C = TypeVar("C")


class Results(Sequence[T]):
    """A sequence of results over a list: indexing with an int (negative from the end) gives an
    item, with a slice a list; it equals another of its class with equal items and the list of
    its items."""

    __slots__ = ("_items",)

    def __init__(self, items: List[T]) -> None:
        self._items = items

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> List[T]: ...

    def __getitem__(self, index: Union[int, slice]) -> Union[T, List[T]]:
        return self._items[index]

    def __iter__(self) -> Iterator[T]:
        return iter(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, list):
            return self._items == other
        if type(other) is type(self):
            assert isinstance(other, Results)
            return self._same(other)
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None  # type: ignore[assignment]

    def _same(self, other: "Results[Any]") -> bool:
        return self._items == other._items


class FileList(Results[File]):
    """Files uploaded together (``upload_files``), in the order they were given: a sequence of
    ``File``."""

    __slots__ = ()

    @property
    def raw(self) -> List[Any]:
        """Each file as the JSON object a message carries for it (``File.json``), which is what
        the file-to-text service's answer is read into."""
        return [f.json for f in self._items]

    def __repr__(self) -> str:
        return f"<captivate.FileList of {len(self._items)} files>"


class CrossKeyListing(Results[C], Generic[C]):
    """A user's conversations listed across several API keys (``list_across``): a sequence of
    the conversations, each on the client of its own key, ready to use, in the hub's order.
    What the hub said of each (its metadata and key) is in ``summaries``, in the same order
    (``zip(listing, listing.summaries)`` pairs them; ``metadata`` has the metadata alone)."""

    __slots__ = ("_summaries",)

    def __init__(self, conversations: List[C], summaries: ConversationList) -> None:
        super().__init__(conversations)
        self._summaries = summaries

    @property
    def conversations(self) -> List[C]:
        """The conversations, in the hub's order."""
        return list(self._items)

    @property
    def summaries(self) -> ConversationList:
        """The listing the conversations came from: what the hub said of each (its id,
        ``metadata`` and ``api_key``), in the same order, with the paging."""
        return self._summaries

    @property
    def metadata(self) -> List[Any]:
        """Each conversation's metadata as listed (private metadata is not listed), in the same
        order as the conversations."""
        return [s.metadata for s in self._summaries]

    def summary_of(self, conversation: C) -> Optional[ConversationSummary]:
        """What the hub said of one of these conversations (None for another)."""
        for c, s in zip(self._items, self._summaries):
            if c == conversation:
                return s
        return None

    @property
    def pagination(self) -> Optional[Pagination]:
        """Paging information, when the hub sent it."""
        return self._summaries.pagination

    @property
    def raw(self) -> Any:
        """The hub's JSON of the listing (see ``ConversationList.raw``)."""
        return self._summaries.raw

    def _same(self, other: "Results[Any]") -> bool:
        return isinstance(other, CrossKeyListing) and self._items == other._items and self._summaries == other._summaries

    def __repr__(self) -> str:
        return f"<captivate.CrossKeyListing of {len(self._items)} conversations>"

