#!/usr/bin/env bash
# Runs the Autobahn test suite's client cases against the library and prints a summary.
#
# The suite (autobahntestsuite on PyPI) runs only on Python 2.7: PYTHON2 names the interpreter
# (default: python2.7 or python2 on the PATH, or pyenv's 2.7). It is installed under
# $CARGO_TARGET_DIR/autobahn-run/site on the first run. The fuzzing server listens on a free
# loopback port; its report is written to $CARGO_TARGET_DIR/autobahn-run/reports/clients/
# (index.html for a browser, index.json, one JSON file per case), and its summary to RESULTS.md
# beside this script.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
work=$target/autobahn-run
mkdir -p "$work"

is_py27() { "$1" -c 'import sys; assert sys.version_info[:2] == (2, 7)' > /dev/null 2>&1; }
py2=${PYTHON2:-}
if [ -z "$py2" ]; then
    for candidate in python2.7 python2 "$HOME"/.pyenv/versions/2.7*/bin/python; do
        if is_py27 "$candidate"; then
            py2=$candidate
            break
        fi
    done
fi
if [ -z "$py2" ] || ! is_py27 "$py2"; then
    echo "the Autobahn test suite needs Python 2.7: set PYTHON2 to its interpreter" >&2
    exit 1
fi
site=$work/site
if [ ! -d "$site/autobahntestsuite" ]; then
    echo "== installing autobahntestsuite for $py2"
    "$py2" -m pip install --quiet --disable-pip-version-check --target "$site" autobahntestsuite
fi
# wstest through site.addsitedir, so that the namespace packages' .pth files are read.
cat > "$work/wstest.py" << 'PY'
import site, sys
site.addsitedir(sys.argv.pop(1))
from autobahntestsuite.wstest import run
sys.argv[0] = 'wstest'
run()
PY

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rm -rf "$work/reports"
cat > "$work/fuzzingserver.json" << JSON
{
  "url": "ws://127.0.0.1:$port",
  "outdir": "$work/reports/clients",
  "cases": ["*"],
  "exclude-cases": ["9.*", "12.*", "13.*"],
  "exclude-agent-cases": {}
}
JSON

echo "== building the client"
(cd "$here" && CARGO_TARGET_DIR=$target/autobahn cargo build -q)

echo "== fuzzing server on port $port"
(cd "$work" && exec "$py2" "$work/wstest.py" "$site" -m fuzzingserver -s "$work/fuzzingserver.json" -u 0 > "$work/server.log" 2>&1) &
server=$!
trap 'kill $server 2> /dev/null || true' EXIT
for _ in $(seq 1 100); do
    if (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null; then break; fi
    sleep 0.2
done

echo "== running the cases: 1 to 8 and 10 (9 measures performance with messages up to 16 MiB; 12 and 13 are compression, which the client does not offer)"
"$target/autobahn/debug/captivate-autobahn" "ws://127.0.0.1:$port"

python3 "$here/summary.py" "$work/reports/clients" | tee "$here/RESULTS.md"
