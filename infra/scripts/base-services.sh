#!/usr/bin/env bash
# Bring up (idempotently) the base services coderun needs on a Debian 12 box:
#   1. Debian packages (docker.io, docker-registry, postgresql, debootstrap, ...)
#   2. Docker engine (dockerd started directly; no systemd needed)
#   3. local OCI registry on 127.0.0.1:5000 (Debian's docker-registry)
#   4. PostgreSQL 15/main on 127.0.0.1:5432 with role/db coderun
#   5. base runtime images coderun/busybox:latest and coderun/python:3.11,
#      pushed to the local registry; digests written to $STATE/images.env
#
# A second run reuses everything and takes a few seconds.
# State: ${CODERUN_STATE_DIR:-$HOME/.coderun} (logs/, run/, cache/, registry/).
# See infra/scripts/lib/base.sh for the functions and tunables.
#
# usage: sudo bash infra/scripts/base-services.sh
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=./lib/base.sh source-path=SCRIPTDIR
source "$here/lib/base.sh"

_require_root
_base_dirs

# Serialize concurrent invocations (e.g. two CI jobs on one box).
base_lock

start=$(date +%s.%N)
ensure_packages
ensure_docker
ensure_registry
ensure_postgres
ensure_images
end=$(date +%s.%N)

base_summary
awk -v a="$start" -v b="$end" -v s="$CODERUN_STATE_DIR" 'BEGIN { printf "  done in %.1fs (state: %s)\n", b - a, s }'
