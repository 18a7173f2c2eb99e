#!/usr/bin/env bash
# Builds the libFuzzer targets with Debian's clang and runs each for a while.
#   scripts/fuzz.sh                 every target, 60 s each
#   scripts/fuzz.sh 3600            every target, an hour each
#   scripts/fuzz.sh 600 ocpp        the targets matching "ocpp", 10 min each
# The corpora grow in build-fuzz/fuzz/corpus/ and are kept between runs; a
# finding is left as build-fuzz/fuzz/corpus/crash-* (docs/testing.md).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
filter=${2:-}
CXX=clang++-14 CC=clang-14 cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFUSEGUARD_FUZZ=ON -DFUSEGUARD_WERROR=ON \
  -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=8 > /dev/null
cmake --build build-fuzz -j "$(nproc)"
# One target per core at a time: each fuzzes on a single thread.
FUSEGUARD_FUZZ_SECONDS=$seconds ctest --test-dir build-fuzz -L fuzz -R "fuzz_.*${filter}" --output-on-failure -j "$(nproc)"
