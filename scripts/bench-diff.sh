#!/usr/bin/env bash
# Benchmark and acceptance check of `meterctl diff` at scale (issues 4 and 9).
#
# Generates COUNT meters twice with ../shared/tools/gen_corpus.py in Zuora's dialect (same seed,
# tenants "sandbox" and "production": other task ids, positions and numeric typeDefinition
# schemaIds; `--placeholders` so connection and store names are the same `${{ values.X }}` on
# both sides, `--global-ids` as in a repository), shuffles the task lists and key order of the
# second set, then:
#   1. checks that the two folders diff as no changes (exit 0),
#   2. edits one filter rule's value in one meter and checks that exactly that one change is
#      reported,
#   3. times loading both folders (`fmt --check`, which loads every file) against `diff`.
#
#   scripts/bench-diff.sh                 # 10,000 meters per side in a temporary folder
#   COUNT=1000 WORK=/tmp/b scripts/bench-diff.sh
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-10000}
SEED=${SEED:-1}
GEN=${GEN:-../shared/tools/gen_corpus.py}
RUNS=${RUNS:-3}
WORK=${WORK:-$(mktemp -d)}
TARGET=${CARGO_TARGET_DIR:-target}

cargo build --release --locked --quiet
M="$TARGET/release/meterctl"

if [ ! -d "$WORK/sandbox" ]; then
  python3 "$GEN" --out "$WORK/sandbox" --count "$COUNT" --seed "$SEED" --global-ids --placeholders --tenant sandbox
  python3 "$GEN" --out "$WORK/production" --count "$COUNT" --seed "$SEED" --global-ids --placeholders --tenant production
  python3 scripts/shuffle-tasks.py "$WORK/production"
fi
echo "corpus: $COUNT meters per side, $(du -shL "$WORK/sandbox" | cut -f1) per side, in $WORK"

# 1. Same meters, other task ids, positions, schemaIds, task and key order: no changes.
"$M" diff "$WORK/sandbox" "$WORK/production" >/dev/null || {
  echo "FAIL: the two tenants' exports should diff as no changes" >&2
  exit 1
}
echo "ok: two tenants' exports diff as no changes"

# 2. One edited filter rule: exactly one change.
rm -rf "$WORK/edited"
cp -rL "$WORK/production" "$WORK/edited"
python3 - "$WORK/edited" <<'PY'
import json, os, sys
def leaf(rules):
    for r in rules or []:
        found = leaf(r.get("rules")) if "rules" in r else (r if isinstance(r.get("value"), str) else None)
        if found:
            return found
for name in sorted(os.listdir(sys.argv[1])):
    path = os.path.join(sys.argv[1], name)
    doc = json.load(open(path))
    rule = next((r for v in doc.get("versions", []) for t in v.get("tasks") or []
                 if t.get("operatorType") == "FILTER"
                 for r in [leaf((t.get("metadata") or {}).get("rules"))] if r), None)
    if rule:
        rule["value"] += "-edited"
        json.dump(doc, open(path, "w"), indent=2)
        break
else:
    sys.exit("no generated meter has a filter rule")
PY
set +e
"$M" diff "$WORK/sandbox" "$WORK/edited" --format json >"$WORK/edited.json"
code=$?
set -e
python3 - "$WORK/edited.json" "$code" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
changes = [c for m in r["meters"] for c in m["changes"]]
assert sys.argv[2] == "1", "exit code should be 1"
assert r["summary"]["changed"] == 1 and len(changes) == 1, (r["summary"], changes)
print("ok: one edited filter rule is exactly one change:", changes[0]["path"])
PY

# 3. Timing (best of RUNS, wall clock).
best() {
  local best="" t
  for _ in $(seq "$RUNS"); do
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || true
    end=$(date +%s.%N)
    t=$(echo "$end - $start" | bc)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
  done
  printf '%.2f' "$best"
}
load=$(best "$M" fmt --check "$WORK/sandbox" "$WORK/production")
diff=$(best "$M" diff "$WORK/sandbox" "$WORK/production")
echo "load both folders (fmt --check): ${load} s"
echo "diff both folders:               ${diff} s"
echo "ratio diff/load:                 $(echo "scale=2; $diff / $load" | bc)"
