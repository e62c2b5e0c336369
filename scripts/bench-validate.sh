#!/usr/bin/env bash
# Benchmark `meterctl validate` against the read+parse floor, clean and with findings.
#
#   scripts/bench-validate.sh [DIR] [COUNT]
#
# Generates COUNT definitions (default 10000) in Zuora's dialect into DIR (default
# /tmp/meterctl-bench) with the shared generator (`gen_corpus.py --seed 1`), builds release
# binaries, then times, on the same files, in five rounds that each run every case once:
#   floor           read + parse every file with serde_json on all threads (benches/parse_floor.rs)
#   clean           `meterctl validate -q DIR`: the full schema and every meter rule
#   finding/file    the same plus `--schema` with a house rule every generated file breaks
#                   (`schemas` must be empty), so each file gets one error, located near its end
#                   and printed with its code frame (-q still prints errors)
#   check-jsonschema / ajv-cli / jsonschema-cli   when installed, with the plain meter schema
# and prints wall and CPU (user+sys) seconds, both as multiples of the floor's, and peak RSS.
# METERCTL=path/to/meterctl times another build (e.g. an older one) against the same floor.
# Install peers first if you want them: pip install check-jsonschema; npm install -g ajv-cli
# ajv-formats; cargo install jsonschema-cli.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-/tmp/meterctl-bench}
count=${2:-10000}
gen=../shared/tools/gen_corpus.py
if [ ! -f "$gen" ]; then
  echo "skipped: $gen is not beside the repository" >&2
  exit 0
fi

stamp="$dir/.meterctl-bench-corpus"
if [ "$(cat "$stamp" 2>/dev/null)" != "seed=1 count=$count" ]; then
  rm -rf "$dir"
  python3 "$gen" --out "$dir" --count "$count" --seed 1 >/dev/null 2>&1
  echo "seed=1 count=$count" >"$stamp"
fi
echo "corpus: $dir, $count files, $(du -sh --exclude=.meterctl-bench-corpus "$dir" | cut -f1)"
cargo build --release --locked --quiet --bin meterctl
cargo build --release --locked --quiet --bench parse_floor
floor_bin=$(ls -t target/release/deps/parse_floor-* | grep -v '\.d$' | head -1)
meterctl=${METERCTL:-./target/release/meterctl}
schema=schemas/meter-definition.schema.json

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A house rule every generated definition breaks: one finding per file.
finding="$tmp/finding.schema.json"
echo '{"properties": {"schemas": {"maxItems": 0}}}' >"$finding"

# Sanity: what each meterctl case reports (not timed).
clean_summary=$("$meterctl" validate "$dir" | tail -1) || true
finding_summary=$("$meterctl" validate --schema "$finding" "$dir" | tail -1) || true
echo "clean:        $clean_summary"
echo "finding/file: $finding_summary"
case $clean_summary in
  "$count files, 0 invalid"*) ;;
  *) echo "warning: the corpus is not clean under this build; the clean row measures findings too" >&2 ;;
esac

# One timed run: "wall cpu peak_kb".
once() {
  /usr/bin/time -o "$tmp/time" -f '%e %U %S %M' "$@" >/dev/null 2>&1 || true
  tail -1 "$tmp/time" | awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}'
}

names=(floor clean finding/file)
run_case() {
  case $1 in
    floor) once "$floor_bin" "$dir" ;;
    clean) once "$meterctl" validate -q "$dir" ;;
    finding/file) once "$meterctl" validate -q --schema "$finding" "$dir" ;;
  esac
}
rounds=5
declare -A wall cpu rss ratios
for _ in $(seq "$rounds"); do
  for n in "${names[@]}"; do
    read -r w c m < <(run_case "$n")
    [ "$n" = floor ] && round_floor=$w
    ratios[$n]+="$(awk "BEGIN{printf \"%.3f\", $w / $round_floor}") "
    if [ -z "${wall[$n]:-}" ] || awk "BEGIN{exit !($w < ${wall[$n]})}"; then
      wall[$n]=$w
      cpu[$n]=$c
    fi
    if [ -z "${rss[$n]:-}" ] || [ "$m" -gt "${rss[$n]}" ]; then rss[$n]=$m; fi
  done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END{printf "%.2f", a[int((NR+1)/2)]}'; }

# wall_s, cpu_s: the fastest round; x_floor: the median over rounds of wall / the floor's wall in
# the same round (paired, so load from other processes mostly cancels out); x_floor_cpu: CPU
# seconds over the floor's CPU seconds (fastest rounds); peak_MB: the highest peak RSS.
fw=${wall[floor]}
fc=${cpu[floor]}
printf '%-18s %8s %8s %8s %12s %8s\n' case wall_s cpu_s x_floor x_floor_cpu peak_MB
for n in "${names[@]}"; do
  printf '%-18s %8s %8s %8s %12s %8s\n' "$n" "${wall[$n]}" "${cpu[$n]}" \
    "$(echo "${ratios[$n]}" | median)" \
    "$(awk "BEGIN{printf \"%.2f\", ${cpu[$n]} / $fc}")" \
    "$(awk "BEGIN{printf \"%.0f\", ${rss[$n]} / 1024}")"
done
for n in "${names[@]:1}"; do echo "paired x_floor per round, $n: ${ratios[$n]}"; done

# Peers validate against the same schema (without meterctl's rules), best of 3.
peer() {
  local name=$1 best=
  shift
  for _ in 1 2 3; do
    read -r w c m < <(once "$@")
    if [ -z "$best" ] || awk "BEGIN{exit !($w < ${best%% *})}"; then best="$w $c $m"; fi
  done
  read -r w c m <<<"$best"
  printf '%-18s %8s %8s %8s %12s %8s\n' "$name" "$w" "$c" \
    "$(awk "BEGIN{printf \"%.2f\", $w / $fw}")" "$(awk "BEGIN{printf \"%.2f\", $c / $fc}")" \
    "$(awk "BEGIN{printf \"%.0f\", $m / 1024}")"
}
files=("$dir"/*.json)
if command -v check-jsonschema >/dev/null; then peer check-jsonschema check-jsonschema --schemafile "$schema" "${files[@]}"; fi
if command -v ajv >/dev/null; then peer ajv-cli ajv validate --spec=draft2020 --strict=false -s "$schema" -d "$dir/*.json"; fi
if command -v jsonschema-cli >/dev/null; then peer jsonschema-cli jsonschema-cli validate "$schema" --errors-only -i "${files[@]}"; fi
