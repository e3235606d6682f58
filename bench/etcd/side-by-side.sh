#!/usr/bin/env bash
# The etcd anchor's load generator (../shared/bench/etcd/loadgen) against Cohort's etcd listener
# and, in the same run, against etcd 3.4.23 (the anchor's perf.sh), with the same clients (raw
# grpc-java stubs and jetcd) on the same machine. One line per measurement:
#   bench=etcd-side-by-side server=cohort|etcd op=<op> c=<clients> client=<grpc|jetcd> ops_per_s=.. p50_ms=.. p99_ms=..
#        ... loadgen_cores=.. server_cores=.. other_cores=..   (other_cores well above 0: a neighbour was busy)
# usage: bench/etcd/side-by-side.sh [--kinds grpc,jetcd] [--no-etcd]
# env:   DURATION (3 s per measurement), WARMUP (1 s), CLIENTS (1,16,64), CONNS (4),
#        OPS (put,get-lin,get-ser,txn,txn-hot,watch,lease), ETCD_ANCHOR (../shared/bench/etcd),
#        COHORT_EXTRA_OPTS (more JVM options for the node, e.g. -Dcohort.kv.batch.max-in-flight=1)
# Cohort runs one node (./cohort run, default file journal, fsync on) on free loopback ports; etcd
# runs with fsync on (perf.sh --modes fsync). Both are fresh for every client kind.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
ANCHOR="${ETCD_ANCHOR:-$ROOT/../shared/bench/etcd}"
[ -d "$ANCHOR" ] || ANCHOR=/work/shared/bench/etcd
KINDS=grpc,jetcd; WITH_ETCD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --kinds) KINDS="$2"; shift ;;
    --no-etcd) WITH_ETCD=0 ;;
    *) echo "usage: $0 [--kinds grpc,jetcd] [--no-etcd]" >&2; exit 2 ;;
  esac
  shift
done
DURATION="${DURATION:-3}"; WARMUP="${WARMUP:-1}"; CLIENTS="${CLIENTS:-1,16,64}"; CONNS="${CONNS:-4}"
OPS="${OPS:-put,get-lin,get-ser,txn,txn-hot,watch,lease}"
"$ANCHOR/setup.sh" >&2
. "$ANCHOR/common.sh"
HZ=$(getconf CLK_TCK)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

NODE_PID=""; DATA=""
stop_node() {
  if [ -n "$NODE_PID" ] && kill -0 "$NODE_PID" 2>/dev/null; then
    kill -TERM "$NODE_PID"; wait "$NODE_PID" 2>/dev/null || true
  fi
  NODE_PID=""
  [ -n "$DATA" ] && rm -rf "$DATA"
  DATA=""
}
trap stop_node EXIT INT TERM

echo "bench=etcd-side-by-side env date=$(date -u +%Y-%m-%dT%H:%M:%SZ) cpus=$(nproc) host=$(hostname)"
IFS=, read -ra _kinds <<<"$KINDS"
for kind in "${_kinds[@]}"; do
  DATA=$(mktemp -d /tmp/cohort-etcd-bench.XXXXXX)
  ETCD_PORT=$(free_port); HTTP_PORT=$(free_port); REMOTE_PORT=$(free_port)
  COHORT_JAVA_OPTS="-Xms1g -Xmx2g ${COHORT_EXTRA_OPTS:-}" "$ROOT/cohort" run --data-dir "$DATA/node" --http-port "$HTTP_PORT" \
    --etcd-port "$ETCD_PORT" --remote-port "$REMOTE_PORT" >"$DATA/node.log" 2>&1 &
  NODE_PID=$!
  for _ in $(seq 1 180); do
    ETCDCTL_API=3 timeout 5 etcdctl --endpoints="127.0.0.1:$ETCD_PORT" --dial-timeout=1s endpoint health \
      >/dev/null 2>&1 && break
    kill -0 "$NODE_PID" 2>/dev/null || { echo "cohort node exited:" >&2; tail -20 "$DATA/node.log" >&2; exit 1; }
    sleep 1
  done
  timeout -k 10 900 java -Xms512m -Xmx1g -jar "$LOADGEN_JAR" --endpoint "http://127.0.0.1:$ETCD_PORT" \
      --client "$kind" --ops "$OPS" --clients "$CLIENTS" --conns "$CONNS" --duration "$DURATION" \
      --warmup "$WARMUP" --server-pid "$NODE_PID" --clk-tck "$HZ" --no-metrics \
      2>"$DATA/loadgen.err" | sed -u 's/^etcd \([a-z-]*\) /bench=etcd-side-by-side server=cohort op=\1 /' \
    || { echo "loadgen failed against cohort ($kind):" >&2; tail -5 "$DATA/loadgen.err" >&2; }
  stop_node
done

if [ "$WITH_ETCD" = 1 ]; then
  DURATION="$DURATION" WARMUP="$WARMUP" CLIENTS="$CLIENTS" CONNS="$CONNS" OPS="$OPS" \
    "$ANCHOR/perf.sh" --modes fsync --kinds "$KINDS" --no-checkperf \
    | sed -u 's/^etcd \([a-z_-]*\) /bench=etcd-side-by-side server=etcd op=\1 /'
fi
