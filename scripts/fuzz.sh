#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) into ./build-fuzz and runs each one for a
# bounded time. Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#   SECONDS_PER_TARGET  default 60
#   TARGET              csv json txt pdf label_path upload_name (default: all)
# Seeds: tests/fuzz/corpus/<target>/ (kept in git) plus the matching files of ../shared/cases
# when present. New inputs go to build-fuzz/corpus/<target>/; a crash is saved as
# build-fuzz/crashes/<target>/crash-* and the script exits non-zero. Every crash found becomes
# a regression test in tests/test_fuzz_regressions.cpp with its input under
# tests/fuzz/regressions/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-60}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(csv json txt pdf label_path upload_name)

./scripts/setup.sh clang libclang-rt-14-dev
LAUNCHER=()
command -v ccache >/dev/null && LAUNCHER=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHTC_FUZZ=ON \
  "${LAUNCHER[@]}" >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target $(printf 'fuzz_%s ' "${TARGETS[@]}")

SHARED=../shared/cases
status=0
for t in "${TARGETS[@]}"; do
  corpus=build-fuzz/corpus/$t
  crashes=build-fuzz/crashes/$t
  mkdir -p "$corpus" "$crashes"
  seeds=()
  [ -d tests/fuzz/corpus/$t ] && seeds+=(tests/fuzz/corpus/$t)
  if [ -d "$SHARED" ]; then
    case $t in
      csv) pat='*.csv' ;; json) pat='*.json*' ;; txt) pat='*.txt' ;; pdf) pat='*.pdf' ;;
      upload_name) pat='C31_*' ;; *) pat='' ;;
    esac
    if [ -n "$pat" ]; then
      # csv/json targets read a mode byte first: seed files get one prepended.
      for f in $SHARED/$pat; do
        [ -f "$f" ] || continue
        case $t in
          csv|json) { printf '\0'; cat "$f"; } > "$corpus/seed-$(basename "$f")" ;;
          *) cp "$f" "$corpus/seed-$(basename "$f")" ;;
        esac
      done
    fi
  fi
  echo "== fuzz_$t for ${SECONDS_PER_TARGET}s"
  log=build-fuzz/fuzz_$t.log
  set +e
  ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ./build-fuzz/tests/fuzz/fuzz_$t -max_total_time="$SECONDS_PER_TARGET" -max_len=65536 \
      -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 -artifact_prefix="$crashes/" \
      "$corpus" "${seeds[@]}" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo "?")
  cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 || true)
  echo "   exit $rc, $execs executions in ${SECONDS_PER_TARGET}s, $cov, corpus $(ls "$corpus" | wc -l) files"
  if [ $rc -ne 0 ]; then
    status=1
    echo "   crash: see $log and $crashes/"
    tail -30 "$log"
  fi
done
exit $status
