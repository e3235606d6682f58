#!/usr/bin/env bash
# Where one partition's produce time goes, read from the node's own histograms: a fresh
# `./cohort run` node, one topic of 1 partition, Kafka's ProducerPerformance (a warm-up run, then
# the measured one, acks=all), and /metrics scraped around the measured run:
# cohort_log_produce_seconds (the partition entity from taking a produce to its journal write
# completing) and cohort_journal_commit_seconds (the journal's write with its fdatasync).
# Prints one line: bench=kafka-produce-profile records_per_s=… batches=… append_busy=… …
# where append_busy is the summed append time over the producer's own elapsed time (records ÷
# its records/s; 1.0 = the partition was appending all the time, one request after another).
#
#   usage: bench/kafka/produce-profile.sh [RECORDS]   (default 300000; needs ../shared/bench/kafka/setup.sh's jars)
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RECORDS=${1:-300000}
LIB=${KAFKA_LIB:-${KAFKA_ANCHOR_HOME:-/tmp/kafka-anchor}/lib/4.4.0}
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
HTTP_PORT=${HTTP_PORT:-18480}
KAFKA_PORT=${KAFKA_PORT:-19192}
DATA=$(mktemp -d /tmp/cohort-produce-profile.XXXXXX)
export COHORT_JAVA_OPTS="${COHORT_JAVA_OPTS:--Xms1g -Xmx1g}"

"$ROOT/cohort" run --data-dir "$DATA" --http-port "$HTTP_PORT" --remote-port 0 \
  --kafka-port "$KAFKA_PORT" --etcd-port 0 >"$DATA.log" 2>&1 &
NODE_PID=$!
trap 'kill $NODE_PID 2>/dev/null; wait $NODE_PID 2>/dev/null; rm -rf "$DATA" "$DATA.log"' EXIT
for _ in $(seq 1 180); do
  curl -sf "http://127.0.0.1:$HTTP_PORT/health/ready" >/dev/null && break
  kill -0 $NODE_PID 2>/dev/null || { echo "cohort node exited; see $DATA.log" >&2; exit 1; }
  sleep 1
done

kjava() { "$JAVA" -Xmx512m -cp "$LIB/*" "$@"; }
produce() {
  kjava org.apache.kafka.tools.ProducerPerformance --bootstrap-server "127.0.0.1:$KAFKA_PORT" \
    --topic profile --num-records "$1" --record-size 100 --throughput -1 \
    --command-property acks=all linger.ms=5 | tail -1
}
# sum and count of the two histograms, as "name value" lines
scrape() {
  curl -s "http://127.0.0.1:$HTTP_PORT/metrics" |
    grep -E '^cohort_(log_produce|journal_commit)_seconds_(sum|count) '
}

kjava org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" \
  --create --topic profile --partitions 1 >/dev/null
produce $((RECORDS / 3)) >/dev/null
before=$(scrape)
summary=$(produce "$RECORDS")
after=$(scrape)

awk -v before="$before" -v after="$after" -v summary="$summary" -v records="$RECORDS" 'BEGIN {
  n = split(before, b, "\n"); for (i = 1; i <= n; i++) { split(b[i], f, " "); v0[f[1]] = f[2] }
  n = split(after, a, "\n"); for (i = 1; i <= n; i++) { split(a[i], f, " "); v1[f[1]] = f[2] }
  batches = v1["cohort_log_produce_seconds_count"] - v0["cohort_log_produce_seconds_count"]
  append = v1["cohort_log_produce_seconds_sum"] - v0["cohort_log_produce_seconds_sum"]
  commits = v1["cohort_journal_commit_seconds_count"] - v0["cohort_journal_commit_seconds_count"]
  commit = v1["cohort_journal_commit_seconds_sum"] - v0["cohort_journal_commit_seconds_sum"]
  split(summary, s, " "); rps = s[4]; elapsed = records / rps
  printf "bench=kafka-produce-profile records=%d records_per_s=%.0f batches=%d records_per_batch=%.0f append_busy=%.2f append_ms=%.2f commits=%d commit_ms=%.2f elapsed_s=%.2f\n",
    records, rps, batches, records / batches, append / elapsed, 1000 * append / batches, commits,
    1000 * commit / commits, elapsed
}'
