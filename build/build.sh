#!/usr/bin/env bash
# build.sh — builds the native engine, trainer and tests (out/native), the two WebAssembly builds
# (out/wasm, out/wasm-relaxed) and the site (dist/). Assumes build/setup.sh ran.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cmake -S . -B out/native -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build out/native -j"$(nproc)"

# The same library and tests as WebAssembly with SIMD (out/wasm): aevp.wasm for the browser, and
# each C test as a Node program. Debian's Emscripten needs its JS tools' modules on NODE_PATH.
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}
emcmake cmake -S . -B out/wasm -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build out/wasm -j"$(nproc)"

# The relaxed-SIMD build (out/wasm-relaxed: aevp-relaxed.wasm, fused multiply-add), which the page
# loads where the browser has relaxed SIMD. It needs clang >= 16 under emcc: Debian's emcc 3.1.6
# runs clang 14, so there it uses clang-19 (build/setup.sh installs it); any newer emsdk has it.
relaxed_env=()
if command -v clang-19 >/dev/null && emcc -v 2>&1 | grep -q 'clang version 1[0-5]\.'; then
    relaxed_env=(EM_LLVM_ADD_VERSION=19 EM_CLANG_ADD_VERSION=19)
fi
env "${relaxed_env[@]}" emcmake cmake -S . -B out/wasm-relaxed -DCMAKE_BUILD_TYPE=Release -DAEVP_WASM_RELAXED=ON >/dev/null
env "${relaxed_env[@]}" cmake --build out/wasm-relaxed -j"$(nproc)"

# The static site.
node build/dist.mjs
