#!/usr/bin/env bash
# Chaos run against the local stack (bin/coderun up): submits RUNS runs (default 1000) over five fresh handles, and
# while they run kills the worker (SIGKILL), kills the scheduler (SIGKILL), restarts the Kafka broker and restarts
# PostgreSQL, bringing each back with `bin/coderun up`. Then it waits for every accepted run to end and prints:
#   lost            accepted runs (202) that are missing from the read model or never reached a terminal status
#   duplicated      runs that executed twice: the same attempt started by two workers (from the events topic), or two
#                   attempts of one run RUNNING at the same time (from the read model's transitions)
#   over_capacity   handles that had more runs RUNNING at once than the per-handle limit
# Usage: bash infra/scripts/chaos.sh [RUNS]   (or bin/coderun chaos [RUNS])
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CODERUN=$ROOT/bin/coderun
STATE=${CODERUN_STATE_DIR:-${HOME:-/root}/.coderun}
RUNDIR=$STATE/run
GATEWAY=http://127.0.0.1:${CODERUN_GATEWAY_PORT:-8080}
KAFKA=127.0.0.1:${CODERUN_KAFKA_PORT:-9092}
RUNS=${1:-1000}
HANDLES=5
MAX_ACTIVE=${CODERUN_MAX_ACTIVE:-8}
TAG=chaos$(date +%s)
WORK=$(mktemp -d)
export PGPASSWORD=coderun

say() { printf '[chaos %s] %s\n' "$(date +%T)" "$*" >&2; }
psql_q() { psql -h 127.0.0.1 -U coderun -d coderun -At -c "$1"; }
pid_of() { cat "$RUNDIR/$1.pid"; }
up() { CODERUN_SKIP_BUILD=1 "$CODERUN" up >"$WORK/up.log" 2>&1 || { tail -20 "$WORK/up.log" >&2; exit 1; }; }

say "bringing the stack up"
"$CODERUN" up >"$WORK/up.log" 2>&1 || { tail -20 "$WORK/up.log" >&2; exit 1; }
command -v kcat >/dev/null || apt-get install -y -qq kcat >/dev/null 2>&1 || say "kcat missing: the same-attempt check is skipped"
# shellcheck disable=SC1091
source "$STATE/images.env"

declare -a TOKENS
for h in $(seq 1 $HANDLES); do
  handle=$TAG-h$h
  TOKENS[h]=$("$CODERUN" token --handle "$handle" | tail -1)
  curl -fsS -X PUT -H "Authorization: Bearer ${TOKENS[h]}" -H 'Content-Type: application/json' \
    "$GATEWAY/v2/handles/$handle/code-runtimes/busybox" \
    -d "{\"image\":{\"uri\":\"$BUSYBOX_IMAGE\",\"digest\":\"$BUSYBOX_DIGEST\"},\"sandbox\":{\"timeout_seconds\":60}}" >/dev/null
  curl -fsS -X POST -H "Authorization: Bearer ${TOKENS[h]}" \
    "$GATEWAY/v2/handles/$handle/code-runtimes/busybox/validate-image" >/dev/null
done

# One submitter per handle; a submission that is refused (503 while Kafka is away, 5xx while a dependency restarts)
# or gets no answer is retried, as a client would, until the gateway accepts it.
submit_handle() {
  local h=$1 n=$2 i code cmd token=${TOKENS[$1]} handle=$TAG-h$1
  for i in $(seq 1 "$n"); do
    # Mostly sub-second runs; every tenth runs 4 s, so that a killed worker surely holds some mid-run.
    if ((i % 10 == 0)); then cmd="sleep 4; echo run $i"; else cmd="sleep 0.\$((RANDOM % 8)); echo run $i"; fi
    while :; do
      code=$(curl -sS -m 20 -o "$WORK/resp-$h" -w '%{http_code}' -X POST -H "Authorization: Bearer $token" \
        -H 'Content-Type: application/json' "$GATEWAY/v2/handles/$handle/code-runs" \
        -d "{\"runtime_key\":\"busybox\",\"command\":\"$cmd\",\"max_attempts\":2}" \
        2>/dev/null || echo 000)
      if [[ $code == 202 ]]; then jq -r .data.id "$WORK/resp-$h" >>"$WORK/ids-$h"; break; fi
      echo "$code" >>"$WORK/retries-$h"
      sleep 0.5
    done
  done
}

say "submitting $RUNS runs over $HANDLES handles ($TAG-h1..h$HANDLES)"
t0=$SECONDS
for h in $(seq 1 $HANDLES); do
  submit_handle "$h" $((RUNS / HANDLES)) &
done

# The worker is killed while a 4 s run has been running for a second, so that its runs have to be recovered.
for _ in $(seq 1 240); do
  running=$(psql_q "select count(*) from runs where handle like '$TAG-%' and status = 'RUNNING'
                    and command like 'sleep 4%' and started_at < now() - interval '1 second'")
  ((running > 0)) && break
  sleep 0.5
done
running=$(psql_q "select count(*) from runs where handle like '$TAG-%' and status in ('STARTING', 'RUNNING')")
say "fault 1: kill -9 worker (pid $(pid_of worker)) holding $running runs"; kill -9 "$(pid_of worker)"; sleep 3; up
say "worker back"
sleep 12
say "fault 2: kill -9 scheduler (pid $(pid_of scheduler))"; kill -9 "$(pid_of scheduler)"; sleep 3; up; say "scheduler back"
sleep 12
say "fault 3: restart the Kafka broker (pid $(pid_of kafka))"; kill "$(pid_of kafka)"
while kill -0 "$(pid_of kafka)" 2>/dev/null; do sleep 0.5; done
up; say "broker back"
sleep 12
cluster=$(pg_lsclusters --no-header | awk '$3 == 5432 {print $1, $2; exit}')
say "fault 4: restart PostgreSQL ($cluster)"; pg_ctlcluster $cluster restart; say "postgres back"

wait
accepted=$(cat "$WORK"/ids-* | wc -l)
retries=$(cat "$WORK"/retries-* 2>/dev/null | wc -l || true)
say "all $accepted submissions accepted in $((SECONDS - t0))s ($retries refused and retried); waiting for the runs to end"

cat "$WORK"/ids-* | sort -u >"$WORK/ids"
terminal="'SUCCEEDED','FAILED','TIMED_OUT','CANCELLED','ERRORED','REJECTED'"
deadline=$((SECONDS + ${CHAOS_WAIT_SECONDS:-1800}))
while :; do
  open=$(psql_q "select count(*) from runs where handle like '$TAG-%' and status not in ($terminal)")
  known=$(psql_q "select count(*) from runs where handle like '$TAG-%'")
  ((open == 0 && known >= accepted)) && break
  ((SECONDS < deadline)) || { say "gave up waiting: $open runs not ended, $known of $accepted known"; break; }
  sleep 5
done
elapsed=$((SECONDS - t0))

ids_sql=$(sed "s/.*/('&'::uuid)/" "$WORK/ids" | paste -sd,)
lost=$(psql_q "select count(*) from (values $ids_sql) a(id) left join runs r on r.id = a.id
               where r.id is null or r.status not in ($terminal)")
intervals="with t as (
    select r.handle, tr.run_id, tr.attempt, tr.status, tr.at,
           lead(tr.at) over (partition by tr.run_id order by tr.at, tr.attempt) as next_at
    from run_transitions tr join runs r on r.id = tr.run_id where r.handle like '$TAG-%'),
  iv as (select handle, run_id, attempt, at as s, coalesce(next_at, 'infinity') as e from t where status = 'RUNNING')"
overlapping_attempts=$(psql_q "$intervals select count(distinct a.run_id) from iv a join iv b
               on a.run_id = b.run_id and a.attempt < b.attempt and b.s < a.e and a.s < b.e")
most=$(psql_q "$intervals select handle || ' ' || max(c) from (select a.handle, count(*) c from iv a join iv b
               on a.handle = b.handle and b.s <= a.s and b.e > a.s group by a.handle, a.run_id, a.attempt, a.s) x
               group by handle order by handle")
over_capacity=$(awk -v m="$MAX_ACTIVE" '$2 > m' <<<"$most" | wc -l)
same_attempt=skipped
if command -v kcat >/dev/null; then
  same_attempt=$(timeout 120 kcat -b "$KAFKA" -C -t coderun.events.v1 -e -q -X isolation.level=read_committed -f '%s\n' \
    | jq -r --arg tag "$TAG-" 'select(.type == "RunStarted" and (.payload.handle | startswith($tag)))
        | "\(.payload.run_id) \(.payload.attempt) \(.payload.worker_id)"' \
    | sort -u | awk '{print $1, $2}' | uniq -d | wc -l)
fi
duplicated=$overlapping_attempts
[[ $same_attempt != skipped ]] && duplicated=$((duplicated + same_attempt))

echo
echo "chaos $TAG: $accepted runs accepted over $HANDLES handles in ${elapsed}s (kill -9 worker, kill -9 scheduler, broker restart, postgres restart)"
psql_q "select status, count(*) from runs where handle like '$TAG-%' group by status order by status" | sed 's/|/ /; s/^/  status /'
psql_q "select coalesce(error_code, '-'), count(*) from runs where handle like '$TAG-%' and status = 'ERRORED' group by 1" | sed 's/|/ /; s/^/  errored /'
echo "  re-attempted (attempt > 1): $(psql_q "select count(*) from runs where handle like '$TAG-%' and attempt > 1")"
echo "  most RUNNING at once per handle (limit $MAX_ACTIVE): $(tr '\n' ';' <<<"$most")"
echo "lost=$lost duplicated=$duplicated (same attempt started twice: $same_attempt; attempts overlapping: $overlapping_attempts) over_capacity=$over_capacity"
rm -rf "$WORK"
