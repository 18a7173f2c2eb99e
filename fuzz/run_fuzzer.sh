#!/usr/bin/env bash
# run_fuzzer.sh FUZZER SEEDS WORK: runs FUZZER for $FUSEGUARD_FUZZ_SECONDS
# (60 by default) over WORK, a corpus started from the SEEDS in the
# repository and kept between runs. A crash, leak or sanitizer report fails
# it; the input that caused it is left in WORK/../crash-* for a regression test.
set -euo pipefail
fuzzer=$1 seeds=$2 work=$3
mkdir -p "$work"
cp -n "$seeds"/* "$work"/ 2>/dev/null || true
cd "$(dirname "$work")"
exec "$fuzzer" -max_total_time="${FUSEGUARD_FUZZ_SECONDS:-60}" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 "$work"
