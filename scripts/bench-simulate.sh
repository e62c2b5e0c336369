#!/usr/bin/env bash
# Benchmark `meterctl simulate` against `jq` doing the same filter and group-by.
#
#   scripts/bench-simulate.sh [COUNT]...
#
# For each COUNT (default: 100000 1000000) generates COUNT API-gateway events as NDJSON (python3,
# seed 1, not timed; about 200 bytes each: request and customer ids, account and charge numbers
# for 1,000 accounts, an HTTP status the filter tests, timestamps over three weeks) into DIR
# (default /tmp/meterctl-bench-sim, or $BENCH_DIR), writes a meter whose pipeline is
#   SOURCE → FILTER (HttpStatus < 400) → MAP (direct rows: renames, a number type, an excluded
#   field) → AGGREGATOR (Timeout/EventTime, 1 day: SUM and COUNT per account, charge and unit)
#   → ZUORA_USAGE
# builds the release binary, then times, in three rounds that each run every case once:
#   meterctl   `meterctl simulate METER --events FILE --format ndjson` (output to /dev/null)
#   jq         `jq -n` reading the same file: the same filter, then a sum and count per account,
#              charge, unit and day (group_by)
# and prints, per case, the fastest wall and its CPU (user+sys) seconds, events per second of
# wall time, and the highest peak RSS. Before timing it checks that both produce the same groups
# and the same total quantity. METERCTL=path/to/meterctl times another build (and builds nothing).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${BENCH_DIR:-/tmp/meterctl-bench-sim}
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(100000 1000000)
command -v jq >/dev/null || { echo "skipped: jq is not installed" >&2; exit 0; }
mkdir -p "$dir"

meter="$dir/bench-meter.yaml"
cat >"$meter" <<'EOF'
globalId: mtr-bench-api-calls
name: Bench API calls
latestVersion: 0.0.1
versions:
- version: 0.0.1
  tasks:
  - id: src
    name: Gateway events
    nodeType: SOURCE
    operatorType: ZUORA_BULK_API
    metadata: {schemaId: api-request}
    predecessors: []
  - id: filter
    name: Served requests only
    nodeType: PROCESSOR
    operatorType: FILTER
    metadata:
      ruleCombiner: and
      rules:
      - {sourceField: HttpStatus, operator: lt, value: "400"}
    predecessors: [{id: src}]
  - id: map
    name: Rename for billing
    nodeType: PROCESSOR
    operatorType: MAP
    metadata:
      excludedFields: [Endpoint]
      mapFields:
      - {sourceField: AccountNumber, targetField: Account, transformType: direct}
      - {sourceField: Calls, targetField: Quantity, transformType: direct, targetType: number}
      - {sourceField: Unit, targetField: Unit, transformType: direct}
    predecessors: [{id: filter}]
  - id: agg
    name: Sum per account and day
    nodeType: PROCESSOR
    operatorType: AGGREGATOR
    metadata:
      triggerType: Timeout
      timeoutType: EventTime
      timeoutDuration: 1 day
      eventTimeField: RequestTime
      eventTimeFormat: yyyy-MM-dd'T'HH:mm:ss
      groupFields: [Account, ChargeNumber, Unit]
      extraKeepFields: [RequestTime]
      aggregationFields:
      - {field: Quantity, aggregation: SUM, targetField: Quantity}
      - {field: RequestId, aggregation: COUNT, targetField: Requests}
    predecessors: [{id: map}]
  - id: usage
    name: Usage records
    nodeType: SINK
    operatorType: ZUORA_USAGE
    metadata:
      fieldMappings:
      - {name: accountNumber, field: Account, required: true}
      - {name: chargeNumber, field: ChargeNumber, required: true}
      - {name: quantity, field: Quantity, required: true}
      - {name: uom, field: Unit, required: true}
      - {name: startDateTime, field: RequestTime, required: true, dateFormat: "yyyy-MM-dd'T'HH:mm:ss"}
      usageKeyGenerationMethod: INTERNAL
    predecessors: [{id: agg}]
EOF

# The same filter and group-by in jq: sum and count per account, charge, unit and day. (jq 1.6's
# reduce into an object copies the object on each update, quadratic in the groups; group_by is
# the fast way, and it holds the filtered keys and quantities in memory.)
jq_program='[inputs | select(.HttpStatus < 400)
  | [.AccountNumber + "|" + .ChargeNumber + "|" + .Unit + "|" + .RequestTime[0:10], .Calls]]
  | group_by(.[0]) | map({key: .[0][0], q: (map(.[1]) | add), n: length})'

generate() { # COUNT FILE
  python3 - "$1" "$2" <<'EOF'
import json, random, sys
count, path = int(sys.argv[1]), sys.argv[2]
rng = random.Random(1)
endpoints = ["/v1/orders", "/v1/orders/{id}", "/v1/invoices", "/v1/accounts/{id}", "/v1/usage"]
statuses = [200] * 14 + [201, 202, 204, 301, 400, 404, 429, 500]
start = 1767225600 + 4 * 86400  # 2026-01-05T00:00:00Z
with open(path, "w") as out:
    for i in range(count):
        a = rng.randrange(1000)
        t = start + rng.randrange(21 * 86400)
        day, rest = divmod(t - 1767225600, 86400)
        e = {
            "RequestId": f"req-{i:09d}",
            "CustomerId": f"cus_{a * 7919 % 100000:05d}",
            "AccountNumber": f"A{a + 100:08d}",
            "ChargeNumber": f"C-{a % 400 + 1:08d}",
            "Endpoint": rng.choice(endpoints),
            "HttpStatus": rng.choice(statuses),
            "RequestTime": f"2026-01-{day + 1:02d}T{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}",
            "Calls": rng.choice([1, 1, 1, 1, 2, 5, 25]),
            "Unit": "Call",
            "Region": rng.choice(["us", "eu", "ap"]),
        }
        out.write(json.dumps(e, separators=(",", ":")) + "\n")
EOF
}

if [ -z "${METERCTL:-}" ]; then cargo build --release --locked --quiet --bin meterctl; fi
meterctl=${METERCTL:-./target/release/meterctl}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One timed run: "wall cpu peak_kb".
once() {
  /usr/bin/time -o "$tmp/time" -f '%e %U %S %M' "$@" >/dev/null 2>"$tmp/err" || {
    cat "$tmp/err" >&2
    echo "failed: $*" >&2
    exit 2
  }
  tail -1 "$tmp/time" | awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}'
}

rounds=3
printf '%-10s %9s %8s %8s %8s %12s %8s\n' case events MB wall_s cpu_s events/s peak_MB
for count in "${counts[@]}"; do
  events="$dir/events-$count.ndjson"
  if [ "$(cat "$events.stamp" 2>/dev/null)" != "seed=1 count=$count v2" ]; then
    generate "$count" "$events"
    echo "seed=1 count=$count v2" >"$events.stamp"
  fi
  mb=$(du -m "$events" | cut -f1)
  # Sanity (not timed): the same groups and the same total quantity.
  ours=$("$meterctl" simulate "$meter" --events "$events" --format ndjson |
    jq -s '[length, (map(.record.quantity) | add), (map(select(.error)) | length)] | @tsv' -r)
  theirs=$(jq -n "$jq_program" "$events" | jq -r '[length, ([.[].q] | add)] | @tsv')
  read -r groups total bad <<<"$ours"
  if [ "$groups	$total" != "$theirs" ] || [ "$bad" != 0 ]; then
    echo "mismatch at $count events: meterctl groups/quantity/errors $ours, jq $theirs" >&2
    exit 1
  fi
  declare -A wall=() cpu=() rss=()
  for _ in $(seq "$rounds"); do
    for n in meterctl jq; do
      case $n in
        meterctl) read -r w c m < <(once "$meterctl" simulate "$meter" --events "$events" --format ndjson) ;;
        jq) read -r w c m < <(once jq -n "$jq_program" "$events") ;;
      esac
      if [ -z "${wall[$n]:-}" ] || awk "BEGIN{exit !($w < ${wall[$n]})}"; then
        wall[$n]=$w
        cpu[$n]=$c
      fi
      if [ -z "${rss[$n]:-}" ] || [ "$m" -gt "${rss[$n]}" ]; then rss[$n]=$m; fi
    done
  done
  for n in meterctl jq; do
    printf '%-10s %9s %8s %8s %8s %12s %8s\n' "$n" "$count" "$mb" "${wall[$n]}" "${cpu[$n]}" \
      "$(awk "BEGIN{w = ${wall[$n]}; if (w < 0.01) w = 0.01; printf \"%.0f\", $count / w}")" \
      "$(awk "BEGIN{printf \"%.0f\", ${rss[$n]} / 1024}")"
  done
  echo "  ($groups usage records, total quantity $total; both agree)"
done
echo "best wall of $rounds rounds (CPU of that round), highest peak RSS; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
