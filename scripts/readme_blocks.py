#!/usr/bin/env python3
"""Runs every program in the READMEs against a local hub, exactly as written.

    scripts/readme_blocks.py [--list] FILE.md...

Every fenced block whose language is `rust`, `c`, `python`, `js` (an ES module), `cjs` (a
CommonJS script) or `ts` (type-checked with `tsc --strict`, then run) is a complete program:
it is written to a file of its own, built, and run with a fresh local hub
(`scripts/with-sim.sh`: it reads the key and the URL from CAPTIVATE_API_KEY and CAPTIVATE_URL,
as the READMEs tell readers to). A program must exit 0 within its time limit. Blocks in other
languages (`sh`, `console`, `text`, `toml`, `json`, ...) are commands and output, not programs.

Front ends are taken from where `make test` put them: the Python virtualenv build/venv, the Node
package bindings/node (built by `make test-node`), libcaptivate under build/prefix (by
`make test-c`), and the core and local hub crates by path for Rust.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
WITH_SIM = ROOT / "scripts" / "with-sim.sh"
PYTHON = ROOT / "build" / "venv" / "bin" / "python"
C_PREFIX = ROOT / "build" / "prefix"
NODE_PKG = ROOT / "bindings" / "node"
RUNNABLE = {"rust", "c", "python", "js", "cjs", "ts"}
TIME_LIMIT = 120

FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")


@dataclass
class Block:
    """One fenced code block of a README."""

    path: Path
    line: int
    lang: str
    code: str

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line} ({self.lang})"


def blocks(path: Path) -> list[Block]:
    """Every fenced block of a Markdown file, with its language and first line number."""
    found: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, info, start = m["fence"], m["info"].strip(), i + 1
        body: list[str] = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i])
            i += 1
        if i == len(lines):
            raise SystemExit(f"{path}:{start}: a code block is never closed")
        lang = re.split(r"[\s,]+", info)[0].lower() if info else ""
        found.append(Block(path, start, lang, "\n".join(body) + "\n"))
        i += 1
    return found


def run(cmd: list[str], cwd: Path, what: str, env: dict[str, str] | None = None) -> None:
    """Runs `cmd` (built or run for `what`), failing with its output."""
    started = time.monotonic()
    try:
        done = subprocess.run(
            cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=TIME_LIMIT * 3
        )
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace")
        raise Failure(f"{what}: did not finish\n{out}") from None
    out = done.stdout.decode(errors="replace")
    if done.returncode != 0:
        raise Failure(f"{what}: exit status {done.returncode}\n{out}")
    print(f"   {what}: ok ({time.monotonic() - started:.1f} s)")
    for line in out.splitlines()[-8:]:
        print(f"   | {line}")


class Failure(Exception):
    """A block that did not build or run."""


def with_sim(cmd: list[str]) -> list[str]:
    return [str(WITH_SIM), "--", "timeout", str(TIME_LIMIT), *cmd]


def run_python(b: Block, work: Path) -> None:
    f = work / "block.py"
    f.write_text(b.code)
    run(with_sim([str(PYTHON), str(f)]), work, "run")


def node_dir(work: Path) -> Path:
    """A folder whose node_modules has the package, as an application would."""
    d = work / "app"
    (d / "node_modules").mkdir(parents=True, exist_ok=True)
    link = d / "node_modules" / "captivate-chat"
    if not link.exists():
        link.symlink_to(NODE_PKG, target_is_directory=True)
    return d


def run_js(b: Block, work: Path) -> None:
    d = node_dir(work)
    f = d / ("block.cjs" if b.lang == "cjs" else "block.mjs")
    f.write_text(b.code)
    run(with_sim(["node", str(f)]), d, "run")


def run_ts(b: Block, work: Path) -> None:
    d = node_dir(work)
    (d / "block.ts").write_text(b.code)
    (d / "node_modules" / "@types").mkdir(exist_ok=True)
    types = d / "node_modules" / "@types" / "node"
    if not types.exists():
        types.symlink_to(NODE_PKG / "node_modules" / "@types" / "node", target_is_directory=True)
    tsc = NODE_PKG / "node_modules" / ".bin" / "tsc"
    run(
        [str(tsc), "--strict", "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext",
         "--types", "node", "--outDir", "out", "block.ts"],
        d,
        "tsc --strict",
    )
    (d / "out" / "package.json").write_text('{"type": "commonjs"}\n')
    run(with_sim(["node", str(d / "out" / "block.js")]), d, "run")


def run_c(b: Block, work: Path) -> None:
    src, exe = work / "block.c", work / "block"
    src.write_text(b.code)
    env = dict(os.environ, PKG_CONFIG_PATH=str(C_PREFIX / "lib" / "pkgconfig"))
    flags = subprocess.run(
        ["pkg-config", "--cflags", "--libs", "captivate"], env=env, check=True, stdout=subprocess.PIPE, text=True
    ).stdout.split()
    run(
        ["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-D_POSIX_C_SOURCE=200809L", str(src), "-o", str(exe),
         *flags, f"-Wl,-rpath,{C_PREFIX / 'lib'}", "-lpthread"],
        work,
        "cc",
    )
    run(with_sim([str(exe)]), work, "run")


def rust_crate(rust_blocks: list[Block], work: Path) -> dict[int, str]:
    """One crate with a binary per block (built once: the dependencies are shared)."""
    crate = work / "rust"
    (crate / "src" / "bin").mkdir(parents=True)
    bins: dict[int, str] = {}
    for n, b in enumerate(rust_blocks):
        bins[id(b)] = f"block{n}"
        (crate / "src" / "bin" / f"block{n}.rs").write_text(b.code)
    (crate / "Cargo.toml").write_text(
        f"""[package]
name = "readme-blocks"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
captivate = {{ path = "{ROOT / 'core'}" }}
captivate-sim = {{ path = "{ROOT / 'sim'}" }}
tokio = {{ version = "1", features = ["full"] }}
serde_json = "1"

[workspace]
"""
    )
    lock = ROOT / "Cargo.lock"
    (crate / "Cargo.lock").write_bytes(lock.read_bytes())
    return bins


def main() -> int:
    args = sys.argv[1:]
    listing = "--list" in args
    files = [Path(a).resolve() for a in args if a != "--list"]
    if not files:
        print(__doc__)
        return 2
    every = [b for f in files for b in blocks(f)]
    programs = [b for b in every if b.lang in RUNNABLE]
    if listing:
        for b in every:
            print(("run   " if b in programs else "skip  ") + b.name)
        return 0
    unlabelled = [b for b in every if not b.lang]
    if unlabelled:
        for b in unlabelled:
            print(f"{b.name}: a code block without a language: say what it is", file=sys.stderr)
        return 1
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="readme-blocks-") as tmp:
        base = Path(tmp)
        rust_blocks = [b for b in programs if b.lang == "rust"]
        bins: dict[int, str] = {}
        if rust_blocks:
            bins = rust_crate(rust_blocks, base)
            print(f"== building the {len(rust_blocks)} Rust programs")
            try:
                env = dict(os.environ, CARGO_TARGET_DIR=str(TARGET))
                manifest = str(base / "rust" / "Cargo.toml")
                run(["cargo", "build", "-q", "--manifest-path", manifest], base, "cargo build", env)
            except Failure as e:
                failures.append(f"the Rust programs: {e}")
                rust_blocks = []
        for n, b in enumerate(programs):
            print(f"== {b.name}")
            work = base / f"b{n}"
            work.mkdir()
            try:
                if b.lang == "python":
                    run_python(b, work)
                elif b.lang in ("js", "cjs"):
                    run_js(b, work)
                elif b.lang == "ts":
                    run_ts(b, work)
                elif b.lang == "c":
                    run_c(b, work)
                elif b.lang == "rust":
                    if b not in rust_blocks:
                        raise Failure("not built (see above)")
                    exe = TARGET / "debug" / bins[id(b)]
                    run(with_sim([str(exe)]), work, "run")
            except Failure as e:
                failures.append(f"{b.name}: {e}")
                print(f"   FAILED: {str(e).splitlines()[0]}")
    print(f"{len(programs) - len(failures)} of {len(programs)} README programs ran")
    for f in failures:
        print(f"\nFAILED {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
