#!/usr/bin/env bash
# Benchmark `meterctl validate` against the read+parse floor and against peer validators.
#
#   scripts/bench-validate.sh [DIR] [COUNT]
#
# Generates COUNT definitions (default 10000) into DIR (default /tmp/meterctl-bench) with the
# shared generator, builds release binaries, then times, side by side on the same files:
#   floor           read + parse every file with serde_json on all threads (benches/parse_floor.rs)
#   meterctl        validate with the full schema and every meter rule
#   check-jsonschema / ajv-cli / jsonschema-cli   when installed, with the plain meter schema
# Install peers first if you want them: pip install check-jsonschema; npm install -g ajv-cli
# ajv-formats; cargo install jsonschema-cli.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-/tmp/meterctl-bench}
count=${2:-10000}
gen=../shared/tools/gen_corpus.py

if [ ! -d "$dir" ] || [ "$(find "$dir" -name '*.json' | wc -l)" -ne "$count" ]; then
  rm -rf "$dir"
  python3 "$gen" --out "$dir" --count "$count" >/dev/null
fi
echo "corpus: $dir, $count files, $(du -sh "$dir" | cut -f1)"
cargo build --release --quiet --bin meterctl
cargo build --release --quiet --bench parse_floor
floor_bin=$(ls -t target/release/deps/parse_floor-* | grep -v '\.d$' | head -1)
schema=schemas/meter-definition.schema.json

# best of 3 runs: wall seconds and CPU (user+sys) seconds
timing=$(mktemp)
trap 'rm -f "$timing"' EXIT
measure() {
  local best_wall=999999 best_cpu=0
  for _ in 1 2 3; do
    /usr/bin/time -o "$timing" -f '%e %U %S' "$@" >/dev/null 2>&1 || true
    local out wall cpu
    out=$(tail -1 "$timing")
    wall=$(echo "$out" | awk '{print $1}')
    cpu=$(echo "$out" | awk '{printf "%.2f", $2 + $3}')
    if awk "BEGIN{exit !($wall < $best_wall)}"; then best_wall=$wall; best_cpu=$cpu; fi
  done
  echo "$best_wall $best_cpu"
}

printf '%-18s %8s %8s %8s\n' tool wall_s cpu_s x_floor
read -r fw fc < <(measure "$floor_bin" "$dir")
printf '%-18s %8s %8s %8s\n' floor "$fw" "$fc" 1.00
row() {
  local name=$1; shift
  read -r w c < <(measure "$@")
  printf '%-18s %8s %8s %8s\n' "$name" "$w" "$c" "$(awk "BEGIN{printf \"%.2f\", $w / $fw}")"
}
row meterctl ./target/release/meterctl validate -q "$dir"
# Peers validate against the same schema (without meterctl's rules).
files=("$dir"/*.json)
if command -v check-jsonschema >/dev/null; then row check-jsonschema check-jsonschema --schemafile "$schema" "${files[@]}"; fi
if command -v ajv >/dev/null; then row ajv-cli ajv validate --spec=draft2020 --strict=false -s "$schema" -d "$dir/*.json"; fi
if command -v jsonschema-cli >/dev/null; then row jsonschema-cli jsonschema-cli validate "$schema" --errors-only -i "${files[@]}"; fi
