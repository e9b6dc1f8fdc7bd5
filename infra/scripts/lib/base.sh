# shellcheck shell=bash
# coderun base services — sourceable library.
#
#   source infra/scripts/lib/base.sh
#   ensure_packages; ensure_docker; ensure_registry; ensure_postgres; ensure_images
#
# Every function is idempotent: it checks first and only starts/builds what is
# missing, so a warm call costs a few hundred milliseconds. Functions return
# non-zero (after printing a clear "[base] ERROR: ..." line on stderr) instead
# of exiting, so the library is safe to source into an interactive shell; the
# entry point infra/scripts/base-services.sh runs them under `set -euo pipefail`.
#
# Must run as root (installs packages, starts dockerd / PostgreSQL). No systemd
# is assumed: daemons are started directly with setsid+nohup, logs go to
# $CODERUN_STATE_DIR/logs, pid files to $CODERUN_STATE_DIR/run.
#
# Environment (all optional):
#   CODERUN_STATE_DIR         state dir (default $HOME/.coderun)
#   CODERUN_DOCKERD_FLAGS     exact extra dockerd flags; disables auto-detection
#   CODERUN_DOCKER_TIMEOUT    seconds to wait for dockerd (default 60)
#   CODERUN_REGISTRY_ADDR     registry listen address (default 127.0.0.1:5000)
#   CODERUN_PG_VERSION        PostgreSQL major version (default 15)
#   CODERUN_PG_CLUSTER        cluster name (default main)
#   CODERUN_PG_PORT           port (default 5432)
#   CODERUN_DB_USER / CODERUN_DB_NAME / CODERUN_DB_PASSWORD  (default coderun)
#   CODERUN_DEBIAN_MIRROR     override the mirror used by debootstrap
#                             (default: read from /etc/apt/sources.list{,.d})
#   CODERUN_PYTHON_INCLUDE    debootstrap --include list for the python image
#                             (default python3-minimal,libpython3.11-stdlib)
#   CODERUN_REBUILD_IMAGES=1  rebuild + push the base images even if present
#
# Images are rebuilt only when missing from the registry or when their build
# inputs changed: each image carries a label org.coderun.inputs (hash of the
# build context + /bin/busybox, resp. of the debootstrap options +
# customize-rootfs.sh + import changes) that is compared with the registry's
# copy. The debootstrap rootfs is cached as $STATE/cache/python-*.tar.
#
# Findings on the reference sandbox (Debian 12 Firecracker VM, kernel 6.18,
# cgroup v1 hybrid, no systemd, root with full capabilities):
#   * dockerd 20.10.24 (Debian docker.io) starts with NO extra flags: overlay2
#     works on the ext4 root, iptables (nf_tables backend) works, docker0
#     bridge + veth work, so default bridge networking and --network none both
#     work. The vfs / --iptables=false / --bridge=none fallbacks below are
#     only used if the daemon dies with a matching error in its log.
#   * /usr/local/bin/docker is a Docker 28 CLI (shadows Debian's 20.10 CLI);
#     it negotiates API 1.41 with the 20.10 daemon fine. It has no buildx, so
#     `docker build` uses the legacy builder (we set DOCKER_BUILDKIT=0 to
#     make that explicit and avoid depending on buildx).
#   * Debian's docker.io / docker-registry / postgresql maintainer scripts
#     would try to start their services on install; we install with a
#     temporary policy-rc.d (exit 101) so that we alone start the daemons,
#     with our own config (notably: the registry bound to 127.0.0.1 only).
#   * Timings there: cold (debootstrap + builds) ~50-70 s, warm ~1 s;
#     `docker run --rm busybox echo hi` ~0.43 s median (0.3-0.35 s with
#     --network none).

# ---------------------------------------------------------------------------
# settings
# ---------------------------------------------------------------------------
CODERUN_STATE_DIR=${CODERUN_STATE_DIR:-${HOME:-/root}/.coderun}
CODERUN_LOG_DIR=${CODERUN_LOG_DIR:-$CODERUN_STATE_DIR/logs}
CODERUN_RUN_DIR=${CODERUN_RUN_DIR:-$CODERUN_STATE_DIR/run}
CODERUN_CACHE_DIR=${CODERUN_CACHE_DIR:-$CODERUN_STATE_DIR/cache}
CODERUN_REGISTRY_ADDR=${CODERUN_REGISTRY_ADDR:-127.0.0.1:5000}
CODERUN_PG_VERSION=${CODERUN_PG_VERSION:-15}
CODERUN_PG_CLUSTER=${CODERUN_PG_CLUSTER:-main}
CODERUN_PG_PORT=${CODERUN_PG_PORT:-5432}
CODERUN_DB_USER=${CODERUN_DB_USER:-coderun}
CODERUN_DB_NAME=${CODERUN_DB_NAME:-coderun}
CODERUN_DB_PASSWORD=${CODERUN_DB_PASSWORD:-coderun}
CODERUN_DOCKER_TIMEOUT=${CODERUN_DOCKER_TIMEOUT:-60}

# iptables is a hard Depends of docker.io; debian-archive-keyring is only a
# Recommends of debootstrap (we install with --no-install-recommends).
CODERUN_BASE_PACKAGES=(docker.io docker-registry postgresql debootstrap debian-archive-keyring
                       busybox-static curl jq ca-certificates util-linux)

# Repo paths (this file is infra/scripts/lib/base.sh).
CODERUN_BASE_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CODERUN_INFRA_DIR=$(cd "$CODERUN_BASE_LIB_DIR/../.." && pwd)
CODERUN_IMAGES_DIR=$CODERUN_INFRA_DIR/images

BUSYBOX_IMAGE=${CODERUN_REGISTRY_ADDR}/coderun/busybox
BUSYBOX_TAG=latest
PYTHON_IMAGE=${CODERUN_REGISTRY_ADDR}/coderun/python
PYTHON_TAG=3.11
CODERUN_PYTHON_SUITE=bookworm          # bookworm's python3 is 3.11
# python3-minimal alone lacks json, dataclasses, decimal, unittest, asyncio,
# sqlite3, ... (they live in libpython3.11-stdlib, +~10 MB); a code runner
# needs them, so the stdlib is included by default.
CODERUN_PYTHON_INCLUDE=${CODERUN_PYTHON_INCLUDE:-python3-minimal,libpython3.11-stdlib}
CODERUN_MANIFEST_V2='application/vnd.docker.distribution.manifest.v2+json'

# "component: started|reused|built ..." lines, printed by base_summary.
declare -ga CODERUN_SUMMARY=()

export DEBIAN_FRONTEND=noninteractive
export DOCKER_BUILDKIT=0

# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
log()  { printf '[base] %s\n' "$*" >&2; }
die()  { printf '[base] ERROR: %s\n' "$*" >&2; return 1; }
_summary() { CODERUN_SUMMARY+=("$*"); }

# Serialize concurrent runs: takes an exclusive flock on fd 9 (held until the
# calling shell exits). Every daemon we start gets fd 9 closed (see
# _start_daemon), so the lock is released when the run ends.
base_lock() {
  _base_dirs
  local lockf=$CODERUN_RUN_DIR/base-services.flock
  exec 9>"$lockf"
  if ! flock -n 9; then
    log "another base-services run holds $lockf; waiting (max 15 min)"
    flock -w 900 9 || { die "timed out waiting for $lockf"; return 1; }
  fi
}

base_summary() {
  local line
  echo "== coderun base services =="
  for line in "${CODERUN_SUMMARY[@]}"; do echo "  $line"; done
}

_base_dirs() {
  mkdir -p "$CODERUN_STATE_DIR" "$CODERUN_LOG_DIR" "$CODERUN_RUN_DIR" "$CODERUN_CACHE_DIR"
}

_require_root() {
  [[ $(id -u) -eq 0 ]] || die "must run as root (installs packages, starts dockerd/postgres)"
}

# Print the tail of a log file to stderr (for failure messages).
_log_tail() {
  local f=$1 n=${2:-20}
  [[ -f $f ]] || return 0
  log "---- last $n lines of $f ----"
  tail -n "$n" "$f" | sed 's/^/[base]   /' >&2
  log "----"
}

_pid_alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }

# _start_daemon NAME LOGFILE PIDFILE CMD...  — detached from our session/stdio
# so callers that capture our output don't hang and job-control signals don't
# reach the daemon. Prints the pid.
_start_daemon() {
  local name=$1 logf=$2 pidf=$3; shift 3
  {
    printf '\n===== %s: starting %s: %s =====\n' "$(date -Is)" "$name" "$*"
  } >>"$logf"
  # `set +m` keeps the child out of its own process group, so setsid(1) can
  # call setsid() in-process and exec (no extra fork): $! is the daemon's pid.
  local pid
  # 9>&-: never let a daemon inherit the base_lock fd (it would hold the lock
  # for its whole lifetime and block every later run).
  pid=$(set +m; setsid nohup "$@" >>"$logf" 2>&1 </dev/null 9>&- & echo $!)
  echo "$pid" >"$pidf"
  echo "$pid"
}

# ---------------------------------------------------------------------------
# 1. packages
# ---------------------------------------------------------------------------
_pkg_installed() {
  [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]
}

ensure_packages() {
  _require_root || return 1
  local p missing=()
  for p in "${CODERUN_BASE_PACKAGES[@]}"; do
    _pkg_installed "$p" || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    _summary "packages: reused (all ${#CODERUN_BASE_PACKAGES[@]} installed)"
    return 0
  fi
  log "installing missing packages: ${missing[*]}"
  # Keep maintainer scripts from starting docker/registry/postgres with their
  # stock configs; we start them ourselves below.
  local policy=/usr/sbin/policy-rc.d created_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\n# temporary, created by coderun base.sh\nexit 101\n' >"$policy"
    chmod 0755 "$policy"
    created_policy=1
  fi
  local rc=0
  _base_dirs
  {
    apt-get update -q &&
    apt-get install -y -q --no-install-recommends "${missing[@]}"
  } >>"$CODERUN_LOG_DIR/apt.log" 2>&1 9>&- || rc=$?
  ((created_policy)) && rm -f "$policy"
  if ((rc != 0)); then
    _log_tail "$CODERUN_LOG_DIR/apt.log" 30
    die "apt-get failed (rc=$rc) installing: ${missing[*]} (log: $CODERUN_LOG_DIR/apt.log)"
    return 1
  fi
  for p in "${missing[@]}"; do
    _pkg_installed "$p" || { die "package $p still not installed after apt-get"; return 1; }
  done
  _summary "packages: installed ${missing[*]}"
}

# ---------------------------------------------------------------------------
# 2. docker engine
# ---------------------------------------------------------------------------
_docker_up() { timeout 15 docker info >/dev/null 2>&1; }

# Wait for dockerd PID to answer. 0 = up, 1 = process died, 2 = timeout.
_docker_wait() {
  local pid=$1 timeout=$2 i
  for ((i = 0; i < timeout * 4; i++)); do
    _docker_up && return 0
    _pid_alive "$pid" || { _docker_up && return 0; return 1; }
    sleep 0.25
  done
  return 2
}

ensure_docker() {
  _require_root || return 1
  _base_dirs
  command -v dockerd >/dev/null || { die "dockerd not found (package docker.io)"; return 1; }
  command -v docker >/dev/null || { die "docker CLI not found (package docker.io)"; return 1; }
  if _docker_up; then
    _summary "docker: reused (running, $(docker info -f '{{.ServerVersion}} {{.Driver}}' 2>/dev/null))"
    return 0
  fi

  local logf=$CODERUN_LOG_DIR/dockerd.log pidf=$CODERUN_RUN_DIR/dockerd.pid
  local syspid=/var/run/docker.pid pid

  # A dockerd that is still starting up (or ours from an earlier run): wait.
  for pid in "$(cat "$syspid" 2>/dev/null)" "$(cat "$pidf" 2>/dev/null)"; do
    if _pid_alive "$pid" && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == dockerd ]]; then
      log "dockerd (pid $pid) is running but not answering yet; waiting"
      if _docker_wait "$pid" "$CODERUN_DOCKER_TIMEOUT"; then
        _summary "docker: reused (pid $pid, was still starting)"
        return 0
      fi
      die "dockerd pid $pid is running but 'docker info' fails after ${CODERUN_DOCKER_TIMEOUT}s; see $logf"
      return 1
    fi
  done
  # Stale pid file from an unclean shutdown makes dockerd refuse to start.
  [[ -e $syspid ]] && { log "removing stale $syspid"; rm -f "$syspid"; }

  # Flags: explicit override > flags that worked last time > auto-detect.
  local flagsf=$CODERUN_STATE_DIR/dockerd.flags
  local -a flags=()
  local autodetect=1
  if [[ -n ${CODERUN_DOCKERD_FLAGS+x} ]]; then
    read -r -a flags <<<"$CODERUN_DOCKERD_FLAGS"; autodetect=0
  elif [[ -s $flagsf ]]; then
    read -r -a flags <"$flagsf"
  fi

  local rc start_off
  for _ in 1 2 3 4; do
    start_off=$(stat -c %s "$logf" 2>/dev/null || echo 0)
    log "starting dockerd ${flags[*]:-(default flags)} (log: $logf)"
    pid=$(_start_daemon dockerd "$logf" "$pidf" dockerd "${flags[@]}")
    rc=0; _docker_wait "$pid" "$CODERUN_DOCKER_TIMEOUT" || rc=$?
    if ((rc == 0)); then
      printf '%s\n' "${flags[*]}" >"$flagsf"
      _summary "docker: started (pid $pid, flags: ${flags[*]:-none}, $(docker info -f '{{.ServerVersion}} {{.Driver}}' 2>/dev/null))"
      return 0
    fi
    if ((rc == 2)); then
      _log_tail "$logf" 30
      die "dockerd (pid $pid) did not answer within ${CODERUN_DOCKER_TIMEOUT}s (log: $logf)"
      return 1
    fi
    # Died: look at what this attempt logged and pick a fallback.
    local out; out=$(tail -c +"$((start_off + 1))" "$logf" 2>/dev/null)
    ((autodetect)) || break
    local -a next=("${flags[@]}")
    if grep -qiE 'overlay|graphdriver|storage.driver|driver not supported' <<<"$out" &&
       [[ " ${flags[*]} " != *" --storage-driver=vfs "* ]]; then
      next=("${next[@]/--storage-driver=*/}"); next+=(--storage-driver=vfs)
      log "dockerd failed on the storage driver; falling back to vfs"
    elif grep -qiE 'iptables|nf_tables|xtables' <<<"$out" &&
         [[ " ${flags[*]} " != *" --iptables=false "* ]]; then
      next+=(--iptables=false --ip-masq=false)
      log "dockerd failed on iptables; retrying with --iptables=false"
    elif grep -qiE 'bridge|docker0|netlink|veth' <<<"$out" &&
         [[ " ${flags[*]} " != *" --bridge=none "* ]]; then
      next+=(--bridge=none)
      [[ " ${next[*]} " == *" --iptables=false "* ]] || next+=(--iptables=false)
      log "dockerd failed on bridge networking; retrying with --bridge=none (only --network none/host will work)"
    else
      break
    fi
    # drop empty elements left by the substitution above
    flags=(); local f; for f in "${next[@]}"; do [[ -n $f ]] && flags+=("$f"); done
    rm -f "$syspid"
  done
  _log_tail "$logf" 30
  die "could not start dockerd (last flags: ${flags[*]:-none}); see $logf"
  return 1
}

# ---------------------------------------------------------------------------
# 3. local OCI registry (Debian's docker-registry, distribution v2.8)
# ---------------------------------------------------------------------------
_registry_up() { curl -fsS -m 3 -o /dev/null "http://$CODERUN_REGISTRY_ADDR/v2/" 2>/dev/null; }

_registry_write_config() {
  local cfg=$1 tmp
  tmp=$(mktemp "$cfg.XXXXXX")
  cat >"$tmp" <<EOF
# generated by infra/scripts/lib/base.sh — do not edit
version: 0.1
log:
  level: info
  formatter: text
  fields:
    service: coderun-registry
storage:
  filesystem:
    rootdirectory: $CODERUN_STATE_DIR/registry
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
  maintenance:
    uploadpurging:
      enabled: true
      age: 168h
      interval: 24h
      dryrun: false
http:
  addr: $CODERUN_REGISTRY_ADDR
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
EOF
  if cmp -s "$tmp" "$cfg"; then rm -f "$tmp"; else mv -f "$tmp" "$cfg"; fi
}

ensure_registry() {
  _base_dirs
  if _registry_up; then
    _summary "registry: reused (http://$CODERUN_REGISTRY_ADDR)"
    return 0
  fi
  local bin=/usr/bin/docker-registry
  [[ -x $bin ]] || { die "$bin not found (package docker-registry)"; return 1; }
  local cfg=$CODERUN_STATE_DIR/registry.yml logf=$CODERUN_LOG_DIR/registry.log pidf=$CODERUN_RUN_DIR/registry.pid
  mkdir -p "$CODERUN_STATE_DIR/registry"
  _registry_write_config "$cfg"

  local old; old=$(cat "$pidf" 2>/dev/null || true)
  if _pid_alive "$old" && [[ $(cat "/proc/$old/comm" 2>/dev/null) == docker-registry ]]; then
    log "registry pid $old exists but does not answer; restarting it"
    kill "$old" 2>/dev/null || true
    local i; for ((i = 0; i < 20; i++)); do _pid_alive "$old" || break; sleep 0.25; done
  fi
  # Something else on the port?
  if (exec 3<>"/dev/tcp/${CODERUN_REGISTRY_ADDR%:*}/${CODERUN_REGISTRY_ADDR##*:}") 2>/dev/null; then
    die "$CODERUN_REGISTRY_ADDR is taken by something that is not a v2 registry"
    return 1
  fi

  log "starting registry on $CODERUN_REGISTRY_ADDR (log: $logf)"
  local pid; pid=$(_start_daemon docker-registry "$logf" "$pidf" "$bin" serve "$cfg")
  local i
  for ((i = 0; i < 120; i++)); do
    if _registry_up; then
      _summary "registry: started (pid $pid, http://$CODERUN_REGISTRY_ADDR, storage $CODERUN_STATE_DIR/registry)"
      return 0
    fi
    _pid_alive "$pid" || break
    sleep 0.25
  done
  _log_tail "$logf" 20
  die "registry did not come up on $CODERUN_REGISTRY_ADDR (log: $logf)"
  return 1
}

# ---------------------------------------------------------------------------
# 4. PostgreSQL
# ---------------------------------------------------------------------------
_pg_cluster_line() {  # "ver cluster port status owner datadir logfile" or empty
  pg_lsclusters -h 2>/dev/null | awk -v v="$CODERUN_PG_VERSION" -v c="$CODERUN_PG_CLUSTER" '$1==v && $2==c'
}

_pg_psql() {  # superuser psql over the local socket
  runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$CODERUN_PG_PORT" "$@"
}

_pg_tcp_login_ok() {
  PGPASSWORD=$CODERUN_DB_PASSWORD PGCONNECT_TIMEOUT=5 psql -X -q -w -h 127.0.0.1 -p "$CODERUN_PG_PORT" \
    -U "$CODERUN_DB_USER" -d "$CODERUN_DB_NAME" -tAc 'select 1' 2>/dev/null | grep -qx 1
}

ensure_postgres() {
  _require_root || return 1
  _base_dirs
  local v=$CODERUN_PG_VERSION c=$CODERUN_PG_CLUSTER actions=()
  command -v pg_lsclusters >/dev/null || { die "pg_lsclusters not found (package postgresql)"; return 1; }

  # Fast path: everything already works.
  if [[ $(_pg_cluster_line | awk '{print $4}') == online ]] && _pg_tcp_login_ok; then
    _summary "postgres: reused ($v/$c on 127.0.0.1:$CODERUN_PG_PORT, db $CODERUN_DB_NAME)"
    return 0
  fi

  local line; line=$(_pg_cluster_line)
  if [[ -z $line ]]; then
    log "creating PostgreSQL cluster $v/$c on port $CODERUN_PG_PORT"
    pg_createcluster "$v" "$c" --port "$CODERUN_PG_PORT" >>"$CODERUN_LOG_DIR/postgres-setup.log" 2>&1 ||
      { _log_tail "$CODERUN_LOG_DIR/postgres-setup.log"; die "pg_createcluster $v $c failed"; return 1; }
    actions+=("created cluster")
    line=$(_pg_cluster_line)
  fi
  local port status
  port=$(awk '{print $3}' <<<"$line"); status=$(awk '{print $4}' <<<"$line")
  if [[ $port != "$CODERUN_PG_PORT" ]]; then
    die "cluster $v/$c is configured for port $port, expected $CODERUN_PG_PORT (fix with: pg_conftool $v $c set port $CODERUN_PG_PORT)"
    return 1
  fi
  # Must listen on 127.0.0.1 (Debian's default 'localhost' does).
  local la; la=$(pg_conftool -s "$v" "$c" show listen_addresses 2>/dev/null || true)
  la=${la//\'/}
  if [[ -n $la && ! ,${la// /}, =~ ,(localhost|127\.0\.0\.1|\*|0\.0\.0\.0), ]]; then
    log "listen_addresses='$la' excludes localhost; setting it to 'localhost'"
    pg_conftool "$v" "$c" set listen_addresses localhost
    [[ $status == online ]] && { pg_ctlcluster "$v" "$c" restart 9>&- || { die "restart of $v/$c failed"; return 1; }; actions+=("restarted (listen_addresses)"); }
  fi
  if [[ $status != online ]]; then
    log "starting PostgreSQL $v/$c"
    pg_ctlcluster "$v" "$c" start >>"$CODERUN_LOG_DIR/postgres-setup.log" 2>&1 9>&- || {
      _log_tail "$CODERUN_LOG_DIR/postgres-setup.log"
      _log_tail "/var/log/postgresql/postgresql-$v-$c.log"
      die "pg_ctlcluster $v $c start failed"; return 1; }
    actions+=("started")
  fi
  local i
  for ((i = 0; i < 60; i++)); do
    pg_isready -q -h 127.0.0.1 -p "$CODERUN_PG_PORT" && break
    sleep 0.5
  done
  pg_isready -q -h 127.0.0.1 -p "$CODERUN_PG_PORT" ||
    { _log_tail "/var/log/postgresql/postgresql-$v-$c.log"; die "PostgreSQL not accepting TCP connections on 127.0.0.1:$CODERUN_PG_PORT"; return 1; }

  # Role + database (idempotent; password passed as a psql variable, never echoed).
  local created
  created=$(_pg_psql -d postgres -tA -v u="$CODERUN_DB_USER" -v pw="$CODERUN_DB_PASSWORD" -v db="$CODERUN_DB_NAME" <<'SQL'
SELECT 'role' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'u');
SELECT format('CREATE ROLE %I LOGIN CREATEDB PASSWORD %L', :'u', :'pw')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'u') \gexec
SELECT format('ALTER ROLE %I LOGIN CREATEDB', :'u') \gexec
SELECT 'db' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db');
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'u')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'db', :'u') \gexec
SQL
) || { die "creating role/database $CODERUN_DB_USER/$CODERUN_DB_NAME failed"; return 1; }
  [[ $created == *role* ]] && actions+=("created role $CODERUN_DB_USER")
  [[ $created == *db* ]] && actions+=("created database $CODERUN_DB_NAME")

  if ! _pg_tcp_login_ok; then
    # Role existed with another password?
    log "TCP password login failed; (re)setting the password of role $CODERUN_DB_USER"
    _pg_psql -d postgres -v u="$CODERUN_DB_USER" -v pw="$CODERUN_DB_PASSWORD" <<'SQL' || { die "ALTER ROLE failed"; return 1; }
SELECT format('ALTER ROLE %I PASSWORD %L', :'u', :'pw') \gexec
SQL
    actions+=("reset password")
  fi
  if ! _pg_tcp_login_ok; then
    # pg_hba.conf without a password rule for localhost TCP: prepend ours.
    local hba; hba=$(_pg_psql -d postgres -tAc 'show hba_file')
    if ! grep -q 'coderun-base-managed' "$hba"; then
      log "adding scram-sha-256 localhost rules for $CODERUN_DB_USER to $hba"
      local tmp; tmp=$(mktemp)
      {
        echo "# coderun-base-managed: password auth for the app role over localhost TCP"
        echo "host    all    $CODERUN_DB_USER    127.0.0.1/32    scram-sha-256"
        echo "host    all    $CODERUN_DB_USER    ::1/128         scram-sha-256"
        cat "$hba"
      } >"$tmp"
      cat "$tmp" >"$hba"; rm -f "$tmp"
      _pg_psql -d postgres -c 'select pg_reload_conf()' >/dev/null
      actions+=("patched pg_hba.conf")
    fi
  fi
  _pg_tcp_login_ok || { die "psql -h 127.0.0.1 -U $CODERUN_DB_USER -d $CODERUN_DB_NAME still fails (check pg_hba.conf / password_encryption)"; return 1; }

  if ((${#actions[@]})); then
    _summary "postgres: ${actions[*]} ($v/$c on 127.0.0.1:$CODERUN_PG_PORT, db $CODERUN_DB_NAME)"
  else
    _summary "postgres: reused ($v/$c on 127.0.0.1:$CODERUN_PG_PORT, db $CODERUN_DB_NAME)"
  fi
}

# ---------------------------------------------------------------------------
# 5. base runtime images
# ---------------------------------------------------------------------------
# Print the manifest digest of REPO:TAG in the local registry (empty + rc 1 if absent).
registry_digest() {
  local repo=$1 tag=$2 d
  d=$(curl -fsS -m 10 -I -H "Accept: $CODERUN_MANIFEST_V2" \
        "http://$CODERUN_REGISTRY_ADDR/v2/$repo/manifests/$tag" 2>/dev/null |
      tr -d '\r' | awk 'tolower($1)=="docker-content-digest:"{print $2}')
  [[ $d == sha256:* ]] || return 1
  echo "$d"
}

# Mirror debootstrap should use: the first deb URI serving the base suite.
_debian_mirror() {
  if [[ -n ${CODERUN_DEBIAN_MIRROR:-} ]]; then echo "$CODERUN_DEBIAN_MIRROR"; return 0; fi
  local suite=$1 f m
  # deb822 *.sources
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    m=$(awk -v s="$suite" '
      BEGIN { RS=""; FS="\n" }
      {
        types=""; uris=""; suites=""; enabled="yes"
        for (i = 1; i <= NF; i++) {
          line = $i; if (line ~ /^[ \t]*#/) continue
          k = tolower(line); sub(/:.*/, "", k)
          v = line; sub(/^[^:]*:[ \t]*/, "", v)
          if (k == "types") types = v; else if (k == "uris") uris = v
          else if (k == "suites") suites = v; else if (k == "enabled") enabled = tolower(v)
        }
        if (enabled != "no" && (" " types " ") ~ / deb / && (" " suites " ") ~ (" " s " ")) {
          split(uris, u, /[ \t]+/); print u[1]; exit
        }
      }' "$f")
    [[ -n $m ]] && { echo "${m%/}"; return 0; }
  done
  # one-line format
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    m=$(awk -v s="$suite" '
      $1 == "deb" {
        i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
        if ($(i+1) == s) { print $i; exit }
      }' "$f")
    [[ -n $m ]] && { echo "${m%/}"; return 0; }
  done
  return 1
}

_image_verify() {  # IMAGE@DIGEST EXPECTED CMD...
  local ref=$1 expected=$2; shift 2
  local out
  docker pull "$ref" >>"$CODERUN_LOG_DIR/images.log" 2>&1 ||
    { _log_tail "$CODERUN_LOG_DIR/images.log" 10; die "docker pull $ref failed"; return 1; }
  out=$(docker run --rm --network none --read-only --user 65534:65534 --cap-drop ALL \
          --security-opt no-new-privileges --tmpfs /tmp "$ref" "$@" 2>&1) ||
    { die "docker run $ref $* failed: $out"; return 1; }
  [[ $out == "$expected" ]] || { die "docker run $ref $*: expected $(printf %q "$expected"), got $(printf %q "$out")"; return 1; }
}

_push() {  # REF
  docker push "$1" >>"$CODERUN_LOG_DIR/images.log" 2>&1 ||
    { _log_tail "$CODERUN_LOG_DIR/images.log" 15; die "docker push $1 failed"; return 1; }
}

# Input hashes, stored as the image label org.coderun.inputs: when the build
# inputs change, the image in the registry is considered stale and rebuilt.
_busybox_inputs() {
  local src=$CODERUN_IMAGES_DIR/busybox
  [[ -f $src/Dockerfile && -x /bin/busybox ]] || { die "missing $src/Dockerfile or /bin/busybox"; return 1; }
  { (cd "$src" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum); sha256sum </bin/busybox; } |
    sha256sum | cut -c1-16
}
_python_rootfs_key() {
  local custom=$CODERUN_IMAGES_DIR/python/customize-rootfs.sh
  [[ -f $custom ]] || { die "missing $custom"; return 1; }
  { echo "$CODERUN_PYTHON_SUITE minbase $CODERUN_PYTHON_INCLUDE"; cat "$custom"; } | sha256sum | cut -c1-12
}
_python_inputs() {
  # rootfs key + the docker import --change set (keep in sync with _build_python)
  { _python_rootfs_key; sed -n '/^_build_python()/,/^}/p' "${BASH_SOURCE[0]}" | grep -- '--change' | grep -v inputs; } |
    sha256sum | cut -c1-16
}

# Label org.coderun.inputs of REPO:TAG in the registry (empty if none).
_registry_inputs_label() {
  local repo=$1 tag=$2 base="http://$CODERUN_REGISTRY_ADDR/v2/$1" cfg
  cfg=$(curl -fsS -m 10 -H "Accept: $CODERUN_MANIFEST_V2" "$base/manifests/$tag" 2>/dev/null | jq -r '.config.digest // empty') || return 0
  [[ -n $cfg ]] || return 0
  curl -fsSL -m 10 "$base/blobs/$cfg" 2>/dev/null | jq -r '.config.Labels["org.coderun.inputs"] // empty' || true
}

_build_busybox() {
  local ref=$BUSYBOX_IMAGE:$BUSYBOX_TAG src=$CODERUN_IMAGES_DIR/busybox bb=/bin/busybox
  [[ -x $bb ]] || { die "$bb not found (package busybox-static)"; return 1; }
  [[ -f $src/Dockerfile ]] || { die "missing build context $src"; return 1; }
  local ctx; ctx=$(mktemp -d "$CODERUN_CACHE_DIR/busybox-ctx.XXXXXX")
  if ! { cp -a "$src/." "$ctx/" && cp "$bb" "$ctx/busybox"; }; then
    rm -rf "$ctx"; die "staging busybox context failed"; return 1
  fi
  local hash; hash=$(_busybox_inputs) || { rm -rf "$ctx"; return 1; }
  log "building $ref (context $src + $bb)"
  if ! docker build -q --label "org.coderun.inputs=$hash" \
        --label "org.coderun.busybox-version=$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null)" \
        -t "$ref" "$ctx" >>"$CODERUN_LOG_DIR/images.log" 2>&1; then
    rm -rf "$ctx"; _log_tail "$CODERUN_LOG_DIR/images.log" 20; die "docker build $ref failed"; return 1
  fi
  rm -rf "$ctx"
  _push "$ref"
}

# Unmount anything left mounted under DIR (e.g. by an interrupted debootstrap)
# and remove it without crossing filesystems.
_safe_rmtree() {
  local dir=$1 m
  [[ -n $dir && $dir != / && -d $dir ]] || return 0
  while read -r m; do
    if [[ -n $m ]]; then umount -l "$m" 2>/dev/null || true; fi
  done < <(awk -v d="$dir" '$2 == d || index($2, d "/") == 1 {print $2}' /proc/self/mounts | sort -r)
  rm -rf --one-file-system "$dir"
}

_python_rootfs_tar() {  # prints path of the cached rootfs tarball, building it if needed
  local suite=$CODERUN_PYTHON_SUITE include=$CODERUN_PYTHON_INCLUDE variant=minbase
  local custom=$CODERUN_IMAGES_DIR/python/customize-rootfs.sh
  local key; key=$(_python_rootfs_key) || return 1
  local tar=$CODERUN_CACHE_DIR/python-$suite-$variant-$key.tar
  if [[ -s $tar ]]; then
    log "using cached rootfs $tar"
    echo "$tar"; return 0
  fi
  command -v debootstrap >/dev/null || { die "debootstrap not found"; return 1; }
  local mirror; mirror=$(_debian_mirror "$suite") ||
    { die "no apt source for suite '$suite' in /etc/apt/sources.list{,.d}; set CODERUN_DEBIAN_MIRROR"; return 1; }
  local root=$CODERUN_CACHE_DIR/python-rootfs.tmp
  _safe_rmtree "$root"
  mkdir -p "$root"
  log "debootstrap --variant=$variant --include=$include $suite from $mirror (log: $CODERUN_LOG_DIR/debootstrap.log; ~1-2 min)"
  if ! debootstrap --variant="$variant" --include="$include" "$suite" "$root" "$mirror" \
        >>"$CODERUN_LOG_DIR/debootstrap.log" 2>&1; then
    _log_tail "$CODERUN_LOG_DIR/debootstrap.log" 20
    _safe_rmtree "$root"
    die "debootstrap failed (mirror $mirror)"; return 1
  fi
  # debootstrap unmounts what it mounted; make sure before tarring.
  if awk -v d="$root" 'index($2, d "/") == 1 {f=1} END {exit !f}' /proc/self/mounts; then
    _safe_rmtree "$root"; die "mounts left under $root after debootstrap"; return 1
  fi
  bash "$custom" "$root" >>"$CODERUN_LOG_DIR/debootstrap.log" 2>&1 ||
    { _log_tail "$CODERUN_LOG_DIR/debootstrap.log" 10; _safe_rmtree "$root"; die "customize-rootfs.sh failed"; return 1; }
  tar --numeric-owner --xattrs -C "$root" -cf "$tar.partial" . ||
    { rm -f "$tar.partial"; _safe_rmtree "$root"; die "tar of rootfs failed"; return 1; }
  mv -f "$tar.partial" "$tar"
  _safe_rmtree "$root"
  # drop rootfs tarballs of older inputs
  find "$CODERUN_CACHE_DIR" -maxdepth 1 -name "python-$suite-$variant-*.tar" ! -name "$(basename "$tar")" -delete
  echo "$tar"
}

_build_python() {
  local ref=$PYTHON_IMAGE:$PYTHON_TAG tar
  tar=$(_python_rootfs_tar) || return 1
  log "importing $tar as $ref"
  # shellcheck disable=SC2094 # reads the tarball, appends to the log: different files
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["/usr/bin/python3"]' \
    --change "LABEL org.coderun.rootfs=$(basename "$tar")" \
    --change "LABEL org.coderun.inputs=$(_python_inputs)" \
    - "$ref" <"$tar" >>"$CODERUN_LOG_DIR/images.log" 2>&1 ||
    { _log_tail "$CODERUN_LOG_DIR/images.log" 10; die "docker import $ref failed"; return 1; }
  _push "$ref"
}

# Writes $CODERUN_STATE_DIR/images.env and exports BUSYBOX_IMAGE/BUSYBOX_DIGEST/
# PYTHON_IMAGE/PYTHON_DIGEST. Requires ensure_docker + ensure_registry.
ensure_images() {
  _base_dirs
  _registry_up || { die "registry http://$CODERUN_REGISTRY_ADDR is not up (run ensure_registry)"; return 1; }
  _docker_up || { die "docker is not up (run ensure_docker)"; return 1; }
  local name repo tag img fn digest want have built=() reused=()
  for name in busybox python; do
    case $name in
      busybox) img=$BUSYBOX_IMAGE tag=$BUSYBOX_TAG fn=_build_busybox want=$(_busybox_inputs) ;;
      python)  img=$PYTHON_IMAGE  tag=$PYTHON_TAG  fn=_build_python  want=$(_python_inputs) ;;
    esac
    [[ -n $want ]] || return 1
    repo=${img#"$CODERUN_REGISTRY_ADDR"/}
    have=
    if [[ ${CODERUN_REBUILD_IMAGES:-0} != 1 ]] && digest=$(registry_digest "$repo" "$tag") &&
       have=$(_registry_inputs_label "$repo" "$tag") && [[ $have == "$want" ]]; then
      reused+=("$name")
    else
      if [[ -n ${digest:-} && ${CODERUN_REBUILD_IMAGES:-0} != 1 ]]; then
        log "$img:$tag in registry was built from other inputs (${have:-unlabelled} != $want); rebuilding"
      fi
      digest=
      "$fn" || return 1
      digest=$(registry_digest "$repo" "$tag") || { die "$img:$tag not in registry after push"; return 1; }
      built+=("$name")
    fi
    case $name in
      busybox) BUSYBOX_DIGEST=$digest ;;
      python)  PYTHON_DIGEST=$digest ;;
    esac
    log "$img:$tag = $digest"
  done
  export BUSYBOX_IMAGE BUSYBOX_DIGEST PYTHON_IMAGE PYTHON_DIGEST

  local envf=$CODERUN_STATE_DIR/images.env tmp
  tmp=$(mktemp "$envf.XXXXXX")
  printf 'BUSYBOX_IMAGE=%s\nBUSYBOX_DIGEST=%s\nPYTHON_IMAGE=%s\nPYTHON_DIGEST=%s\n' \
    "$BUSYBOX_IMAGE" "$BUSYBOX_DIGEST" "$PYTHON_IMAGE" "$PYTHON_DIGEST" >"$tmp"
  mv -f "$tmp" "$envf"

  # Smoke test exactly the way the runner will use them.
  _image_verify "$BUSYBOX_IMAGE@$BUSYBOX_DIGEST" $'hi\n/' sh -c 'echo hi; pwd' || return 1
  _image_verify "$PYTHON_IMAGE@$PYTHON_DIGEST" '2' python3 -c 'print(1+1)' || return 1

  local what=""
  ((${#built[@]})) && what+="built+pushed ${built[*]}; "
  ((${#reused[@]})) && what+="reused ${reused[*]}; "
  _summary "images: ${what}verified; digests in $envf"
  _summary "  BUSYBOX=$BUSYBOX_IMAGE@$BUSYBOX_DIGEST"
  _summary "  PYTHON=$PYTHON_IMAGE@$PYTHON_DIGEST"
}
