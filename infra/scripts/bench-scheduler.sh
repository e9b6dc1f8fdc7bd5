#!/usr/bin/env bash
# Scheduler decision throughput on a real (in-process) broker at queue depth 10 and 10,000: each round is one
# RunFinished (frees a slot, dispatches the queue's head) and one SubmitRun (appends to the queue). Prints one
# "BENCH scheduler ..." line per depth. Usage: bash infra/scripts/bench-scheduler.sh [rounds, default 5000] [depths,
# default 10,10000; each on a fresh broker and scheduler, in that order]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
./mvnw -B -q -pl common-events,observability,infra install -DskipTests
./mvnw -B -pl scheduler test -Dtest=SchedulerThroughputBenchmark -Dbench.rounds="${1:-5000}" -Dbench.depths="${2:-10,10000}" \
  -Dsurefire.failIfNoSpecifiedTests=false | grep '^BENCH' || { echo "benchmark failed; see scheduler/target/surefire-reports" >&2; exit 1; }
