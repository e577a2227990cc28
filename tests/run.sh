#!/usr/bin/env bash
# run.sh — every test: the C tests natively, then (from build/build.sh's outputs) the same C tests
# under Node as WASM, and the Node tests. Assumes build/setup.sh and build/build.sh have run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== C tests, native"
ctest --test-dir out/native --output-on-failure

echo "== C tests, WebAssembly + SIMD under Node"
ctest --test-dir out/wasm --output-on-failure

echo "== Node tests: engine.js and the worker on the built WASM"
node --test --test-timeout=300000 tests/node/

echo "== Browser tests in headless Chromium"
node --test --test-timeout=600000 tests/browser/
