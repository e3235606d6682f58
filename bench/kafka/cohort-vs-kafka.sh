#!/usr/bin/env bash
# Kafka's own perf tools against Cohort's Kafka listener and against Kafka 4.4.0, in one run, on
# this machine: the shared anchor workload (../shared/bench/kafka/perf.sh, or $PERF_SH) first
# against a fresh `./cohort run` node (BROKER_PID = the node's JVM, so CPU and RSS are its own),
# then against a Kafka broker that perf.sh starts and stops itself. One line per measurement on
# stdout, prefixed "cohort" or "kafka"; perf.sh's knobs (REPEATS, N_SMALL, …) apply to both.
#
#   usage: bench/kafka/cohort-vs-kafka.sh [COHORT_PORT] [KAFKA_PORT]   (defaults 19192, 19092)
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PERF_SH=${PERF_SH:-$ROOT/../shared/bench/kafka/perf.sh}
COHORT_PORT=${1:-19192}
KAFKA_PORT=${2:-19092}
DATA=$(mktemp -d /tmp/cohort-kafka-bench.XXXXXX)
NODE_LOG=$DATA.log
export COHORT_JAVA_OPTS="${COHORT_JAVA_OPTS:--Xms1g -Xmx1g}"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

"$ROOT/cohort" run --data-dir "$DATA" \
  --http-port 0 --remote-port 0 --kafka-port "$COHORT_PORT" >"$NODE_LOG" 2>&1 &
NODE_PID=$!
trap 'kill $NODE_PID 2>/dev/null; wait $NODE_PID 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 1 180); do
  port_open "$COHORT_PORT" && break
  kill -0 $NODE_PID 2>/dev/null || { echo "cohort node exited; see $NODE_LOG" >&2; exit 1; }
  sleep 1
done
port_open "$COHORT_PORT" || { echo "cohort node did not listen on $COHORT_PORT" >&2; exit 1; }

echo "# cohort node pid $NODE_PID (./cohort run, $COHORT_JAVA_OPTS), log $NODE_LOG" >&2
BROKER_PID=$NODE_PID bash "$PERF_SH" "$COHORT_PORT" | sed 's/^kafka /cohort /'
kill $NODE_PID; wait $NODE_PID 2>/dev/null

bash "$PERF_SH" "$KAFKA_PORT"
