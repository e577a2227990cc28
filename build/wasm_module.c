// wasm_module.c — the translation unit CMake links into aevp.wasm, holding the few exports that
// exist only for the worker (prefix aew_); the engine's own are the ae_ functions of aevp.h.
#include <malloc.h>
#include <stddef.h>

#include "aevp.h"

// Bytes currently allocated by malloc in the module: the Node tests watch it for leaks.
size_t aew_heap_used(void) { return mallinfo().uordblks; }

// Traps on purpose: the page's crash recovery is tested by calling this through the worker.
void aew_trap(void) { __builtin_trap(); }
