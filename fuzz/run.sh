#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60), one after another.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# Needs the fuzz build (make fuzz does it): BUILD, default build-fuzz.
# Each target starts from its committed seeds (fuzz/corpus/TARGET) plus
# what earlier runs found (BUILD/corpus/TARGET, kept between runs, never
# committed). A crash, a leak, a timeout (a single input taking over 30 s)
# or a run past 2 GB of memory fails the target; its input is kept as
# fuzz/crashes/TARGET/crash-… (ignored by git) to replay with
#   BUILD/TARGET_fuzzer fuzz/crashes/TARGET/crash-…
# and should become a case in tests/malformed_test.cc or a seed once fixed.
# Exits 1 when any target failed, after running all of them.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
build=${BUILD:-build-fuzz}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(untrusted_json image_config docker_manifest oci_index layer_merge image_archive)
fi

failed=()
for target in "${targets[@]}"; do
  binary="$build/${target}_fuzzer"
  if [ ! -x "$binary" ]; then
    echo "fuzz: $binary is missing; build with: make fuzz" >&2
    exit 2
  fi
  work="$build/corpus/$target"
  crashes="fuzz/crashes/$target"
  mkdir -p "$work" "$crashes"
  log="$build/fuzz-$target.log"
  echo "fuzz: $target for ${seconds}s (log: $log)"
  # Seeds are read but new inputs go to $work only: the first corpus
  # directory is the one libFuzzer writes to.
  "$binary" "$work" "fuzz/corpus/$target" \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=30 -max_len=65536 \
    -artifact_prefix="$crashes/" -print_final_stats=1 >"$log" 2>&1
  status=$?
  grep -E '^Done [0-9]+ runs in|^stat::peak_rss_mb' "$log" | sed 's/^/  /'
  if [ $status -ne 0 ]; then
    echo "fuzz: $target FAILED (exit $status); inputs kept in $crashes/:" >&2
    grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -5 | sed 's/^/  /' >&2
    failed+=("$target")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran ${seconds}s each without a crash"
