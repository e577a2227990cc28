#!/usr/bin/env bash
# build.sh — builds the native engine, trainer and tests (out/native). Assumes build/setup.sh ran.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cmake -S . -B out/native -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build out/native -j"$(nproc)"

# The same library and tests as WebAssembly with SIMD (out/wasm): aevp.wasm for the browser, and
# each C test as a Node program. Debian's Emscripten needs its JS tools' modules on NODE_PATH.
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}
emcmake cmake -S . -B out/wasm -DCMAKE_BUILD_TYPE=Release \
    "-DCMAKE_CROSSCOMPILING_EMULATOR=node;--no-experimental-fetch" >/dev/null
cmake --build out/wasm -j"$(nproc)"

# The static site.
node build/dist.mjs
