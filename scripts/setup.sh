#!/usr/bin/env bash
# Installs exactly the Debian 12 packages fuseguard needs to build, test and run.
# Idempotent and non-interactive; safe to run on every CI job and every demo start.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake pkg-config git
  # libraries the code links against
  libboost-dev libboost-system-dev libyaml-cpp-dev libmodbus-dev
  libpaho-mqtt-dev libpaho-mqttpp-dev nlohmann-json3-dev libssl-dev
  libsystemd-dev libsqlite3-dev openssl
  # tests and benchmarks
  doctest-dev libbenchmark-dev mosquitto mosquitto-clients socat mbpoll python3-pymodbus python3-serial python3-serial-asyncio
  # the wall clock stepped under the running binary (tests/controller/test_clock_jumps.cpp)
  libfaketime
  # the libFuzzer targets (fuzz/, scripts/fuzz.sh): clang and its fuzzer runtime
  clang-14 libclang-rt-14-dev
  # systemd-analyze (unit verification) and dpkg-deb (package test)
  systemd dpkg-dev file
  # promtool, which checks /metrics, and a real browser for the dashboard
  # (tests/controller/test_dashboard.cpp)
  prometheus chromium
  # Jinja2, to render the Home Assistant templates fuseguard announces
  # (tests/controller/test_home_assistant.cpp)
  python3-jinja2
)

# The OCPP interop tests run npm's ocpp-rpc: Node.js from Debian unless one
# is already installed.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
# The prometheus package enables its own server; only its promtool is wanted
# here, so a server this script brought in is not left running.
if [[ " ${missing[*]} " == *" prometheus "* ]] && [ -d /run/systemd/system ]; then
  $sudo systemctl disable --now prometheus.service >/dev/null 2>&1 || true
fi
