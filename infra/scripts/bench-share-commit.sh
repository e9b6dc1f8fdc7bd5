#!/usr/bin/env bash
# The dispatch hop alone, on an in-process broker: transactional produce of one dispatch -> the worker's share-consumer
# settings poll it -> ACCEPT -> commitSync, for each fetch.max.wait.ms given; prints p50/p95/p99 of each step
# (worker/src/test/java/dev/coderun/worker/dispatch/ShareCommitBench.java). usage: bench-share-commit.sh [N] [WAITS]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
N=${1:-50}
WAITS=${2:-500,50,10}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
cd "$ROOT"
CP_FILE=$(mktemp)
trap 'rm -f "$CP_FILE"' EXIT
./mvnw -B -o -q test-compile dependency:build-classpath -pl worker -am -Dmdep.outputFile="$CP_FILE" -Dmdep.includeScope=test
"$JAVA_HOME/bin/java" -cp "worker/target/test-classes:worker/target/classes:$(cat "$CP_FILE")" \
  -Dlogback.configurationFile=worker/src/test/resources/logback-test.xml \
  dev.coderun.worker.dispatch.ShareCommitBench "$N" "$WAITS"
