#!/usr/bin/env bash
# The live demo, from a fresh machine: installs what is needed, builds, then
# starts a private mosquitto, the site simulator (fuseguard-sim: a grid
# meter, an EMS and eight OCPP stations whose cars come and go) and fuseguard
# with examples/demo.yaml, and draws the site in this terminal. Ctrl-C stops
# all of it.
#
#   scripts/run.sh                    the demo, with the live view
#   FUSEGUARD_DEMO_SECONDS=30 \
#   FUSEGUARD_DEMO_VIEW=0 scripts/run.sh   run 30 s without the view (CI)
#
# Watch the MQTT API meanwhile, from another terminal:
#   mosquitto_sub -p 11883 -t 'fuseguard/demo/#' -v
# or open the dashboard: http://127.0.0.1:18080/
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target fuseguard fuseguard-sim

logs=$(mktemp -d /tmp/fuseguard-demo-logs.XXXXXX)
rm -rf /tmp/fuseguard-demo   # the demo's state_dir: a fresh uptime history
pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo
  echo "demo stopped; logs in $logs"
}
trap stop INT TERM EXIT

/usr/sbin/mosquitto -p 11883 >"$logs/mosquitto.log" 2>&1 &
pids+=($!)
./build/examples/simulator/fuseguard-sim examples/simulator/demo-sim.yaml 2>"$logs/simulator.log" &
pids+=($!)

args=(--config examples/demo.yaml)
if [ "${FUSEGUARD_DEMO_VIEW:-1}" = 1 ]; then
  args+=(--view)
  echo "Starting the demo; fuseguard's log: $logs/fuseguard.log"
  echo "MQTT: mosquitto_sub -p 11883 -t 'fuseguard/demo/#' -v"
  echo "Dashboard: http://127.0.0.1:18080/"
  sleep 2
fi
./build/controller/fuseguard "${args[@]}" 2>"$logs/fuseguard.log" &
pids+=($!)

if [ -n "${FUSEGUARD_DEMO_SECONDS:-}" ]; then
  sleep "$FUSEGUARD_DEMO_SECONDS"
else
  wait "${pids[-1]}"
fi
