#!/usr/bin/env bash
# Every CUDA test and GPU benchmark of the suite, in one prepared run (< 5 min on one H200), results under
# "${OUT:-.gpu-results}":
#   pytest-cuda-tests.txt, cuda-tests.xml   every test marked `cuda` (tests/, benchmarks excluded): GD, SGD,
#                                           top-k on CUDA and tests/gpu/test_cuda_training.py
#   pytest-benchmarks.txt, benchmarks.json  tests/benchmarks/test_bench_training.py (pair sampler at 50k + 50k,
#                                           V = 10,000, d = 200, CPU and CUDA; entry sampler on CPU) and the
#                                           CUDA variants of tests/benchmarks/test_bench_simulators.py
#   paper_preset_float32.json, paper_preset_float64.json
#                                           the paper preset at V = 10,000, d = 200: wall time, steps/s, pairs/s
#   summary.txt                             passed / skipped / failed per stage
# Without a CUDA device every CUDA test and benchmark skips (conftest.py) and the script exits 0.
# Needs python3 with torch, numpy, scipy, sympy, hypothesis, pytest, pytest-benchmark, matplotlib, tqdm, numba
# (no network, gensim or dask). PYTHON overrides the interpreter.
#
#   tests/gpu/run.sh                       # from anywhere; results in <repo>/.gpu-results
#   OUT=/tmp/gpu tests/gpu/run.sh          # or anywhere else (a relative OUT: from the calling directory)
set -u
# A relative OUT is taken from where the script was called; the default lies in the repository root.
if [ -n "${OUT:-}" ] && [ "${OUT#/}" = "$OUT" ]; then OUT="$PWD/$OUT"; fi
cd "$(dirname "$0")/../.." || exit 2
PYTHON="${PYTHON:-python3}"
export OUT="${OUT:-$PWD/.gpu-results}"
mkdir -p "$OUT" || exit 2
export PYTHONPATH=".${PYTHONPATH:+:$PYTHONPATH}"
export CI=true W2V_HYPOTHESIS_PROFILE=ci MPLBACKEND=Agg
# BLAS for the host-side numpy work (records' SVDs, eigensolves of small problems): every core of the machine.
# conftest.py keeps torch's CPU ops on one thread, so the CPU benchmark rows are single-threaded.
threads="$(nproc 2>/dev/null || echo 1)"
export OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads"

have_cuda="$("$PYTHON" -c 'import torch; print(int(torch.cuda.is_available()))' 2>/dev/null)"
if [ -z "$have_cuda" ]; then
    echo "tests/gpu/run.sh: $PYTHON cannot import torch" >&2
    exit 2
fi
"$PYTHON" - > "$OUT/environment.txt" 2>&1 <<'EOF'
import platform, torch
print("python", platform.python_version(), "| torch", torch.__version__, "| cuda", torch.version.cuda)
print("devices:", [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] or "none")
EOF
cat "$OUT/environment.txt"

status=0
run_stage() {  # name, limit (s), pytest arguments...
    local name="$1" limit="$2"
    shift 2
    echo "== $name (limit ${limit} s)"
    # SIGINT first, so that pytest still writes its report, junit XML and benchmark JSON.
    timeout -s INT -k 15 "$limit" "$PYTHON" -m pytest "$@" -p no:cacheprovider 2>&1 | tee "$OUT/pytest-$name.txt"
    local rc="${PIPESTATUS[0]}"
    # 5: nothing collected (not a failure here).
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 5 ]; then
        echo "== $name: pytest exit status $rc" | tee -a "$OUT/pytest-$name.txt"
        status=1
    fi
}

run_stage cuda-tests 200 tests -m cuda --ignore=tests/benchmarks --benchmark-skip -v -s -rs \
    --junitxml="$OUT/cuda-tests.xml"
# The training benchmark's CPU rows run only beside its CUDA rows (a same-machine comparison); without CUDA all skip.
if [ "$have_cuda" = 1 ]; then marks="cuda or not cuda"; else marks="cuda"; fi
run_stage benchmarks 120 tests/benchmarks/test_bench_training.py tests/benchmarks/test_bench_simulators.py \
    -m "$marks" -k "training or cuda" --benchmark-only --benchmark-json="$OUT/benchmarks.json" -v -rs \
    --junitxml="$OUT/benchmarks.xml"

"$PYTHON" - "$OUT" "$have_cuda" <<'EOF' | tee "$OUT/summary.txt"
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

out, have_cuda = Path(sys.argv[1]), sys.argv[2] == "1"
ran = 0
for stage in ("cuda-tests", "benchmarks"):
    path = out / f"{stage}.xml"
    if not path.is_file():
        print(f"{stage}: no report (interrupted?)")
        continue
    suite = ET.parse(path).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    total, skipped = int(suite.get("tests", 0)), int(suite.get("skipped", 0))
    failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
    ran += total - skipped
    print(f"{stage}: {total} collected, {total - skipped - failed} passed, {skipped} skipped, {failed} failed")
results = sorted(p.name for p in out.glob("paper_preset_*.json"))
print("paper-size timings:", ", ".join(results) or "none")
if not have_cuda:
    print("no CUDA device: every CUDA test and GPU benchmark skipped" if ran == 0
          else f"no CUDA device, yet {ran} tests ran")
EOF
echo "results in $OUT"
exit "$status"
