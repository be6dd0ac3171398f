#!/usr/bin/env bash
# Configures and builds into ./build (Release with debug info by default).
# Arguments name the targets to build (default: all, tests included), e.g.
#   ./scripts/build.sh htc-trainer
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo}
LAUNCHER=()
command -v ccache >/dev/null && LAUNCHER=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build -DCMAKE_BUILD_TYPE="$BUILD_TYPE" "${LAUNCHER[@]}" >/dev/null
TARGETS=()
for t in "$@"; do TARGETS+=(--target "$t"); done
cmake --build build -j"$(nproc)" "${TARGETS[@]}"
