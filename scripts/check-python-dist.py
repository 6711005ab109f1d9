"""Checks the Python package's distributions in a folder: its wheels and its sdist.

    python scripts/check-python-dist.py DIR

Each wheel is abi3 for CPython 3.9 and later with a tag PyPI takes, and all carry the licenses
and the changelog (the repository's own files, byte for byte), the metadata PyPI shows, and,
for the sdist, the build backend and the Rust sources of every crate it builds. Exits non-zero
with one line per problem.
"""

from __future__ import annotations

import email.parser
import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ["LICENSE-MIT", "LICENSE-APACHE", "CHANGELOG.md"]
METADATA = {
    "Name": "captivate-chat",
    "License-Expression": "MIT OR Apache-2.0",
    "Requires-Python": ">=3.9",
}
SDIST_FILES = [
    "pyproject.toml",
    "Cargo.toml",
    "Cargo.lock",
    "backend/captivate_build.py",
    "bindings/python/Cargo.toml",
    "bindings/python/src/lib.rs",
    "core/src/lib.rs",
    "binding/src/lib.rs",
    "python/captivate/__init__.py",
    "python/captivate/py.typed",
]


def check_metadata(where: str, text: str, problems: list[str]) -> None:
    """The core metadata fields every upload needs."""
    meta = email.parser.Parser().parsestr(text)
    for field, value in METADATA.items():
        if meta.get(field) != value:
            problems.append(f"{where}: {field} is {meta.get(field)!r}, not {value!r}")
    if sorted(meta.get_all("License-File") or []) != sorted(SHIPPED):
        problems.append(f"{where}: License-File lists {meta.get_all('License-File')}")
    urls = [u.split(",")[0] for u in meta.get_all("Project-URL") or []]
    for name in ("Homepage", "Repository", "Changelog"):
        if name not in urls:
            problems.append(f"{where}: no Project-URL {name}")
    if not meta.get_all("Classifier"):
        problems.append(f"{where}: no classifiers")
    if "captivate" not in meta.get_payload():
        problems.append(f"{where}: no readme as the long description")


def check_wheel(wheel: Path, problems: list[str]) -> None:
    """The wheel's tags, licenses and metadata."""
    name, version, *_, python, abi, platform = wheel.stem.split("-")
    if (python, abi) != ("cp39", "abi3"):
        problems.append(f"{wheel.name}: tagged {python}-{abi}, not cp39-abi3")
    if platform.startswith("linux_"):
        problems.append(f"{wheel.name}: PyPI refuses the platform tag {platform}")
    info = f"{name}-{version}.dist-info"
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        for shipped in SHIPPED:
            inside = f"{info}/licenses/{shipped}"
            if inside not in names:
                problems.append(f"{wheel.name}: no {inside}")
            elif z.read(inside) != (ROOT / shipped).read_bytes():
                problems.append(f"{wheel.name}: {inside} differs from the repository's")
        if not any(n.startswith("captivate/_native") for n in names):
            problems.append(f"{wheel.name}: no native module")
        check_metadata(wheel.name, z.read(f"{info}/METADATA").decode(), problems)


def check_sdist(sdist: Path, problems: list[str]) -> None:
    """The sdist's licenses, metadata and everything its build needs."""
    with tarfile.open(sdist) as t:
        top = sdist.name[: -len(".tar.gz")]
        members = {m.name: m for m in t.getmembers()}

        def read(path: str) -> bytes | None:
            member = members.get(f"{top}/{path}")
            if member is None or not member.isfile():
                return None
            extracted = t.extractfile(member)
            return extracted.read() if extracted else None

        for shipped in SHIPPED:
            content = read(shipped)
            if content is None:
                problems.append(f"{sdist.name}: no {shipped} (a regular file)")
            elif content != (ROOT / shipped).read_bytes():
                problems.append(f"{sdist.name}: {shipped} differs from the repository's")
        for needed in SDIST_FILES:
            if read(needed) is None:
                problems.append(f"{sdist.name}: no {needed}")
        pkg_info = read("PKG-INFO")
        if pkg_info is None:
            problems.append(f"{sdist.name}: no PKG-INFO")
        else:
            check_metadata(sdist.name, pkg_info.decode(), problems)


def main() -> int:
    folder = Path(sys.argv[1])
    wheels = sorted(folder.glob("*.whl"))
    sdists = sorted(folder.glob("*.tar.gz"))
    problems: list[str] = []
    if not wheels and not sdists or len(sdists) > 1:
        problems.append(f"{folder}: {len(wheels)} wheels and {len(sdists)} sdists")
    for wheel in wheels:
        check_wheel(wheel, problems)
    for sdist in sdists:
        check_sdist(sdist, problems)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"{folder}: {', '.join(p.name for p in wheels + sdists)}: tags, licenses and metadata in order")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
