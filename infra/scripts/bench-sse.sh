#!/usr/bin/env bash
# Holds SUBSCRIBERS (default 500) concurrent handle-stream subscribers (GET .../code-runs/events) on one gateway while
# RUNS (default 40) runs of `echo hi` are submitted to the same handle, then prints how many subscribers stayed
# connected, the events each received against the transitions the run records hold, and the gateway's RSS before and
# after. usage: bash infra/scripts/bench-sse.sh [GATEWAY_URL] [SUBSCRIBERS] [RUNS]
# Token: $CODERUN_TOKEN, else minted by bin/coderun token for handle $CODERUN_HANDLE (default bench-sse). The busybox
# image comes from $BUSYBOX_IMAGE/$BUSYBOX_DIGEST or the stack's images.env. The gateway's pid (for RSS) is found by
# its port, or given as $GATEWAY_PID.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
GATEWAY=${1:-http://127.0.0.1:${CODERUN_GATEWAY_PORT:-8080}}
SUBSCRIBERS=${2:-500}
RUNS=${3:-40}
HANDLE=${CODERUN_HANDLE:-bench-sse}
TOKEN=${CODERUN_TOKEN:-$(CODERUN_HANDLE=$HANDLE "$ROOT/bin/coderun" token --handle "$HANDLE" | tail -1)}
if [[ -z ${BUSYBOX_IMAGE:-} ]]; then
  # shellcheck disable=SC1091
  source "${CODERUN_STATE_DIR:-$HOME/.coderun}/images.env"
fi
PORT=${GATEWAY##*:}; PORT=${PORT%%/*}
GATEWAY_PID=${GATEWAY_PID:-$(ss -ltnpH "sport = :$PORT" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)}
[[ -n $GATEWAY_PID ]] || { echo "no process listens on port $PORT (set GATEWAY_PID)" >&2; exit 1; }
H=(-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json')

curl -fsS -X PUT "${H[@]}" "$GATEWAY/v2/handles/$HANDLE/code-runtimes/busybox" \
  -d "{\"image\":{\"uri\":\"$BUSYBOX_IMAGE\",\"digest\":\"$BUSYBOX_DIGEST\"}}" >/dev/null
curl -fsS -X POST "${H[@]}" "$GATEWAY/v2/handles/$HANDLE/code-runtimes/busybox/validate-image" >/dev/null
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

GATEWAY=$GATEWAY HANDLE=$HANDLE TOKEN=$TOKEN SUBSCRIBERS=$SUBSCRIBERS RUNS=$RUNS GATEWAY_PID=$GATEWAY_PID \
python3 - <<'PY'
import asyncio, json, os, statistics, time, urllib.request
from urllib.parse import urlparse

gw, handle, token = os.environ["GATEWAY"], os.environ["HANDLE"], os.environ["TOKEN"]
n, runs, pid = int(os.environ["SUBSCRIBERS"]), int(os.environ["RUNS"]), os.environ["GATEWAY_PID"]
url = urlparse(gw)
path = f"/v2/handles/{handle}/code-runs/events"

def rss_mib():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024

def api(method, p, body=None):
    req = urllib.request.Request(gw + p, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)

class Sub:
    def __init__(self):
        self.connected = False; self.ended = False; self.events = 0; self.ids = set(); self.dups = 0
        self.overflow = False; self.keepalives = 0; self.transitions = set(); self.error = None

async def subscribe(s, ready):
    try:
        reader, writer = await asyncio.open_connection(url.hostname, url.port or 80, limit=1 << 20)
        writer.write((f"GET {path} HTTP/1.1\r\nHost: {url.netloc}\r\nAuthorization: Bearer {token}\r\n"
                      "Accept: text/event-stream\r\n\r\n").encode())
        await writer.drain()
        status = await reader.readline()
        if b" 200 " not in status:
            s.ended = True; ready.release(); return
        chunked = False
        while True:  # headers
            h = await reader.readline()
            if h in (b"\r\n", b""):
                break
            chunked |= h.lower().startswith(b"transfer-encoding: chunked")
        pending = b""
        while True:
            if chunked:
                size = int((await reader.readline()).strip() or b"0", 16)
                if size == 0:
                    break
                pending += await reader.readexactly(size)
                await reader.readexactly(2)
            else:
                data = await reader.read(65536)
                if not data:
                    break
                pending += data
            *lines, pending = pending.split(b"\n")
            for line in lines:
                if line == b":connected":
                    s.connected = True; ready.release()
                elif line == b":keep-alive":
                    s.keepalives += 1
                elif line.startswith(b"id:"):
                    i = line[3:].strip()
                    if i in s.ids: s.dups += 1
                    s.ids.add(i); s.events += 1
                elif line.startswith(b"data:"):
                    d = json.loads(line[5:])
                    if "status" in d: s.transitions.add((d["run_id"], d["status"], d["attempt"]))
                elif line == b"event:overflow":
                    s.overflow = True
    except Exception as e:
        s.error = repr(e)
    finally:
        if not s.connected:
            ready.release()
        s.ended = True

async def main():
    subs = [Sub() for _ in range(n)]
    ready = asyncio.Semaphore(0)
    rss0 = rss_mib()
    t0 = time.time()
    tasks = [asyncio.create_task(subscribe(s, ready)) for s in subs]
    for _ in range(n):
        await asyncio.wait_for(ready.acquire(), 120)
    connect_s = time.time() - t0
    rss_connected = rss_mib()
    loop = asyncio.get_running_loop()
    ids = []
    t1 = time.time()
    for _ in range(runs):
        r = await loop.run_in_executor(None, api, "POST", f"/v2/handles/{handle}/code-runs",
                                       {"runtime_key": "busybox", "command": "echo hi"})
        ids.append(r["data"]["id"])
    expected = 0
    for rid in ids:
        deadline = time.time() + 300
        while True:
            rec = (await loop.run_in_executor(None, api, "GET", f"/v2/handles/{handle}/code-runs/{rid}"))["data"]
            if rec["status"] in ("SUCCEEDED", "FAILED", "TIMED_OUT", "ERRORED", "REJECTED", "CANCELLED"):
                expected += len(rec["transitions"]); break
            if time.time() > deadline: raise SystemExit(f"run {rid} did not finish")
            await asyncio.sleep(0.2)
    # Every record is terminal: give the streams a moment to deliver the last transitions.
    deadline = time.time() + 30
    while time.time() < deadline and any(len(s.transitions) < expected and not s.ended for s in subs):
        await asyncio.sleep(0.2)
    runs_s = time.time() - t1
    rss1 = rss_mib()
    counts = [s.events for s in subs]
    distinct = [len(s.transitions) for s in subs]
    still = sum(1 for s in subs if s.connected and not s.ended)
    print(f"subscribers: {n} opened, {sum(s.connected for s in subs)} connected in {connect_s:.1f} s, "
          f"{still} still connected at the end, {sum(s.overflow for s in subs)} overflowed")
    print(f"runs: {runs} submitted, all terminal; expected events per subscriber (transitions in the records): {expected}")
    print(f"distinct (run, status, attempt) per subscriber: min {min(distinct)}, median "
          f"{statistics.median(distinct):.0f}, max {max(distinct)}; complete {sum(1 for c in distinct if c == expected)}/{n}")
    print(f"events (records of the events topic) per subscriber: min {min(counts)}, median "
          f"{statistics.median(counts):.0f}, max {max(counts)}; repeated ids {sum(s.dups for s in subs)}; "
          f"delivered {sum(counts)} events in {runs_s:.1f} s (more events than transitions = events the producers "
          f"wrote twice, which the records fold away)")
    errors = {s.error for s in subs if s.error}
    if errors:
        print(f"subscriber errors: {sorted(errors)[:3]}")
    print(f"gateway RSS: {rss0:.0f} MiB before, {rss_connected:.0f} MiB with {n} subscribers, {rss1:.0f} MiB after the runs")
    for t in tasks: t.cancel()

asyncio.run(main())
PY
