#!/usr/bin/env bash
# Checks the nccl backend on this machine; prints one line per check and "gpu-check: PASS|FAIL".
#
# With an NVIDIA GPU: 1-rank allreduce on device buffers (verified), 2 ranks on one GPU where
# NCCL >= 2.30 allows it (NCCL_MULTI_RANK_GPU_ENABLE=1, set below), algbw/busbw lines
#   bench=nccl_allreduce ranks=N bytes=B time_us=T algbw_gbps=A busbw_gbps=B
# for 1 MB .. 1 GB, a short 2-rank DataParallelTrainer run on nccl communicators, and a short
# training job on the nccl backend through the coordinator and worker actors (the real worker path),
# then the cublas compute: agreement with the java reference, and the reference model (SimpleModel,
# Adam, batch 32) as a job on cublas + nccl, reporting
#   bench=training_job model=simple compute=cublas backend=nccl ranks=N batch=32 steps=S samples_per_s=X
# Without a GPU: the CPU-side checks (libcudart and libnccl.so.2 load, NCCL version, unique id,
# backend choice, a job asking for nccl through a worker pool ends FAILED naming why), then
# "GPU checks SKIPPED: <reason>". Logs: warnings and errors only, on stderr (gpu-check-logback.xml).
#
# Environment: COHORT_JAVA_HOME / JAVA_HOME (a JDK 25), COHORT_NCCL_LIBRARY (libnccl.so.2 or its
# directory; otherwise the usual places, see README.md, then `pip download` into target/nccl),
# COHORT_CUBLAS_LIBRARY (libcublas.so.13 or its directory; otherwise the usual places, then
# `pip download nvidia-cublas==13.1.1.3` into target/cublas).
# Finishes within 5 minutes: the build is bounded by Maven, the checks by `timeout`.
set -euo pipefail

MODULE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$MODULE_DIR/.." && pwd)

JDK=${COHORT_JAVA_HOME:-${JAVA_HOME:-}}
if [[ -z $JDK || ! -x $JDK/bin/java ]] || ! "$JDK/bin/java" -version 2>&1 | grep -q '"2[5-9]'; then
  JDK=$(ls -d /usr/lib/jvm/*25* 2>/dev/null | head -1 || true)
fi
if [[ -z $JDK || ! -x $JDK/bin/java ]]; then
  echo "gpu-check: no JDK 25 found: install Temurin 25 (e.g. /usr/lib/jvm/temurin-25-jdk-amd64) or set COHORT_JAVA_HOME" >&2
  exit 2
fi
export JAVA_HOME=$JDK
export PATH=$JDK/bin:$PATH

cd "$ROOT"
# Package in one reactor run and take the classpath from the same run, so that sibling modules
# resolve to their fresh target/ jars and nothing is installed into ~/.m2 (shared with others).
# Offline first (a warm ~/.m2), online if something is missing. GPU_CHECK_SKIP_BUILD=1 reuses a
# previous build.
CP_FILE=training-actors/target/gpu-check.classpath
build() {
  mvn -q "$@" -DskipTests package dependency:build-classpath -Dmdep.outputFile=target/gpu-check.classpath \
    -pl training-actors -am >/dev/null
}
if [[ ${GPU_CHECK_SKIP_BUILD:-} != 1 || ! -f $CP_FILE ]]; then
  if ! build -o; then
    build
  fi
fi

NCCL_PROP=()
if [[ -n ${COHORT_NCCL_LIBRARY:-} ]]; then
  NCCL_PROP=("-Dcohort.training.nccl.library-path=$COHORT_NCCL_LIBRARY")
else
  have_nccl=""
  for d in ${LD_LIBRARY_PATH:+${LD_LIBRARY_PATH//:/ }} ${CUDA_HOME:+$CUDA_HOME/lib64} /usr/local/cuda/lib64 /usr/local/cuda-*/lib64 \
           /usr/lib/x86_64-linux-gnu /usr/lib64; do
    [[ -f $d/libnccl.so.2 ]] && have_nccl=$d && break
  done
  if [[ -z $have_nccl ]] && command -v python3 >/dev/null; then
    have_nccl=$(python3 -c 'import nvidia.nccl, os; print(os.path.join(list(nvidia.nccl.__path__)[0], "lib"))' 2>/dev/null || true)
    [[ -n $have_nccl && ! -f $have_nccl/libnccl.so.2 ]] && have_nccl=""
  fi
  LOCAL=training-actors/target/nccl/libnccl.so.2
  if [[ -z $have_nccl && ! -f $LOCAL ]] && command -v pip >/dev/null; then
    echo "gpu-check: libnccl.so.2 not found; fetching nvidia-nccl-cu13==2.30.7 with pip" >&2
    mkdir -p training-actors/target/nccl-wheel training-actors/target/nccl
    if timeout 120 pip download nvidia-nccl-cu13==2.30.7 --no-deps -q --retries 0 -d training-actors/target/nccl-wheel >&2; then
      unzip -o -q -j training-actors/target/nccl-wheel/nvidia_nccl_cu13-*.whl 'nvidia/nccl/lib/libnccl.so.2' -d training-actors/target/nccl
      rm -f training-actors/target/nccl-wheel/*.whl
    fi
  fi
  if [[ -z $have_nccl && -f $LOCAL ]]; then
    NCCL_PROP=("-Dcohort.training.nccl.library-path=$ROOT/$LOCAL")
  fi
fi

CUBLAS_PROP=()
if [[ -n ${COHORT_CUBLAS_LIBRARY:-} ]]; then
  CUBLAS_PROP=("-Dcohort.training.cublas.library-path=$COHORT_CUBLAS_LIBRARY")
else
  have_cublas=""
  for d in ${LD_LIBRARY_PATH:+${LD_LIBRARY_PATH//:/ }} ${CUDA_HOME:+$CUDA_HOME/lib64} /usr/local/cuda/lib64 /usr/local/cuda-*/lib64 \
           /usr/lib/x86_64-linux-gnu /usr/lib64; do
    [[ -f $d/libcublas.so.13 || -f $d/libcublas.so.12 ]] && have_cublas=$d && break
  done
  if [[ -z $have_cublas ]] && command -v python3 >/dev/null; then
    have_cublas=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null || true)
    [[ -n $have_cublas && ! -d $have_cublas ]] && have_cublas=""
  fi
  LOCAL_CUBLAS=training-actors/target/cublas/libcublas.so.13
  if [[ -z $have_cublas && ! -f $LOCAL_CUBLAS ]] && command -v pip >/dev/null; then
    echo "gpu-check: libcublas not found; fetching nvidia-cublas==13.1.1.3 with pip" >&2
    mkdir -p training-actors/target/cublas-wheel training-actors/target/cublas
    if timeout 180 pip download nvidia-cublas==13.1.1.3 --no-deps -q --retries 0 -d training-actors/target/cublas-wheel >&2; then
      unzip -o -q -j training-actors/target/cublas-wheel/nvidia_cublas-*.whl \
        'nvidia/cu*/lib/libcublas.so.*' 'nvidia/cu*/lib/libcublasLt.so.*' 'nvidia/cublas/lib/libcublas.so.*' \
        'nvidia/cublas/lib/libcublasLt.so.*' -d training-actors/target/cublas 2>/dev/null || true
      rm -f training-actors/target/cublas-wheel/*.whl
    fi
  fi
  if [[ -z $have_cublas && -f $LOCAL_CUBLAS ]]; then
    CUBLAS_PROP=("-Dcohort.training.cublas.library-path=$ROOT/$LOCAL_CUBLAS")
  fi
fi

# Two ranks of one communicator on one GPU are refused unless NCCL >= 2.30 and this is set.
export NCCL_MULTI_RANK_GPU_ENABLE=1
exec timeout 270 java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow --add-modules jdk.incubator.vector -Xmx4g \
  -Dlogback.configurationFile="$MODULE_DIR/gpu-check-logback.xml" "${NCCL_PROP[@]}" "${CUBLAS_PROP[@]}" -Dcohort.training.collective.timeout=60s -Dcohort.training.nccl.poll-interval=50us \
  -cp "training-actors/target/classes:$(cat "$CP_FILE")" dev.cohort.training.collective.GpuCheck
