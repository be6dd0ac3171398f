#!/usr/bin/env bash
# The benchmark: installs the reference tools (Debian packages), builds a Release binary in
# ./build-release, runs every measurement and writes bench/RESULTS.md. See bench/README.md.
#
#   bench/run.sh                      the full run (about 25 minutes on two busy cores)
#   bench/run.sh --sizes 100000,1000000 --linear-max 100000
#                                     larger generated corpora (hours on two cores)
#   bench/run.sh --smoke [--binary B] [--out FILE]
#                                     a few seconds on tiny corpora: no install, no Release
#                                     build (uses B, default build/htc-trainer), reference
#                                     tools skipped when absent; writes FILE (default
#                                     build/bench-smoke.md). ctest runs this.
# Other options are passed to bench/bench.py (--repeat, --jobs, --frames, --workdir ...).
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=0
binary=""
out=""
pass=()
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) smoke=1 ;;
        --binary) binary="$2"; shift ;;
        --out) out="$2"; shift ;;
        *) pass+=("$1") ;;
    esac
    shift
done
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

if [ "$smoke" = 1 ]; then
    binary=${binary:-build/htc-trainer}
    out=${out:-build/bench-smoke.md}
    exec "$PY" bench/bench.py --smoke --binary "$binary" --out "$out" "${pass[@]}"
fi

# The project's packages plus the reference tools (setup.sh installs what is missing).
./scripts/setup.sh python3-sklearn python3-pandas fasttext time xvfb

LAUNCHER=()
command -v ccache >/dev/null && LAUNCHER=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DHTC_BUILD_TESTS=OFF "${LAUNCHER[@]}" >/dev/null
cmake --build build-release -j"$(nproc)" --target htc-trainer
exec "$PY" bench/bench.py --binary "$PWD/build-release/htc-trainer" --out bench/RESULTS.md "${pass[@]}"
