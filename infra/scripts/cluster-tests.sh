#!/usr/bin/env bash
# The fleet's container tests (module cluster-tests, Maven profile `cluster`): builds or reuses the images, then runs
# the *ClusterIT classes against the local engine. Needs the base services (infra/scripts/base-services.sh).
#
# usage: sudo bash infra/scripts/cluster-tests.sh [-Dit.test='FleetScenariosClusterIT#aWorkerCutOff*']
#        (CODERUN_MVN_OFFLINE=1: -o; CODERUN_FLEET_ENV: the images file fleet-images.sh writes and the tests read)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
bash "$root/infra/scripts/fleet-images.sh" >&2
cd "$root"
# Only this module's tests: -Dtest=none and -Dit.test keep the modules built with -am from running theirs.
./mvnw -B ${CODERUN_MVN_OFFLINE:+-o} -Pcluster -pl cluster-tests -am verify -Dtest=none -Dit.test='*ClusterIT' \
  -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false "$@"
