#!/usr/bin/env bash
# The dataplane benchmarks (BM_Pipeline*) from an optimised build in build-dp-release/, with
# hugepages reserved for the run and given back afterwards (needs root for that; without it the
# figures come from --no-huge memory and say hugepages=0).
#   scripts/dp-bench.sh [FILTER] [extra benchmark flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
filter=${1:-BM_Pipeline}
shift || true

[ -f build-dp-release/build.ninja ] || meson setup build-dp-release --buildtype=release >&2
ninja -C build-dp-release -j1 perf/causeway_bench >&2

pages_before=$(cat /proc/sys/vm/nr_hugepages)
restore() { [ "$(id -u)" -eq 0 ] && echo "$pages_before" > /proc/sys/vm/nr_hugepages || true; }
trap restore EXIT
if [ "$(id -u)" -eq 0 ]; then
  # 1M mbufs (~450 MB) and a 2M-entry flow table (~150 MB) for the 1M-flow cases.
  echo $((pages_before + 1024)) > /proc/sys/vm/nr_hugepages
  mkdir -p /dev/hugepages
  mountpoint -q /dev/hugepages || mount -t hugetlbfs nodev /dev/hugepages
  echo "dp-bench: $(grep HugePages_Free /proc/meminfo)" >&2
fi
build-dp-release/perf/causeway_bench --benchmark_filter="$filter" "$@"
