# wasm.cmake — the WebAssembly module the worker loads, included by CMakeLists.txt under emcmake.
# Every link flag and the list of exported functions live here and nowhere else.
#
# The module is a standalone .wasm (no Emscripten JS glue): the engine needs no system calls, so
# web/core.js instantiates it directly, the same way in a browser worker and in Node.
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
list(TRANSFORM AEVP_WASM_EXPORTS PREPEND "_")
string(REPLACE ";" "," AEVP_WASM_EXPORT_LIST "${AEVP_WASM_EXPORTS}")

add_executable(aevp-wasm ${CMAKE_SOURCE_DIR}/build/wasm_module.c)
set_target_properties(aevp-wasm PROPERTIES OUTPUT_NAME aevp SUFFIX .wasm)
target_link_libraries(aevp-wasm aevp)
target_link_options(aevp-wasm PRIVATE
  -O3 -msimd128
  --no-entry -sSTANDALONE_WASM=1
  -sEXPORTED_FUNCTIONS=${AEVP_WASM_EXPORT_LIST}
  -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=64MB -sMAXIMUM_MEMORY=2GB
  -sTOTAL_STACK=1MB
  -sFILESYSTEM=0)
