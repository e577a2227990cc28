#!/usr/bin/env bash
# run.sh — every test: the C tests natively, under ASan+UBSan, and as both WASM builds under Node; a short
# fuzzing run; the Node tests; the browser tests. Assumes build/setup.sh and build/build.sh have run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== C tests, native"
ctest --test-dir out/native --output-on-failure

echo "== C tests under AddressSanitizer and UndefinedBehaviorSanitizer"
cmake -S . -B out/sanitize -DCMAKE_BUILD_TYPE=Debug -DAEVP_SANITIZE=ON >/dev/null
cmake --build out/sanitize -j"$(nproc)" >/dev/null
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir out/sanitize --output-on-failure

echo "== Fuzzing smoke run: every parser for 10 s (longer: bash tests/fuzz/run.sh 3600)"
bash tests/fuzz/run.sh 10

echo "== C tests, WebAssembly + SIMD under Node"
ctest --test-dir out/wasm --output-on-failure

echo "== C tests, WebAssembly + relaxed SIMD (fused multiply-add) under Node"
ctest --test-dir out/wasm-relaxed --output-on-failure

echo "== Node tests: engine.js and the worker on the built WASM"
node --test --test-timeout=300000 tests/node/

echo "== Browser tests in headless Chromium"
node --test --test-timeout=600000 tests/browser/
