#!/usr/bin/env bash
# Runs the story of README.md "Promote meters between tenants" exactly as written (only the port
# is changed to a free one, in the story and in the copy of examples/meterctl.yaml it starts from)
# in a temporary folder, and checks the results the README promises.
# Needs `meterctl` on PATH (cargo install --path .), git and python3. Exit 0 when all is as written.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$root/examples" "$work/"
sed -i "s/8181/$port/g" "$work/examples/meterctl.yaml"
story=$(awk '/^## Promote meters between tenants/{f=1} f && /^```sh/{g=1; next} g && /^```/{exit} g' "$root/README.md" |
  sed "s/8181/$port/g")
export GIT_AUTHOR_NAME=readme GIT_AUTHOR_EMAIL=readme@example.com
export GIT_COMMITTER_NAME=readme GIT_COMMITTER_EMAIL=readme@example.com
log=$(cd "$work" && bash -c "$story" 2>&1)
status=0
for want in \
  "meterctl.yaml: valid; meters in meters/; 2 environment(s)" \
  "production: http://127.0.0.1:$port (ZUORA_PRODUCTION_CLIENT_ID set, ZUORA_PRODUCTION_CLIENT_SECRET set), values: api_request_schema_id, compute_archive_store, pricing_connection, s3_connection, seat_snapshot_store, snowflake_connection, protected" \
  "tracked mtr-active-seats as meter 101 in sandbox" \
  "pulled mtr-transcoding-minutes → meters/transcoding-minutes.yaml" \
  "6 pulled (6 unchanged), 0 refused" \
  "6 to create, 0 to update, 0 unchanged, 0 orphaned" \
  "6 created, 0 updated, 0 unchanged, 0 failed" \
  "0 to create, 0 to update, 6 unchanged, 0 orphaned" \
  "~ update    SMS Messages (mtr-sms-messages, meter " \
  '~ versions[0.0.1].tasks["Keep delivered messages"].metadata.rules[1].value: "1" → "2"' \
  "0 to create, 1 to update, 5 unchanged, 0 orphaned" \
  "backed up the overwritten definitions to .meterctl/backups/production/" \
  "0 created, 1 updated, 5 unchanged, 0 failed" \
  "env:sandbox (meter 105) → env:production (meter " \
  '  ~ versions[0.0.1].tasks["Keep delivered messages"].metadata.rules[1].value: "1" → "2"' \
  "1 changed, 0 added, 0 removed, 5 unchanged" \
  "no differences (6 meters compared)"; do
  if ! grep -qF -- "$want" <<<"$log"; then
    echo "missing: $want" >&2
    status=1
  fi
done
if grep -q '^error' <<<"$log"; then
  echo "errors in the story:" >&2
  grep '^error' <<<"$log" >&2
  status=1
fi
[ "$(git -C "$work/billing-meters" log --oneline | wc -l)" -eq 2 ] || { echo "expected 2 commits" >&2; status=1; }
if [ $status -ne 0 ]; then
  echo "--- output ---" >&2
  echo "$log" >&2
else
  echo "README promotion story: as written"
fi
exit $status
