#!/usr/bin/env bash
# Prints the median and p90 time from POST to a terminal status of `echo hi` on the busybox runtime over N sequential
# runs (default 20), next to the median of `docker run --rm` of the same image with the same sandbox flags.
# Needs the stack up (bin/coderun up). usage: bash infra/scripts/bench-latency.sh [N]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
N=${1:-20}
GATEWAY=http://127.0.0.1:${CODERUN_GATEWAY_PORT:-8080}
HANDLE=bench
TOKEN=$(CODERUN_HANDLE=$HANDLE "$ROOT/bin/coderun" token --handle "$HANDLE" | tail -1)
# shellcheck disable=SC1091
source "${CODERUN_STATE_DIR:-$HOME/.coderun}/images.env"
H=(-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json')

curl -fsS -X PUT "${H[@]}" "$GATEWAY/v2/handles/$HANDLE/code-runtimes/busybox" \
  -d "{\"image\":{\"uri\":\"$BUSYBOX_IMAGE\",\"digest\":\"$BUSYBOX_DIGEST\"}}" >/dev/null
curl -fsS -X POST "${H[@]}" "$GATEWAY/v2/handles/$HANDLE/code-runtimes/busybox/validate-image" >/dev/null

now_ms() { date +%s%3N; }
stats() { sort -n | awk '{a[NR]=$1} END {printf "median %d ms, p90 %d ms, min %d ms, max %d ms (n=%d)\n", a[int((NR+1)/2)], a[int(NR*0.9+0.5)], a[1], a[NR], NR}'; }

coderun=()
for _ in $(seq 1 "$N"); do
  t0=$(now_ms)
  id=$(curl -fsS -X POST "${H[@]}" "$GATEWAY/v2/handles/$HANDLE/code-runs" -d '{"runtime_key":"busybox","command":"echo hi"}' | jq -r .data.id)
  while :; do
    status=$(curl -fsS "${H[@]}" "$GATEWAY/v2/handles/$HANDLE/code-runs/$id" | jq -r .data.status)
    case $status in SUCCEEDED|FAILED|TIMED_OUT|ERRORED|REJECTED|CANCELLED) break ;; esac
    sleep 0.01
  done
  [[ $status == SUCCEEDED ]] || { echo "run $id ended $status" >&2; exit 1; }
  coderun+=($(( $(now_ms) - t0 )))
done

docker_run=()
for _ in $(seq 1 "$N"); do
  t0=$(now_ms)
  docker run --rm --network none --read-only --user 65534:65534 --cap-drop ALL --security-opt no-new-privileges \
    --tmpfs /tmp "$BUSYBOX_IMAGE@$BUSYBOX_DIGEST" sh -c 'echo hi' >/dev/null
  docker_run+=($(( $(now_ms) - t0 )))
done

echo "coderun POST -> SUCCEEDED, echo hi on busybox: $(printf '%s\n' "${coderun[@]}" | stats)"
echo "docker run --rm, same image and sandbox flags: $(printf '%s\n' "${docker_run[@]}" | stats)"
