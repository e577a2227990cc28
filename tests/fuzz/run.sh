#!/usr/bin/env bash
# run.sh — builds the libFuzzer targets (clang, ASan + UBSan) into out/fuzz/ and runs each one on a
# working copy of its seed corpus; exits non-zero if any target finds a crash, leak or timeout.
# Not a CMake target: the fuzzers need clang's -fsanitize=fuzzer whatever compiler CMake picked.
#
#   bash tests/fuzz/run.sh                 # build, then 10 s per target (the npm test smoke step)
#   bash tests/fuzz/run.sh 3600            # an hour per target
#   bash tests/fuzz/run.sh --runs 10000000 # a fixed number of executions per target
#   bash tests/fuzz/run.sh --only idx 60   # one target (config, tensorfile or idx)
#   bash tests/fuzz/run.sh --fresh ...     # start the working corpora again from the seeds
#   bash tests/fuzz/run.sh --seeds         # rebuild tests/fuzz/corpus/* seeds with make_seeds.c
# FUZZ_TIMEOUT (default 10) is the seconds one input may take before it counts as a timeout.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

seconds=10
runs=""
only=""
fresh=0
seeds=0
while [ $# -gt 0 ]; do
    case "$1" in
    --runs) runs="${2:?--runs needs a count}"; shift 2 ;;
    --only) only="${2:?--only needs a target}"; shift 2 ;;
    --fresh) fresh=1; shift ;;
    --seeds) seeds=1; shift ;;
    -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *[!0-9]* | "") echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    *) seconds="$1"; shift ;;
    esac
done

TARGETS="config tensorfile idx"
if [ -n "$only" ]; then
    case " $TARGETS " in
    *" $only "*) TARGETS="$only" ;;
    *) echo "run.sh: --only takes one of: $TARGETS (got '$only')" >&2; exit 2 ;;
    esac
fi

CC=${FUZZ_CC:-clang}
if ! command -v "$CC" >/dev/null; then
    echo "run.sh: $CC not found: the fuzzers need clang with libFuzzer (apt-get install clang libclang-rt-14-dev)" >&2
    exit 1
fi
CJSON_DIR=build/third_party/cjson
if [ ! -f "$CJSON_DIR/cJSON.c" ]; then
    bash build/get-cjson.sh
fi

OUT=out/fuzz
mkdir -p "$OUT"
SANITIZE="-fsanitize=address,undefined -fno-sanitize-recover=all"
CFLAGS=(-std=c11 -O1 -g -fno-omit-frame-pointer -Wall -Wextra -Wno-unused-parameter
        -Icore -I"$CJSON_DIR")
# The native build's instruction set (CMakeLists.txt), so the same SIMD kernels are compiled.
case "$(uname -m)" in x86_64 | amd64) CFLAGS+=(-msse4.1) ;; esac
SOURCES=(core/*.c core/{base,kernels,io,ops,model,analysis}/*.c "$CJSON_DIR/cJSON.c")

build() { # build OUTPUT MAIN_SOURCE SANITIZERS
    "$CC" "${CFLAGS[@]}" $3 -o "$1" "$2" "${SOURCES[@]}" -lm
}

if [ "$seeds" = 1 ]; then
    build "$OUT/make_seeds" tests/fuzz/make_seeds.c "$SANITIZE"
    for target in config tensorfile idx; do mkdir -p "tests/fuzz/corpus/$target"; done
    "$OUT/make_seeds" tests/fuzz/corpus
    du -sh tests/fuzz/corpus/*
    exit 0
fi

echo "== fuzz: building $(echo $TARGETS | sed 's/\([a-z]*\)/fuzz_\1/g') with $("$CC" --version | head -1)"
pids=()
for target in $TARGETS; do
    build "$OUT/fuzz_$target" "tests/fuzz/fuzz_$target.c" "-fsanitize=fuzzer $SANITIZE" &
    pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done

if [ -n "$runs" ]; then limit=(-runs="$runs"); what="$runs runs"; else limit=(-max_total_time="$seconds"); what="$seconds s"; fi
failed=0
for target in $TARGETS; do
    corpus="$OUT/corpus-$target"
    [ "$fresh" = 1 ] && rm -rf "$corpus"
    mkdir -p "$corpus"
    # Tops the working copy up with the committed seeds; what the fuzzer adds stays out of git.
    for seed in tests/fuzz/corpus/"$target"/*; do
        [ -e "$corpus/$(basename "$seed")" ] || cp "$seed" "$corpus"/
    done
    extra=()
    case "$target" in config | tensorfile) extra+=(-dict=tests/fuzz/json.dict) ;; esac
    log="$OUT/fuzz_$target.log"
    rm -f "$OUT/$target"-crash-* "$OUT/$target"-leak-* "$OUT/$target"-timeout-* "$OUT/$target"-oom-*
    start=$(date +%s)
    set +e
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
        "$OUT/fuzz_$target" "${limit[@]}" "${extra[@]}" -timeout="${FUZZ_TIMEOUT:-10}" \
        -artifact_prefix="$OUT/$target-" -print_final_stats=1 "$corpus" >"$log" 2>&1
    rc=$?
    set -e
    elapsed=$(($(date +%s) - start))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    units=$(ls "$corpus" | wc -l)
    if [ "$rc" = 0 ]; then
        printf '%-11s ok      %12s executions in %4d s (%s exec/s), corpus %d files  [%s]\n' \
            "$target" "${execs:-?}" "$elapsed" "${rate:-?}" "$units" "$what"
    else
        failed=1
        artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
        printf '%-11s FAILED  exit %d after %s executions; input: %s; log: %s\n' \
            "$target" "$rc" "${execs:-?}" "${artifact:-none written}" "$log"
        # What went wrong, and where in the project's own code (or cJSON's).
        { grep -m1 -E '==[0-9]+== ?ERROR|runtime error' "$log" || tail -n 20 "$log"; } | sed 's/^/    /'
        grep -E '^ +#[0-9]+ .* in .*(core/|tests/fuzz/|cjson/)' "$log" | head -n 8 | sed 's/ (BuildId.*//'
    fi
done
exit "$failed"
