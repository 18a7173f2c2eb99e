#!/usr/bin/env bash
# The whole test suite from a fresh machine: install, build, test; then the
# same again under AddressSanitizer + UndefinedBehaviorSanitizer; then every
# fuzzer for a few seconds.
#   scripts/test.sh            everything
#   FUSEGUARD_SKIP_SANITIZE=1  skip the sanitizer pass (quicker local runs)
#   FUSEGUARD_SKIP_FUZZ=1      skip the fuzzers (their clang build takes ~4 min)
set -euo pipefail
cd "$(dirname "$0")/.."
# Each stage's start, and the minutes since the first (what CI's time goes to).
stage() { printf '== %s: %s, %d min %02d s in\n' "$(date +%T)" "$1" $((SECONDS / 60)) $((SECONDS % 60)); }
stage setup

bash scripts/setup.sh
# Independent OCPP stations for the interop tests (npm's ocpp-rpc, pinned by
# the lock file).
(cd tests/ocpp/interop && npm ci --no-audit --no-fund --loglevel=error)
jobs=$(nproc)

stage "plain build"
# The product compiled file by file, as developers and packagers build it;
# the tests and benchmarks as unity builds (CMakeLists.txt, FUSEGUARD_UNITY_TESTS).
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFUSEGUARD_WERROR=ON -DFUSEGUARD_UNITY_TESTS=ON
cmake --build build -j "$jobs"
stage "plain tests"
ctest --test-dir build --output-on-failure -j "$jobs"

if [ "${FUSEGUARD_SKIP_SANITIZE:-0}" != 1 ]; then
  # A unity build (8 files per compile): Boost.Asio/Beast and JSON are
  # parsed once per batch (README, "Tests and benchmarks", for what it
  # measurably saves). The plain pass above compiles the product file by
  # file, as developers and packagers build, so that a missing #include
  # cannot hide behind a neighbour's.
  stage "sanitizer build"
  cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFUSEGUARD_SANITIZE=ON -DFUSEGUARD_BENCH=OFF -DFUSEGUARD_WERROR=ON \
    -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=8
  cmake --build build-sanitize -j "$jobs"
  stage "sanitizer tests"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-sanitize --output-on-failure -j "$jobs"
fi
if [ "${FUSEGUARD_SKIP_FUZZ:-0}" != 1 ]; then
  # Every libFuzzer target for a short while over its seeds and what it
  # finds meanwhile (docs/testing.md, "Fuzzing"): a crash, leak or sanitizer
  # report fails the run. Its clang build is also the check that clang
  # compiles the libraries without a warning.
  stage fuzzers
  bash scripts/fuzz.sh "${FUSEGUARD_CI_FUZZ_SECONDS:-10}"
fi
stage "all tests passed"
