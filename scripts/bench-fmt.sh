#!/usr/bin/env bash
# Benchmark `meterctl fmt --check` on commented YAML against the same files without comments.
#
#   scripts/bench-fmt.sh [DIR] [COUNT]
#
# Generates COUNT definitions (default 10000) as YAML into DIR/plain (default
# /tmp/meterctl-bench-fmt) with the shared generator and formats them; DIR/commented holds the
# same files with comments added, formatted too: a modeline header, a comment above every EVERY-th
# key or list item and a trailing comment on every EVERY-th scalar line (EVERY defaults to 10, a
# well-annotated file; EVERY=3 comments almost every other line). Both sets are then
# canonical, so `fmt --check` does the full work (parse, canonicalize, render, compare) and
# exits 0. Prints the best of 3 wall times and the ratio commented / plain (goal: at most 1.2).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-/tmp/meterctl-bench-fmt}
count=${2:-10000}
gen=../shared/tools/gen_corpus.py
every=${EVERY:-10}

cargo build --release --quiet --bin meterctl
bin=./target/release/meterctl
if [ ! -d "$dir/plain" ] || [ "$(find "$dir/plain" -name '*.yaml' | wc -l)" -ne "$count" ]; then
  rm -rf "$dir"
  python3 "$gen" --out "$dir/plain" --count "$count" --format yaml --global-ids --placeholders >/dev/null
  "$bin" fmt "$dir/plain" >/dev/null
fi
if [ "$(cat "$dir/every" 2>/dev/null)" != "$every" ]; then
  rm -rf "$dir/commented"
  python3 - "$dir/plain" "$dir/commented" "$every" <<'PY'
import pathlib, re, sys
src, dst, every = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3])
dst.mkdir(parents=True)
for f in sorted(src.glob("*.yaml")):
    out = ["# yaml-language-server: $schema=../schemas/meter-definition.schema.json", ""]
    block = None  # indentation of the key that opened a block scalar
    n = 0
    for line in f.read_text().splitlines():
        indent = len(line) - len(line.lstrip(" "))
        if block is not None and (line.strip() == "" or indent > block):
            out.append(line)
            continue
        block = None
        n += 1
        if n % every == 0:
            out.append(" " * indent + f"# note {n}: why this is here")
        if re.search(r"\|[-+]?$", line):
            block = indent
        elif n % every == every // 2 and re.search(r"(: |- )[^'\"#|]+$", line):
            line += f"  # trailing {n}"
        out.append(line)
    (dst / f.name).write_text("\n".join(out) + "\n")
PY
  "$bin" fmt "$dir/commented" >/dev/null
  echo "$every" >"$dir/every"
fi
comments=$(grep -ho '# \(note\|trailing\) [0-9]*' -r "$dir/commented" | wc -l)
echo "corpus: $count files each; $dir/commented holds $comments comments (EVERY=$every) ($(du -sh "$dir/commented" | cut -f1)), $dir/plain $(du -sh "$dir/plain" | cut -f1)"

timing=$(mktemp)
trap 'rm -f "$timing"' EXIT
# best of 5 runs: wall seconds and CPU (user+sys) seconds (the machine may be shared: CPU time is
# the steadier figure)
best() {
  local best_wall=999999 best_cpu=999999
  for _ in 1 2 3 4 5; do
    /usr/bin/time -o "$timing" -f '%e %U %S' "$bin" fmt --check "$1" >/dev/null
    local w c
    read -r w c < <(tail -1 "$timing" | awk '{printf "%s %.2f\n", $1, $2 + $3}')
    if awk "BEGIN{exit !($w < $best_wall)}"; then best_wall=$w; fi
    if awk "BEGIN{exit !($c < $best_cpu)}"; then best_cpu=$c; fi
  done
  echo "$best_wall $best_cpu"
}
read -r pw pc < <(best "$dir/plain")
read -r cw cc < <(best "$dir/commented")
printf '%-10s %8s %8s\n' set wall_s cpu_s plain "$pw" "$pc" commented "$cw" "$cc"
echo "ratio commented/plain: wall $(awk "BEGIN{printf \"%.2f\", $cw / $pw}"), cpu $(awk "BEGIN{printf \"%.2f\", $cc / $pc}")"
