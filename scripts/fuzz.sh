#!/usr/bin/env bash
# The libFuzzer targets of tests/fuzz/ (issue 16), built with clang 14 (-fsanitize=fuzzer,address,undefined)
# into build-fuzz/ (git-ignored; only the fuzz targets and the libraries they link, with ccache).
#   scripts/fuzz.sh                  build the targets and list them
#   scripts/fuzz.sh TARGET SECONDS   run one target (x_response or x_response_fuzzer, ...) for SECONDS
#   scripts/fuzz.sh ci [SECONDS]     build, then every target for SECONDS each (default $FUZZ_CI_SECONDS,
#                                    30), then `unit` (FUZZ_UNIT=0 skips it); what scripts/test.sh runs
#                                    (FUZZ=0 skips it there)
#   scripts/fuzz.sh unit             the C++ unit and integration tests built in build-fuzz/ and run under ASan+UBSan with
#                                    leak detection
# Each run starts from the target's corpus in $FUZZ_DIR/corpus/TARGET/ (default .cache/fuzz/): the seeds
# made by tests/fuzz/make_corpus.py from ../shared/fixtures/x-api-v2 and samples/ (never copied into
# the repository), plus every new entry an earlier run kept there. A crash, a sanitizer report or a
# disagreement with a target's oracle is saved as $FUZZ_DIR/crashes/TARGET/crash-<sha1> (or timeout-,
# oom-, leak-) and fails the run; reproduce it with `build-fuzz/tests/fuzz/TARGET FILE`. Logs in
# $FUZZ_DIR/logs/. Prints one line per target: executions, executions per second, new corpus entries.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"

FUZZ_BUILD_DIR="${FUZZ_BUILD_DIR:-$ROOT_DIR/build-fuzz}"
FUZZ_DIR="${FUZZ_DIR:-$CACHE_DIR/fuzz}"
FUZZ_CI_SECONDS="${FUZZ_CI_SECONDS:-30}"
FUZZ_MAX_LEN="${FUZZ_MAX_LEN:-65536}"   # make_corpus.py trims seeds to this
TARGETS=(x_response_fuzzer stream_framer_fuzzer replay_reader_fuzzer envelope_document_fuzzer
         bulk_response_fuzzer config_update_fuzzer)

build() {
  local begin=$SECONDS args=()
  bash "$here/install-deps.sh" --fuzz
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$ROOT_DIR}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
  if [[ ! -f "$FUZZ_BUILD_DIR/CMakeCache.txt" ]]; then
    args=(-DTWEETSTREAM_FUZZ=ON -DTWEETSTREAM_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
          -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_C_COMPILER=clang-14)
    if command -v ccache >/dev/null; then
      args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
    fi
  fi
  cmake -S "$ROOT_DIR" -B "$FUZZ_BUILD_DIR" -G Ninja "${args[@]}" >/dev/null
  # Only the fuzz targets (and the libraries they link): not the binaries, tests or benchmarks again.
  ninja -C "$FUZZ_BUILD_DIR" -j "${FUZZ_JOBS:-2}" tweetstream_fuzz_targets
  echo "fuzz: targets built in $((SECONDS - begin)) s ($FUZZ_BUILD_DIR/tests/fuzz/)"
}

# seeds: the seed corpora (idempotent: files are named by their content's hash).
seeds() {
  python3 "$ROOT_DIR/tests/fuzz/make_corpus.py" "$FUZZ_DIR/corpus"
  # The envelopes come from the production mapper, run by the envelope target itself.
  TWEETSTREAM_FUZZ_SEED_BODIES="$FUZZ_DIR/x-bodies" \
  TWEETSTREAM_FUZZ_WRITE_SEEDS="$FUZZ_DIR/corpus/envelope_document_fuzzer" \
    "$FUZZ_BUILD_DIR/tests/fuzz/envelope_document_fuzzer" 2>&1 | tail -n 1
}

# run TARGET SECONDS: one libFuzzer run on the target's corpus; 0 when it found nothing.
run() {
  local target="$1" seconds="$2" rc=0
  local bin="$FUZZ_BUILD_DIR/tests/fuzz/$target" corpus="$FUZZ_DIR/corpus/$target"
  local crashes="$FUZZ_DIR/crashes/$target" log="$FUZZ_DIR/logs/$target.log"
  mkdir -p "$corpus" "$crashes" "$FUZZ_DIR/logs"
  local before
  before=$(find "$corpus" -type f | wc -l)
  # Leak detection on (libFuzzer reports a leaking input as leak-<sha1>); a UBSan report is fatal.
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}" \
  UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
    "$bin" -max_total_time="$seconds" -max_len="$FUZZ_MAX_LEN" -timeout=25 -rss_limit_mb=2560 \
      -print_final_stats=1 -artifact_prefix="$crashes/" "$corpus" >"$log" 2>&1 || rc=$?
  local runs rate
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  local after
  after=$(find "$corpus" -type f | wc -l)
  if ((rc == 0)); then
    echo "fuzz: $target: ${seconds} s, ${runs:-?} executions, ${rate:-?} exec/s, $((after - before)) new corpus entries ($after in all); nothing found"
  else
    echo "fuzz: $target: FOUND something (exit $rc) after ${runs:-?} executions; input in $crashes/, log $log:"
    grep -E "ERROR: |runtime error|\*\*\* fuzz oracle|SUMMARY" "$log" | head -n 8 | sed 's/^/  | /'
  fi
  return $rc
}

# unit_tests: the C++ unit and integration tests built in $FUZZ_BUILD_DIR too (the libraries there are already compiled
# with ASan+UBSan for the targets, so only the tests' own sources compile) and run under the sanitizers
# with leak detection (issue 16 point 3); a report fails the test. Python tests (deploy_*) are left out.
unit_tests() {
  local begin=$SECONDS tests=()
  cmake -S "$ROOT_DIR" -B "$FUZZ_BUILD_DIR" -DTWEETSTREAM_BUILD_TESTS=ON >/dev/null
  mapfile -t tests < <(cd "$FUZZ_BUILD_DIR" && ctest -N -L '^(unit|integration)$' | sed -n 's/.*Test *#[0-9]*: \(.*\)$/\1/p' | grep -v '^deploy_')
  ninja -C "$FUZZ_BUILD_DIR" -j "${FUZZ_JOBS:-2}" "${tests[@]}"
  local rc=0
  (cd "$FUZZ_BUILD_DIR" &&
   ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}" \
   UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
     ctest -L '^(unit|integration)$' -E '^deploy_' --output-on-failure --timeout 900) || rc=1
  echo "fuzz: ${#tests[@]} unit and integration tests under ASan+UBSan (leak detection on) in $((SECONDS - begin)) s with the build"
  return $rc
}

target_name() {
  local t="${1%_fuzzer}_fuzzer"
  for known in "${TARGETS[@]}"; do [[ "$known" == "$t" ]] && { echo "$t"; return 0; }; done
  echo "fuzz: no target '$1' (targets: ${TARGETS[*]})" >&2
  return 2
}

case "${1:-}" in
  "")
    build
    printf 'fuzz: %s\n' "${TARGETS[@]}"
    ;;
  ci)
    begin=$SECONDS
    build
    seeds
    rc=0
    for t in "${TARGETS[@]}"; do run "$t" "${2:-$FUZZ_CI_SECONDS}" || rc=1; done
    echo "fuzz: ${#TARGETS[@]} targets in $((SECONDS - begin)) s with the build"
    if [[ "${FUZZ_UNIT:-1}" == 1 ]]; then unit_tests || rc=1; fi
    exit $rc
    ;;
  unit)
    build
    unit_tests
    ;;
  *)
    (($# == 2)) && [[ "$2" =~ ^[0-9]+$ ]] || { sed -n '2,16p' "$0" >&2; exit 2; }
    target="$(target_name "$1")"
    build
    seeds
    run "$target" "$2"
    ;;
esac
