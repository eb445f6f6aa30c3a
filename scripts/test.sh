#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs the whole suite, prints the
# summary and exits non-zero on any failure. CI (.ci/run) runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
build=${BUILD_DIR:-build}
rc=0
meson test -C "$build" --print-errorlogs --num-processes 2 "$@" || rc=$?

# One closing line in the plain form CI reads: meson's own summary counts test programs, this counts
# them too, from meson's JSON log.
python3 - "$build/meson-logs/testlog.json" <<'PY'
import json, sys
passed = failed = skipped = 0
for line in open(sys.argv[1]):
    result = json.loads(line).get("result")
    if result in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif result == "SKIP":
        skipped += 1
    else:
        failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $rc
