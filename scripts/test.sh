#!/usr/bin/env bash
# The whole test suite from a fresh machine: install, build, test with GCC;
# then the same again built by clang under AddressSanitizer +
# UndefinedBehaviorSanitizer, with every fuzzer run for a few seconds.
#   scripts/test.sh            everything
#   FUSEGUARD_SKIP_SANITIZE=1  skip the clang pass: sanitizers and fuzzers
#   FUSEGUARD_SKIP_FUZZ=1      skip running the fuzzers
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
# GCC, Release (-O3), as a packager who types the usual first command builds,
# warnings as errors: the product compiled file by file, the tests and
# benchmarks as unity builds (CMakeLists.txt, FUSEGUARD_UNITY_TESTS). No
# debug info: it is 40 % of a compile here and no test reads it.
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DFUSEGUARD_WERROR=ON -DFUSEGUARD_UNITY_TESTS=ON
cmake --build build -j "$jobs"
stage "plain tests"
ctest --test-dir build --output-on-failure -j "$jobs"

if [ "${FUSEGUARD_SKIP_SANITIZE:-0}" != 1 ]; then
  # One clang build for the sanitizer tests and the fuzzers (CMakeLists.txt:
  # FUSEGUARD_SANITIZE with FUSEGUARD_FUZZ builds the whole tree, -O0 with
  # line tables), so clang checks every file for warnings too. A unity
  # build, 8 files per compile: the plain pass above is the one that
  # compiles the product file by file, so that a missing #include cannot
  # hide behind a neighbour's.
  stage "sanitizer build"
  CXX=clang++-14 CC=clang-14 cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFUSEGUARD_SANITIZE=ON \
    -DFUSEGUARD_FUZZ=ON -DFUSEGUARD_BENCH=OFF -DFUSEGUARD_WERROR=ON -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=8
  cmake --build build-sanitize -j "$jobs"
  stage "sanitizer tests"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-sanitize --output-on-failure -j "$jobs" -LE fuzz
  if [ "${FUSEGUARD_SKIP_FUZZ:-0}" != 1 ]; then
    # Every libFuzzer target for a short while over its seeds and what it
    # finds meanwhile (docs/testing.md, "Fuzzing"), one per core: a crash,
    # leak or sanitizer report fails the run. scripts/fuzz.sh builds them
    # optimised for long runs.
    stage fuzzers
    FUSEGUARD_FUZZ_SECONDS="${FUSEGUARD_CI_FUZZ_SECONDS:-10}" \
      ctest --test-dir build-sanitize -L fuzz --output-on-failure -j "$jobs"
  fi
fi
stage "all tests passed"
