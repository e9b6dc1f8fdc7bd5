#!/usr/bin/env bash
# Cold against warm starts of the worker's ContainerLauncher, without the stack: N sequential `echo hi` runs of the
# local registry's busybox image each way; prints p50/p95 of call -> running, -> first output byte, -> end told
# (where the worker reports the run), -> return (container removed)
# (worker/src/test/java/dev/coderun/worker/sandbox/PoolBench.java says what each figure is).
# Needs the Docker engine and the local registry (127.0.0.1:5000). usage: bash infra/scripts/bench-pool.sh [N [HOSTS_FILE]]
# (with HOSTS_FILE the containers get the engine's networking off and that file as /etc/hosts, as bin/coderun's worker)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
N=${1:-30}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
cd "$ROOT"
CP_FILE=$(mktemp)
trap 'rm -f "$CP_FILE"' EXIT
./mvnw -B -q test-compile dependency:build-classpath -pl worker -am -Dmdep.outputFile="$CP_FILE" \
  -Dmdep.includeScope=test
"$JAVA_HOME/bin/java" -cp "worker/target/test-classes:worker/target/classes:$(cat "$CP_FILE")" \
  -Dlogback.configurationFile=worker/src/test/resources/logback-test.xml \
  dev.coderun.worker.sandbox.PoolBench "$N" ${2:+"$2"}
