#!/usr/bin/env bash
# Tracing overhead, interleaved: kv put over HTTP and log produce over HTTP with tracing off, at
# sampler ratio 1.0 and at 0.01, each run a fresh node; the order of the three settings rotates per
# round so that drift in the machine's load does not favour one. One bench= line per run (from
# ./cohort bench), each preceded by a comment with the round, setting, time and load average.
#
#   usage: bench/tracing-overhead.sh [ROUNDS]   (default 3; about 5 minutes a round)
# env: SECONDS_PER_RUN (10), WARMUP (10), CLIENTS (16)
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROUNDS=${1:-3}
RUN_SECONDS=${SECONDS_PER_RUN:-10}
WARMUP=${WARMUP:-10}
CLIENTS=${CLIENTS:-16}
ORDERS=("off 1.0 0.01" "1.0 0.01 off" "0.01 off 1.0")

for round in $(seq 1 "$ROUNDS"); do
  for setting in ${ORDERS[$(((round - 1) % 3))]}; do
    echo "# round=$round tracing=$setting $(date -u +%H:%M:%S) load=$(cut -d' ' -f1-3 /proc/loadavg)"
    "$ROOT/cohort" bench kv-http ops=put clients="$CLIENTS" seconds="$RUN_SECONDS" \
      warmup="$WARMUP" tracing="$setting" 2>/dev/null | grep '^bench='
    echo "# round=$round tracing=$setting $(date -u +%H:%M:%S) load=$(cut -d' ' -f1-3 /proc/loadavg)"
    "$ROOT/cohort" bench log via=http clients="$CLIENTS" batch=100 seconds="$RUN_SECONDS" \
      warmup="$WARMUP" tracing="$setting" 2>/dev/null | grep '^bench='
  done
done
