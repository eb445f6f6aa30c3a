#!/usr/bin/env bash
# The README's "run it" command. The gateway and the two-cluster demo arrive with the dataplane and
# island-mode issues; until then this shows what exists: the weighted Maglev builder, sized for a few
# services the way an operator would size them.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
ctl=build/controlplane/ctl/causewayctl

echo "== causeway demo: sizing Maglev tables =="
for n in 2 10 100 1000; do
  echo
  echo "-- a service with $n endpoints, automatic table size:"
  "$ctl" maglev --endpoints "$n"
done
echo
echo "-- 1000 endpoints in the paper's default 65537-slot table:"
"$ctl" maglev --endpoints 1000 --table-size 65537
echo
echo "-- a table size that is not prime is refused:"
"$ctl" maglev --endpoints 10 --table-size 65536 || echo "(exit code $?)"
