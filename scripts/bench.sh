#!/usr/bin/env bash
# Optimised build (build-release/) and the Google Benchmark binary with JSON output.
#   scripts/bench.sh [FILTER]   e.g. scripts/bench.sh Maglev
# JSON alone goes to stdout; everything else to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=build-release BUILD_TYPE=release scripts/setup.sh

# Hugepages for the dataplane figures (without them the TLB halves every DPDK rate). Best effort:
# the Maglev and control-plane benchmarks do not need them.
if [ "$(id -u)" -eq 0 ] && [ -w /proc/sys/vm/nr_hugepages ]; then
  pages_before=$(cat /proc/sys/vm/nr_hugepages)
  # Give back what was not ours when done.
  trap 'echo "$pages_before" > /proc/sys/vm/nr_hugepages 2>/dev/null || true' EXIT
  if [ "$pages_before" -lt 512 ]; then
    echo 512 > /proc/sys/vm/nr_hugepages 2>/dev/null || true
  fi
  mkdir -p /dev/hugepages
  mountpoint -q /dev/hugepages || mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || true
  echo "bench: $(cat /proc/sys/vm/nr_hugepages) hugepages reserved" >&2
else
  echo "bench: not root, no hugepages" >&2
fi

args=(--benchmark_format=json)
[ $# -ge 1 ] && args+=("--benchmark_filter=$1")
build-release/perf/causeway_bench "${args[@]}"
