#!/usr/bin/env bash
# Builds fuseguard on a fresh machine and runs it in the foreground with the
# example depot. Ctrl-C stops it. Pass another config as the first argument.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target fuseguard

config=${1:-examples/site.yaml}
./build/controller/fuseguard --check-config "$config"
echo
echo "Starting fuseguard with $config (Ctrl-C to stop; kill -HUP <pid> reloads)."
exec ./build/controller/fuseguard --config "$config"
