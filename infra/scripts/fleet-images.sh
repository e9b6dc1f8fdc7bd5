#!/usr/bin/env bash
# Build (idempotently) the fleet's container images: the gateway, scheduler, worker and infra tools, and an
# apache/kafka-compatible broker, all on a Debian minbase + jlink'ed Temurin 25 base. Needs the Docker engine of
# infra/scripts/base-services.sh and the apt mirror (debootstrap, first run only). A run whose inputs did not change
# reuses every image and only hashes the jars. Tags and what they hash: infra/scripts/lib/fleet.sh.
#
# usage: sudo bash infra/scripts/fleet-images.sh     (CODERUN_FLEET_PUSH=1 also pushes to the local registry)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=./lib/base.sh source-path=SCRIPTDIR
source "$here/lib/base.sh"
# shellcheck source=./lib/fleet.sh source-path=SCRIPTDIR
source "$here/lib/fleet.sh"

_require_root
_base_dirs
exec 8>"$CODERUN_RUN_DIR/fleet-images.flock"
flock -w 900 8 || die "timed out waiting for $CODERUN_RUN_DIR/fleet-images.flock"

start=$(date +%s.%N)
ensure_fleet_images
end=$(date +%s.%N)
base_summary
awk -v a="$start" -v b="$end" 'BEGIN { printf "  done in %.1fs\n", b - a }'
