"""The exceptions: one flat hierarchy with a class and a code for every kind of error of the
core, the same classes and codes every front end uses."""

from __future__ import annotations

import asyncio

import pytest

import captivate
from captivate import _native
from conftest import Hub


def test_every_error_kind_of_the_core_has_its_class_and_code() -> None:
    kinds = _native.error_kinds()
    assert len({code for code, _, _ in kinds}) == len(kinds)
    for code, class_name, _doc in kinds:
        cls = getattr(captivate, class_name)
        assert class_name in captivate.__all__
        assert cls.code == code
        assert captivate.ERROR_CLASSES[code] is cls
        # Flat: directly under CaptivateError (a builtin may stand beside it: ValueError for
        # InvalidArgument, TimeoutError for Timeout).
        assert cls.__bases__[0] is captivate.CaptivateError, cls.__mro__
        assert not any(issubclass(b, captivate.CaptivateError) for b in cls.__bases__[1:])
        e = cls("what happened", {"k": 1})
        assert (str(e), e.message, e.details) == ("what happened", "what happened", {"k": 1})
    # And the package has no class the core lacks.
    assert {c.__name__ for c in captivate.CaptivateError.__subclasses__()} == {name for _, name, _ in kinds}
    assert issubclass(captivate.InvalidArgument, ValueError) and issubclass(captivate.Timeout, TimeoutError)


def test_errors_carry_their_code_and_details_from_the_core(hub: Hub) -> None:
    async def main() -> None:
        with pytest.raises(captivate.Rejected) as rejected:
            await captivate.connect("wrong-key", url=hub.url)
        assert rejected.value.code == "rejected" and rejected.value.details["status"] in (401, 403)
        client = await captivate.connect(hub.key, url=hub.url, request_timeout_ms=300)
        conv = await client.start_conversation("errs", start="user-first")
        hub.faults(never_answer=["metadata_request"])
        with pytest.raises(captivate.Timeout) as timeout:
            await conv.get_metadata()
        assert timeout.value.code == "timeout" and timeout.value.details["millis"] == 300
        hub.faults()
        with pytest.raises(captivate.HubError) as hub_error:
            await client.conversation("no-such-conversation").get_metadata()
        assert (hub_error.value.code, hub_error.value.hub_code) == ("hub", 400)
        assert hub_error.value.conversation_id == "no-such-conversation"
        await client.close()

    asyncio.run(main())
