#!/usr/bin/env bash
# List latency with a million run records. Creates the scratch database DB_NAME (dropped first if it exists; default
# coderun_bench_list), starts a gateway process from this checkout's exec jar on it (Flyway migrates it: V1..Vn), loads
# 1,000,000 runs with generate_series (4 handles, the usual spread of statuses, 2 runtimes, labels team/suite/shard and
# a rare key on 0.1% of runs, created_at over the last 365 days), then times each query shape of
# GET /v2/handles/{h}/code-runs through that gateway's real route (one keep-alive curl, REQUESTS requests per shape)
# and prints p50/p99 per shape with the index PostgreSQL's EXPLAIN (ANALYZE) shows for the route's SQL.
# The gateway's Kafka bootstrap points at an unused port: listing reads PostgreSQL only.
# usage: bash infra/scripts/bench-list.sh [DB_NAME]     env: REQUESTS (200), BENCH_PORT (18731), ROWS (1000000)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DB=${1:-coderun_bench_list}
REQUESTS=${REQUESTS:-200}
PORT=${BENCH_PORT:-18731}
ROWS=${ROWS:-1000000}
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
export PGPASSWORD=${CODERUN_DB_PASSWORD:-coderun}
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U "${CODERUN_DB_USER:-coderun}")
GATEWAY=http://127.0.0.1:$PORT
HANDLE=bench-0
WORK=$(mktemp -d /tmp/bench-list.XXXXXX)
SECRET=$(openssl rand -hex 32)

[[ $DB =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "DB_NAME must be a plain lowercase identifier" >&2; exit 1; }
JAR=$(compgen -G "$ROOT/api-gateway/target/api-gateway-*-exec.jar" | head -1 || true)
[[ -n $JAR ]] || { echo "no gateway jar: run ./mvnw -B -o package -DskipTests first" >&2; exit 1; }

GW_PID=
cleanup() { if [[ -n $GW_PID ]]; then kill "$GW_PID" 2>/dev/null; wait "$GW_PID" 2>/dev/null || true; fi; rm -rf "$WORK"; }
trap cleanup EXIT

echo "database $DB: recreating"
"${PSQL[@]}" postgres -c "drop database if exists $DB with (force)" -c "create database $DB"

echo "gateway on $GATEWAY (log $WORK/gateway.log): starting, Flyway migrates $DB"
CODERUN_DB_NAME=$DB CODERUN_GATEWAY_PORT=$PORT CODERUN_JWT_SECRET=$SECRET KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:1 \
  CODERUN_SECRETS_KEYS="bench:$(openssl rand -base64 32)" \
  "$JAVA_HOME/bin/java" -Xmx384m -XX:+UseSerialGC -jar "$JAR" >"$WORK/gateway.log" 2>&1 &
GW_PID=$!
for _ in $(seq 1 240); do
  curl -fsS -m 2 "$GATEWAY/actuator/health" 2>/dev/null | grep -q UP && break
  kill -0 "$GW_PID" 2>/dev/null || { tail -30 "$WORK/gateway.log" >&2; exit 1; }
  sleep 0.5
done
curl -fsS -m 2 "$GATEWAY/actuator/health" | grep -q UP || { tail -30 "$WORK/gateway.log" >&2; exit 1; }

echo "loading $ROWS runs"
t0=$(date +%s)
"${PSQL[@]}" "$DB" <<SQL
insert into runs (id, handle, runtime_key, runtime_version, name, command, args, env, cwd, timeout_seconds,
  max_output_bytes, max_attempts, labels, triggered_by, status, attempt, worker_id, exit_code, duration_ms,
  termination_reason, created_at, queued_at, started_at, finished_at, updated_at)
select gen_random_uuid(), 'bench-' || (i % 4), case when j % 5 = 0 then 'python' else 'busybox' end, 1, null,
  'echo hi', '[]', '{}', null, 300, 1048576, 1,
  jsonb_build_object('team', 't' || (j % 8), 'suite', 's' || (j % 50), 'shard', (j % 100)::text)
    || case when j % 1000 = 7 then '{"rare": "yes"}'::jsonb else '{}'::jsonb end,
  'user:bench', s.status, 1, 'w-1', 0, 100, 'exited', t.at, t.at, t.at, t.at, t.at
from generate_series(1, $ROWS) as i
-- j spreads every attribute evenly within each handle (handle = i % 4).
cross join lateral (select i / 4 as j) as k
cross join lateral (select now() - (i::double precision / $ROWS) * interval '365 days'
  - (i % 7) * interval '1 second' as at) as t
cross join lateral (select case
  when j % 1000 < 2 then 'RUNNING' when j % 1000 < 5 then 'QUEUED' when j % 1000 < 150 then 'FAILED'
  when j % 1000 < 170 then 'CANCELLED' when j % 1000 < 180 then 'TIMED_OUT' when j % 1000 < 185 then 'ERRORED'
  else 'SUCCEEDED' end as status) as s;
vacuum analyze runs;
SQL
echo "loaded in $(( $(date +%s) - t0 )) s; $("${PSQL[@]}" -tA "$DB" -c "select count(*) from runs where handle = '$HANDLE'") runs in handle $HANDLE"

now=$(date +%s)
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
header=$(printf '{"alg":"HS256","typ":"JWT"}' | b64url)
payload=$(printf '{"iss":"coderun","aud":"coderun-api","sub":"user:bench","handles":["%s"],"scope":"runs:read","iat":%d,"exp":%d}' \
  "$HANDLE" "$now" "$((now + 3600))" | b64url)
TOKEN="$header.$payload.$(printf '%s.%s' "$header" "$payload" | openssl dgst -sha256 -hmac "$SECRET" -binary | b64url)"

# A deep page: the cursor of the 100,000th newest run of the handle (or the middle one, in a smaller load).
in_handle=$("${PSQL[@]}" -tA "$DB" -c "select count(*) from runs where handle = '$HANDLE'")
depth=$(( in_handle / 2 < 100000 ? in_handle / 2 : 100000 ))
deep=$("${PSQL[@]}" -tA "$DB" -c "select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') || '|' || id
  from runs where handle = '$HANDLE' order by created_at desc, id desc offset $((depth - 1)) limit 1")
deep_at=${deep%%|*}; deep_id=${deep##*|}
CURSOR=$(printf '%s' "$deep" | b64url)
week_from=$(date -u -d '-180 days' +%Y-%m-%dT%H:%M:%SZ); week_to=$(date -u -d '-173 days' +%Y-%m-%dT%H:%M:%SZ)

COLS="id, handle, runtime_key, runtime_version, name, command, args, env, cwd, timeout_seconds, max_output_bytes,
  max_attempts, labels, triggered_by, status, attempt, worker_id, exit_code, duration_ms, termination_reason,
  error_code, error_message, created_at, queued_at, started_at, finished_at, updated_at"
# shape | query string | the WHERE clause the route builds for it (after handle = ...)
SHAPES=(
  "first page|limit=50|"
  "deep cursor page ($depth in)|limit=50&cursor=$CURSOR|and (created_at, id) < ('$deep_at', '$deep_id')"
  "status=FAILED|status=FAILED|and status = 'FAILED'"
  "status=RUNNING (0.2%)|status=RUNNING|and status = 'RUNNING'"
  "runtime_key=python|runtime_key=python|and runtime_key = 'python'"
  "label=team=t3 (1/8)|label=team%3Dt3|and labels @> '{\"team\":\"t3\"}'"
  "label=team+suite (1/200)|label=team%3Dt3&label=suite%3Ds7|and labels @> '{\"team\":\"t3\",\"suite\":\"s7\"}'"
  "label=rare (key, 0.1%)|label=rare|and labels ?& array['rare']"
  "created 1 week, 6 months ago|created_after=$week_from&created_before=$week_to|and created_at > '$week_from' and created_at < '$week_to'"
  "status+label+created_after|status=FAILED&label=team%3Dt2&created_after=$week_from|and status = 'FAILED' and labels @> '{\"team\":\"t2\"}' and created_at > '$week_from'"
  "deep cursor + status=FAILED|status=FAILED&limit=50&cursor=$CURSOR|and status = 'FAILED' and (created_at, id) < ('$deep_at', '$deep_id')"
)

# Warm-up: the gateway's JIT and connection pool, so the first shape is not timed cold.
warm=()
for _ in $(seq 1 100); do warm+=(-o /dev/null "$GATEWAY/v2/handles/$HANDLE/code-runs?limit=50&status=QUEUED"); done
curl -sS -H "Authorization: Bearer $TOKEN" "${warm[@]}"

printf '\n%-32s %8s %8s %6s  %-10s %s\n' "query shape ($REQUESTS requests)" "p50 ms" "p99 ms" "rows" "explain ms" "index (EXPLAIN ANALYZE)"
for shape in "${SHAPES[@]}"; do
  IFS='|' read -r name query where <<<"$shape"
  url="$GATEWAY/v2/handles/$HANDLE/code-runs?$query"
  rows=$(curl -fsS -H "Authorization: Bearer $TOKEN" "$url" | jq '.data | length')
  args=()
  for _ in $(seq 1 "$REQUESTS"); do args+=(-o /dev/null "$url"); done
  curl -sS -H "Authorization: Bearer $TOKEN" -w '%{http_code} %{time_total}\n' "${args[@]}" >"$WORK/times"
  if grep -qv '^200 ' "$WORK/times"; then echo "$name: a request did not answer 200" >&2; exit 1; fi
  read -r p50 p99 < <(awk '{print $2 * 1000}' "$WORK/times" | sort -n |
    awk '{a[NR]=$1} END {printf "%.1f %.1f\n", a[int((NR+1)/2)], a[int(NR*0.99+0.5)]}')
  limit=51; [[ $query =~ limit=([0-9]+) ]] && limit=$((BASH_REMATCH[1] + 1))
  plan=$("${PSQL[@]}" -tA "$DB" -c "explain (analyze, costs off) select $COLS from runs where handle = '$HANDLE' $where
    order by created_at desc, id desc limit $limit")
  index=$(grep -oE '(Index Only Scan|Index Scan( Backward)?|Bitmap Index Scan) (using|on) [a-z_]+' <<<"$plan" |
    awk '{print $NF}' | sort -u | paste -sd+ || true)
  ms=$(grep -oE 'Execution Time: [0-9.]+' <<<"$plan" | awk '{print $3}')
  printf '%-32s %8s %8s %6s  %-10s %s\n' "$name" "$p50" "$p99" "$rows" "$ms" "${index:-seq scan}"
done
echo
echo "database $DB kept for inspection; drop it with: psql -h 127.0.0.1 -U coderun postgres -c 'drop database $DB'"
