"""The package's pytest plugin: the ``captivate_hub`` fixture, a local hub for each test.

pytest loads it by itself once ``captivate-chat`` is installed (the package's ``pytest11``
entry point, named ``captivate``: ``pytest -p no:captivate`` leaves it out); nothing else
imports it, so the package does not need pytest.

``captivate_hub`` is a :class:`captivate.testing.Hub` started for the test and stopped after
it: a fresh hub per test, so that no connection, conversation or fault outlives the test that
made it, at the cost of a start (a thread and a port, a few milliseconds). Its bot follows the
usual flow unless the test says otherwise:

- ``@pytest.mark.captivate_script(script)``: the bot's script (a dict);
- ``@pytest.mark.captivate_hub(**options)``: the hub's other options (``api_key``,
  ``extra_api_keys``, ``tls``, ``agent_delay``, ``port``, ``log``, ``proxy``; ``script``
  too);
- ``@pytest.mark.parametrize("captivate_hub", [script, ...], indirect=True)``: one run per
  script.

Marks on a class or a module apply to its tests (``pytestmark = pytest.mark.captivate_script(
SCRIPT)``); the closest one wins. The fixture is synchronous and works for asyncio tests too
(the hub runs on its own thread)::

    @pytest.mark.captivate_script({"rules": [{"then": [{"bot": "You said: {text}"}]}]})
    def test_echo(captivate_hub):
        async def main():
            async with await captivate.connect(**captivate_hub.client_options()) as client:
                ...
        asyncio.run(main())
"""

from __future__ import annotations

from typing import Any, Dict, Iterator

import pytest

from .testing import Hub

SCRIPT_MARK = "captivate_script"
OPTIONS_MARK = "captivate_hub"


def pytest_configure(config: pytest.Config) -> None:
    """Declares the plugin's marks (so that ``--strict-markers`` knows them)."""
    config.addinivalue_line(
        "markers", f"{SCRIPT_MARK}(script): the bot's script of the test's captivate_hub (a dict)"
    )
    config.addinivalue_line(
        "markers",
        f"{OPTIONS_MARK}(**options): the options of the test's captivate_hub "
        "(script, api_key, extra_api_keys, tls, agent_delay, port, log, proxy)",
    )


def hub_options(request: pytest.FixtureRequest) -> Dict[str, Any]:
    """The options of the hub of ``request``'s test: its marks (the closest wins) and its
    indirect parameter (a script)."""
    options: Dict[str, Any] = {}
    for mark in reversed(list(request.node.iter_markers(OPTIONS_MARK))):
        if mark.args:
            raise TypeError(f"@pytest.mark.{OPTIONS_MARK} takes keyword arguments only")
        options.update(mark.kwargs)
    script = request.node.get_closest_marker(SCRIPT_MARK)
    if script is not None:
        if len(script.args) != 1 or script.kwargs:
            raise TypeError(f"@pytest.mark.{SCRIPT_MARK} takes one argument, the script")
        options["script"] = script.args[0]
    if hasattr(request, "param"):
        options["script"] = request.param
    return options


@pytest.fixture
def captivate_hub(request: pytest.FixtureRequest) -> Iterator[Hub]:
    """A local hub for this test (``captivate.testing.Hub``), stopped after it. Connect with
    ``captivate.connect(**captivate_hub.client_options())``. Its script comes from
    ``@pytest.mark.captivate_script(...)``, its options from ``@pytest.mark.captivate_hub(...)``."""
    with Hub(**hub_options(request)) as hub:
        yield hub
