#!/usr/bin/env bash
# CI: what `make test-node` needs beyond the Rust toolchain: Node (18 or newer) and npm. The
# npm packages (typescript, @types/node) come from the registry during `make test-node`.
set -euo pipefail
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -ge 18 ]; then
    exit 0
  fi
fi
as_root=(); [ "$(id -u)" -eq 0 ] || as_root=(sudo)
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
