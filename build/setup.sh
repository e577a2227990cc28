#!/usr/bin/env bash
# setup.sh — makes a machine ready to build and test AeVP: Debian packages where missing, npm
# packages, the verified cJSON source and the verified data sets. Idempotent; quick when done.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'setup: %s\n' "$*" >&2; }

# Debian packages: the toolchains, the browser for the browser tests and benchmark, the
# Fashion-MNIST files, dpkg-dev for `apt-get source cjson`, PyTorch for the interop test, and
# compiler-rt (libclang-rt-dev) for the libFuzzer targets, clang-19, lld-19 and llvm-19 for the relaxed-SIMD
# WebAssembly build (Emscripten 3.1.6's clang 14 has no relaxed SIMD: build/wasm.cmake).
packages=(cmake make gcc clang libclang-rt-dev dpkg-dev emscripten clang-19 lld-19 llvm-19 chromium dataset-fashion-mnist python3-torch)
missing=()
for pkg in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
    if ! command -v apt-get >/dev/null; then
        say "missing ${missing[*]} and no apt-get: install them with your package manager (emsdk for emscripten)"
        exit 1
    fi
    if [[ $(id -u) -ne 0 ]]; then
        say "missing Debian packages; run: sudo apt-get update && sudo apt-get install -y ${missing[*]}"
        exit 1
    fi
    say "installing ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# npm packages, exactly as locked.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    say "installing npm packages"
    npm ci --no-audit --no-fund
fi

bash build/get-cjson.sh
node datasets/fetch.mjs
