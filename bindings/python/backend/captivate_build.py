"""The build backend of captivate-chat: maturin's, without its download of a Rust toolchain.

When `cargo` is not on PATH, maturin's PEP 517 hooks fetch a whole Rust toolchain (hundreds of
megabytes, through `puccinialin`) into a temporary directory and build with it, unasked. This
backend checks for Rust first and, when it is missing or too old, stops at once with a message
saying what to install (or to take a prebuilt wheel). Otherwise every hook is maturin's own.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Callable, TypeVar

# maturin reads this in its hooks: it never installs a toolchain, whatever happens below.
os.environ["MATURIN_NO_INSTALL_RUST"] = "1"

import maturin  # noqa: E402  (after the variable, for any check made at import)

_Hook = TypeVar("_Hook", bound=Callable[..., Any])

_WHEEL_HINT = (
    "\nOr install a prebuilt wheel, which needs no Rust:"
    "\n    pip install --only-binary captivate-chat captivate-chat"
)


def _rust_version_needed() -> tuple[int, ...] | None:
    """The `rust-version` of the Cargo workspace holding the project (the current directory)."""
    for folder in (Path.cwd(), *Path.cwd().parents):
        manifest = folder / "Cargo.toml"
        if manifest.is_file():
            found = re.search(
                r'^rust-version\s*=\s*"([0-9.]+)"', manifest.read_text(encoding="utf-8"), re.M
            )
            if found:
                return tuple(int(part) for part in found.group(1).split("."))
    return None


def _cargo_version() -> tuple[int, ...] | None:
    """The version of the `cargo` on PATH: None when there is none that runs, `()` when it
    runs but does not say its version (then cargo itself tells what is wrong, if anything)."""
    cargo = shutil.which("cargo")
    if cargo is None:
        return None
    try:
        out = subprocess.run(
            [cargo, "--version"], capture_output=True, text=True, check=True, timeout=120
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.match(r"cargo (\d+)\.(\d+)\.(\d+)", out)
    return tuple(int(part) for part in found.groups()) if found else ()


def _require_rust() -> None:
    """Stops the build with a clear message unless a recent enough Rust is on PATH."""
    needed = _rust_version_needed()
    wanted = "Rust " + ".".join(map(str, needed)) + " or newer" if needed else "Rust"
    have = _cargo_version()
    if have is None:
        raise SystemExit(
            f"captivate-chat: building it from source needs {wanted}, and no `cargo` is on PATH."
            "\nInstall Rust (https://rustup.rs or your system's packages) and try again."
            + _WHEEL_HINT
        )
    if needed and have and have < needed:
        raise SystemExit(
            f"captivate-chat: building it from source needs {wanted}; the `cargo` on PATH is "
            f"{'.'.join(map(str, have))}.\nUpdate Rust (`rustup update`) and try again."
            + _WHEEL_HINT
        )


def _checked(hook: _Hook) -> _Hook:
    """maturin's `hook`, run after the check for Rust."""

    @functools.wraps(hook)
    def run(*args: Any, **kwargs: Any) -> Any:
        _require_rust()
        return hook(*args, **kwargs)

    return run  # type: ignore[return-value]


get_requires_for_build_sdist = _checked(maturin.get_requires_for_build_sdist)
get_requires_for_build_wheel = _checked(maturin.get_requires_for_build_wheel)
get_requires_for_build_editable = _checked(maturin.get_requires_for_build_editable)
prepare_metadata_for_build_wheel = _checked(maturin.prepare_metadata_for_build_wheel)
prepare_metadata_for_build_editable = _checked(maturin.prepare_metadata_for_build_editable)
build_sdist = _checked(maturin.build_sdist)
build_wheel = _checked(maturin.build_wheel)
build_editable = _checked(maturin.build_editable)
