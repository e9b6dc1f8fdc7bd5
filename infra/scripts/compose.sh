#!/usr/bin/env bash
# coderun under Debian's docker-compose (1.29): builds or reuses the images (fleet-images.sh), exports what
# infra/compose/docker-compose.yml reads, and passes the rest of the command line to docker-compose:
#
#   sudo infra/scripts/compose.sh up -d      # 3 brokers, topics, scheduler, gateway, 2 workers
#   sudo infra/scripts/compose.sh ps | logs -f worker-1 | stop worker-2 | down [-v]
#
# The gateway accepts the tokens of `bin/coderun token` (same CODERUN_STATE_DIR): both use $STATE/jwt-secret, and the
# gateway and workers share $STATE/secrets-keys. Base services (Docker, registry, PostgreSQL) must be up
# (infra/scripts/base-services.sh). Environment: CODERUN_STATE_DIR, CODERUN_GATEWAY_PORT (8080),
# CODERUN_COMPOSE_KAFKA_PORT_{1,2,3} (19092..19094), CODERUN_COMPOSE_PROJECT (coderun), CODERUN_SANDBOX_DIR
# (/var/lib/coderun/sandbox-$CODERUN_COMPOSE_PROJECT: the workers' hosts file for runs without a network).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
state=${CODERUN_STATE_DIR:-${HOME:-/root}/.coderun}
command -v docker-compose >/dev/null ||
  { echo "[compose] docker-compose not found: apt-get install docker-compose" >&2; exit 1; }

if [[ ${1:-} == up || ${1:-} == create || ${1:-} == run ]]; then
  CODERUN_STATE_DIR=$state bash "$here/fleet-images.sh" >&2
fi
[[ -s $state/fleet-images.env ]] || CODERUN_STATE_DIR=$state bash "$here/fleet-images.sh" >&2
set -a
# shellcheck disable=SC1091
source "$state/fleet-images.env"
set +a
mkdir -p "$state"
# Made the way bin/coderun makes them, so its tokens work against this gateway.
[[ -s $state/jwt-secret ]] || (umask 077; openssl rand -hex 32 >"$state/jwt-secret")
[[ -s $state/secrets-keys ]] || (umask 077; printf 'k1:%s\n' "$(openssl rand -base64 32)" >"$state/secrets-keys")
CODERUN_JWT_SECRET=$(cat "$state/jwt-secret")
CODERUN_SECRETS_KEYS=$(cat "$state/secrets-keys")
CODERUN_DOCKER_GID=$(stat -c %g /var/run/docker.sock)
CODERUN_COMPOSE_PROJECT=${CODERUN_COMPOSE_PROJECT:-coderun}
# The workers (uid 10001 in their image) write the hosts file of runs without a network here; the engine binds it.
CODERUN_SANDBOX_DIR=${CODERUN_SANDBOX_DIR:-/var/lib/coderun/sandbox-$CODERUN_COMPOSE_PROJECT}
install -d -o 10001 -g 10001 -m 755 "$CODERUN_SANDBOX_DIR"
export CODERUN_JWT_SECRET CODERUN_SECRETS_KEYS CODERUN_DOCKER_GID CODERUN_COMPOSE_PROJECT CODERUN_SANDBOX_DIR
exec docker-compose -p "$CODERUN_COMPOSE_PROJECT" -f "$root/infra/compose/docker-compose.yml" "$@"
