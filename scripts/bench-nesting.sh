#!/usr/bin/env bash
# Benchmark how fast hostile nesting is refused (issue 13, item 13).
#
#   scripts/bench-nesting.sh [DIR]
#
# Writes three files of about 500 KB into DIR (default /tmp/meterctl-bench-nesting): nested YAML
# flow mappings (`{a: {a: ...}}`), nested YAML block lists on one line (`- - - ... x`, two bytes a
# level: these overflowed the stack before the limit), and nested JSON objects. Each must be
# refused (nesting deeper than 100 levels) by `fmt --check`, `convert` and `validate`; prints the
# best of 3 wall times of each (goal: under 0.1 s each in a release build). BIN=path/to/meterctl
# times another build (the debug one, say) instead of building a release.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-/tmp/meterctl-bench-nesting}
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet --bin meterctl
  BIN=./target/release/meterctl
fi
mkdir -p "$dir"
python3 - "$dir" <<'PY'
import pathlib, sys
d = pathlib.Path(sys.argv[1])
n = 125_000
(d / "flow.yaml").write_text("name: x\nm: " + "{a: " * n + "1" + "}" * n + "\n")
(d / "block.yaml").write_text("name: x\nm:\n  " + "- " * (2 * n) + "x\n")
(d / "deep.json").write_text('{"name": "x", "m": ' + '{"a":' * n + "1" + "}" * n + "}\n")
PY
for f in flow.yaml block.yaml deep.json; do
  for cmd in "fmt --check" "convert --to json" "validate"; do
    best=
    for _ in 1 2 3; do
      start=$(date +%s.%N)
      # shellcheck disable=SC2086
      if "$BIN" $cmd "$dir/$f" >"$dir/err" 2>&1; then
        echo "$f: $cmd accepted it" >&2
        exit 1
      fi
      grep -q "deeper than 100 levels" "$dir/err" || {
        echo "$f: $cmd did not name the nesting limit:" >&2
        cat "$dir/err" >&2
        exit 1
      }
      t=$(echo "$(date +%s.%N) - $start" | bc)
      if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
    done
    printf '%-11s %-18s %6.3f s (%s KB)\n' "$f" "$cmd" "$best" "$(($(stat -c %s "$dir/$f") / 1024))"
  done
done
