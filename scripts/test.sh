#!/usr/bin/env bash
# One command for a fresh Debian 12 machine: install dependencies, build, run every test, then
# build the test suite again with AddressSanitizer + UndefinedBehaviorSanitizer (./build-asan,
# no window) and run it. This is what CI runs.
#
# The sanitizer run covers every Catch2 test of htc_tests (the window's tests are not part of
# it: build-asan has no window). HTC_SANITIZE_TESTS=0 skips the sanitizer stage (e.g. for a
# quick local run).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
(cd build && ctest --output-on-failure -j"$(nproc)" --timeout 900)

if [ "${HTC_SANITIZE_TESTS:-1}" != "0" ]; then
  echo "== ASan + UBSan build of the test suite (build-asan)"
  LAUNCHER=()
  command -v ccache >/dev/null && LAUNCHER=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHTC_SANITIZE=ON \
    -DHTC_BUILD_GUI=OFF "${LAUNCHER[@]}" >/dev/null
  cmake --build build-asan -j"$(nproc)"
  start=$(date +%s)
  # Leaks in the third-party libraries (poppler's and fontconfig's global caches, fastText's
  # static tables) are not ours: tests/sanitizer/lsan.supp lists them.
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=0
  export LSAN_OPTIONS=suppressions=$PWD/tests/sanitizer/lsan.supp:print_suppressions=0
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  (cd build-asan && ctest --output-on-failure -j"$(nproc)" --timeout 900)
  echo "== sanitizer run: $(( $(date +%s) - start )) s"
fi
