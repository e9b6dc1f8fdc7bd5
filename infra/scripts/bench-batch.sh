#!/usr/bin/env bash
# Prints how fast the gateway accepts batches: runs/s accepted and p50/p99 latency of one POST .../code-runs/batch of
# 1000 trivial runs (`true` on the busybox runtime), over BATCHES batches (default 10) sent one after another, or
# CONCURRENCY at a time (default 1). Each batch is durable in Kafka when answered. Uses a fresh handle, registers and
# validates its busybox runtime as `bin/coderun demo` does, and by default (CANCEL=1) cancels every accepted run
# afterwards so the workers are not kept busy; CANCEL=0 lets them drain.
# Token: $CODERUN_TOKEN, or minted with `bin/coderun token` (same CODERUN_STATE_DIR as the stack).
# usage: bash infra/scripts/bench-batch.sh [GATEWAY_URL] [BATCHES]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
GATEWAY=${1:-http://127.0.0.1:${CODERUN_GATEWAY_PORT:-8080}}
BATCHES=${2:-10}
CONCURRENCY=${CONCURRENCY:-1}
HANDLE=bench-batch-$(date +%s)
TOKEN=${CODERUN_TOKEN:-$("$ROOT/bin/coderun" token --handle "$HANDLE" | tail -1)}
STATE=${CODERUN_STATE_DIR:-$HOME/.coderun}
H=(-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json')
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if [[ -f $STATE/images.env ]]; then
  # shellcheck disable=SC1091
  source "$STATE/images.env"
else
  BUSYBOX_IMAGE=127.0.0.1:5000/coderun/busybox
  BUSYBOX_DIGEST=$(curl -fsSI -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://127.0.0.1:5000/v2/coderun/busybox/manifests/latest" | tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest" {print $2}')
fi
curl -fsS -X PUT "${H[@]}" "$GATEWAY/v2/handles/$HANDLE/code-runtimes/busybox" \
  -d "{\"image\":{\"uri\":\"$BUSYBOX_IMAGE\",\"digest\":\"$BUSYBOX_DIGEST\"}}" >/dev/null
status=$(curl -fsS -X POST "${H[@]}" "$GATEWAY/v2/handles/$HANDLE/code-runtimes/busybox/validate-image" | jq -r .data.validation.status)
[[ $status == VALID ]] || { echo "runtime busybox is $status, not VALID" >&2; exit 1; }

jq -cn '{runs: [range(1000) | {runtime_key: "busybox", command: "true", labels: {bench: "batch"}}]}' > "$WORK/body.json"

post_batch() { # n: writes the answer to $WORK/answer.n, prints the seconds it took
  curl -sS -o "$WORK/answer.$1" -w '%{time_total}\n' -X POST "${H[@]}" --data-binary @"$WORK/body.json" \
    "$GATEWAY/v2/handles/$HANDLE/code-runs/batch"
}
export -f post_batch
export WORK GATEWAY HANDLE
export H_AUTH="Authorization: Bearer $TOKEN"

post_batch warmup >/dev/null   # first request pays for JIT and connection setup; not counted
t0=$(date +%s.%N)
seq 1 "$BATCHES" | xargs -P "$CONCURRENCY" -I{} bash -c "$(declare -p H); post_batch {}" > "$WORK/times"
t1=$(date +%s.%N)

accepted=0
for n in $(seq 1 "$BATCHES"); do
  a=$(jq '[.data[]? | select(.status == 202)] | length' "$WORK/answer.$n")
  [[ $a == 1000 ]] || echo "batch $n: $a of 1000 accepted: $(jq -c '.error // [.data[] | select(.status != 202)][0]' "$WORK/answer.$n")" >&2
  accepted=$((accepted + a))
  jq -r '.data[]? | select(.status == 202) | .run.id' "$WORK/answer.$n" >> "$WORK/ids"
done
jq -r '.data[]? | select(.status == 202) | .run.id' "$WORK/answer.warmup" >> "$WORK/ids"

awk -v acc="$accepted" -v t0="$t0" -v t1="$t1" -v b="$BATCHES" -v c="$CONCURRENCY" \
  'BEGIN { printf "accepted %d runs in %d batches of 1000 (concurrency %d) in %.2f s: %.0f runs/s\n", acc, b, c, t1 - t0, acc / (t1 - t0) }'
sort -n "$WORK/times" | awk '{a[NR]=$1*1000} END {
  p50=a[int((NR+1)/2)]; i=int(NR*0.99+0.999); if (i>NR) i=NR; if (i<1) i=1;
  printf "latency per batch of 1000: p50 %.0f ms, p99 %.0f ms, min %.0f ms, max %.0f ms (n=%d)\n", p50, a[i], a[1], a[NR], NR }'

if [[ ${CANCEL:-1} == 1 ]]; then
  total=$(wc -l < "$WORK/ids")
  xargs -P 8 -I{} curl -sS -o /dev/null -X POST -H "$H_AUTH" "$GATEWAY/v2/handles/$HANDLE/code-runs/{}/cancel" < "$WORK/ids"
  echo "cancelled the $total runs of handle $HANDLE (those already ended answer 409)" >&2
else
  echo "left the runs of handle $HANDLE to drain" >&2
fi
