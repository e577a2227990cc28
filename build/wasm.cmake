# wasm.cmake — the WebAssembly module the worker loads, and how the C tests and the benchmark are
# linked as Node programs; included by CMakeLists.txt under emcmake. Every link flag and the list
# of exported functions live here and nowhere else.
#
# The module is a standalone .wasm (no Emscripten JS glue): the engine needs no system calls, so
# web/core.js instantiates it directly, the same way in a browser worker and in Node.
#
# Two builds (build/build.sh makes both):
#  - out/wasm, plain SIMD128: aevp.wasm, the same bits on every machine.
#  - out/wasm-relaxed (-DAEVP_WASM_RELAXED=ON): aevp-relaxed.wasm, whose kernels use relaxed SIMD's
#    f32x4.relaxed_madd (fused multiply-add where the CPU has it). It needs clang >= 16 (Debian:
#    clang-19, through EM_LLVM_ADD_VERSION). An Emscripten whose binaryen predates relaxed SIMD's
#    final opcodes (Debian's 3.1.6 with binaryen 108 cannot even parse them) cannot finish such a
#    link, so then every program is linked by wasm-ld itself against Emscripten's own libc, as a
#    standalone WASI program: the module the same way emcc's standalone link makes it, the tests
#    run by tests/wasi-run.mjs (Node's WASI, with tests/wasi_files.c to open files).
set(AEVP_WASM_EXPORTS
  malloc free
  ae_last_error ae_config_schema ae_create ae_destroy ae_config_json
  ae_input_size ae_latent_dim ae_batch_size ae_epochs ae_param_count ae_flops_per_sample
  ae_train_batch ae_train_batch_u8 ae_gradients ae_shuffle ae_steps ae_plan_run ae_begin_run ae_learning_rate
  ae_gradients_u8 ae_gradient_buffer ae_apply_gradients
  ae_evaluate ae_evaluate_u8 ae_mean_image_u8
  ae_stage_count ae_latent_stage ae_stage_info ae_trace_size ae_trace ae_trace_latent
  ae_encode ae_encode_dist ae_decode ae_last_terms
  ae_get_params ae_set_params ae_tensor_count ae_tensor_info
  ae_save ae_save_checkpoint ae_load ae_load_with ae_load_metadata ae_free ae_idx_info
  ae_mse ae_psnr ae_ssim
  ae_pca ae_tsne_create ae_tsne_run ae_tsne_total ae_tsne_embedding ae_tsne_destroy
  aew_heap_used aew_trap)
set(AEVP_WASM_MEMORY_BYTES 67108864)   # 64 MB at start
set(AEVP_WASM_MAX_BYTES 2147483648)    # may grow to 2 GB
set(AEVP_WASM_STACK_BYTES 1048576)     # the module's stack; the tests keep Emscripten's 5 MB

set(AEVP_WASM_DIRECT_LINK OFF)
set(AEVP_NODE_FLAGS --no-experimental-fetch)
if(AEVP_WASM_RELAXED)
  set(AEVP_WASM_NAME aevp-relaxed)
  # Node 20 runs relaxed SIMD behind a flag; later versions ship it.
  execute_process(COMMAND node --experimental-wasm-relaxed-simd -e 0 RESULT_VARIABLE flag_rc OUTPUT_QUIET ERROR_QUIET)
  if(flag_rc EQUAL 0)
    list(APPEND AEVP_NODE_FLAGS --experimental-wasm-relaxed-simd)
  endif()
  # Can this emcc link a module with relaxed SIMD in it?
  set(probe ${CMAKE_BINARY_DIR}/relaxed_probe)
  file(WRITE ${probe}.c "#include <wasm_simd128.h>\nv128_t f(v128_t a, v128_t b, v128_t c) { return wasm_f32x4_relaxed_madd(a, b, c); }\n")
  execute_process(COMMAND ${CMAKE_C_COMPILER} -O2 -msimd128 -mrelaxed-simd --no-entry -sSTANDALONE_WASM=1
                          -sEXPORTED_FUNCTIONS=_f ${probe}.c -o ${probe}.wasm
                  RESULT_VARIABLE probe_rc OUTPUT_QUIET ERROR_VARIABLE probe_err)
  file(REMOVE ${probe}.c ${probe}.wasm)
  if(NOT probe_rc EQUAL 0)
    if(probe_err MATCHES "undeclared|unknown argument|not supported")
      message(FATAL_ERROR "the relaxed-SIMD build needs clang >= 16 under emcc (Debian: apt install clang-19 lld-19 "
                          "and EM_LLVM_ADD_VERSION=19 EM_CLANG_ADD_VERSION=19, as build/build.sh sets): ${probe_err}")
    endif()
    set(AEVP_WASM_DIRECT_LINK ON)
  endif()
else()
  set(AEVP_WASM_NAME aevp)
endif()

if(AEVP_WASM_DIRECT_LINK)
  # wasm-ld of the clang emcc runs (wasm-ld-19 beside clang-19), Emscripten's libc and crt files.
  find_program(AEVP_WASM_LD NAMES wasm-ld-$ENV{EM_LLVM_ADD_VERSION} wasm-ld REQUIRED)
  set(AEVP_WASM_LIBS ${EMSCRIPTEN_SYSROOT}/lib/wasm32-emscripten)
  set(CMAKE_C_LINK_EXECUTABLE
      "${AEVP_WASM_LD} <LINK_FLAGS> <OBJECTS> -o <TARGET> <LINK_LIBRARIES> -L${AEVP_WASM_LIBS} -lstandalonewasm-memgrow -lstubs -lc -ldlmalloc -lcompiler_rt")
  set(AEVP_WASM_LD_COMMON --import-undefined --strip-debug --global-base=1024 --max-memory=${AEVP_WASM_MAX_BYTES})
  set(CMAKE_CROSSCOMPILING_EMULATOR node ${AEVP_NODE_FLAGS} --no-warnings ${CMAKE_SOURCE_DIR}/tests/wasi-run.mjs)
  add_library(aevp_wasi_files OBJECT ${CMAKE_SOURCE_DIR}/tests/wasi_files.c)
else()
  set(CMAKE_CROSSCOMPILING_EMULATOR node ${AEVP_NODE_FLAGS})
endif()

add_executable(aevp-wasm ${CMAKE_SOURCE_DIR}/build/wasm_module.c)
set_target_properties(aevp-wasm PROPERTIES OUTPUT_NAME ${AEVP_WASM_NAME} SUFFIX .wasm)
target_link_libraries(aevp-wasm aevp)
if(AEVP_WASM_DIRECT_LINK)
  list(TRANSFORM AEVP_WASM_EXPORTS PREPEND "--export=" OUTPUT_VARIABLE exports)
  target_link_options(aevp-wasm PRIVATE ${AEVP_WASM_LIBS}/crt1_reactor.o -lnoexit --no-entry --export=_initialize
    ${exports} ${AEVP_WASM_LD_COMMON} -z stack-size=${AEVP_WASM_STACK_BYTES} --initial-memory=${AEVP_WASM_MEMORY_BYTES})
else()
  list(TRANSFORM AEVP_WASM_EXPORTS PREPEND "_" OUTPUT_VARIABLE exports)
  string(REPLACE ";" "," export_list "${exports}")
  target_link_options(aevp-wasm PRIVATE
    -O3 -msimd128
    --no-entry -sSTANDALONE_WASM=1
    -sEXPORTED_FUNCTIONS=${export_list}
    -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=${AEVP_WASM_MEMORY_BYTES} -sMAXIMUM_MEMORY=${AEVP_WASM_MAX_BYTES}
    -sTOTAL_STACK=${AEVP_WASM_STACK_BYTES}
    -sFILESYSTEM=0)
endif()

# A C program (a test, the benchmark) that Node runs with the source directory as argument.
function(aevp_wasm_program target)
  if(AEVP_WASM_DIRECT_LINK)
    target_sources(${target} PRIVATE $<TARGET_OBJECTS:aevp_wasi_files>)
    set_target_properties(${target} PROPERTIES SUFFIX .wasm)
    # 512 MB at start: Node 20 has crashed (a V8 fatal error in its GC) growing a WASI program's memory.
    target_link_options(${target} PRIVATE ${AEVP_WASM_LIBS}/crt1.o ${AEVP_WASM_LD_COMMON}
      -z stack-size=5242880 --initial-memory=536870912)
  else()
    # Emscripten's glue reads golden files and data sets from the real file system.
    target_link_options(${target} PRIVATE -sNODERAWFS=1 -sALLOW_MEMORY_GROWTH=1 -sEXIT_RUNTIME=1)
  endif()
endfunction()
