// wasm_module.c — the translation unit CMake needs to link the aevp.wasm module; the module's
// contents are the aevp library's functions named in build/wasm.cmake. Nothing is defined here.
#include "aevp.h"

typedef int aevp_wasm_module_has_no_code_of_its_own;
