// model.js — the Model class of core.js: one ae_model handle with its sizes, stages and tensors,
// training, evaluation, trace, encode/decode and model files. Knows no worker and no protocol.
import { EngineError } from '../errors.js';

// wasm: the exports and heap helpers of loadCore (core.js).
export function defineModel({ c, u8, u32, i32, f32, f64, string, malloc, withBuffers, check, cString, copyIn }) {
  class Model {
    // From a config JSON string, or (bytes given) from a model file: ae_load checks it strictly.
    // Both given: the file with those config fields replaced (ae_load_with), its tensors checked
    // against the changed config.
    constructor(configJson, fileBytes = null) {
      const source = fileBytes ? copyIn(fileBytes) : cString(configJson);
      const overrides = fileBytes && configJson ? cString(configJson) : 0;
      try {
        const status = malloc(4);
        try {
          this.ptr = !fileBytes ? c.ae_create(source, status)
            : overrides ? c.ae_load_with(source, fileBytes.length, overrides, status)
              : c.ae_load(source, fileBytes.length, status);
          if (!this.ptr) check(i32()[status >> 2] || 1);
        } finally {
          c.free(status);
        }
      } finally {
        c.free(source);
        if (overrides) c.free(overrides);
      }
      this.config = JSON.parse(string(c.ae_config_json(this.ptr)));
      this.inputSize = c.ae_input_size(this.ptr);
      this.latentDim = c.ae_latent_dim(this.ptr);
      this.batchSize = c.ae_batch_size(this.ptr);
      this.paramCount = c.ae_param_count(this.ptr);
      this.flopsPerSample = c.ae_flops_per_sample(this.ptr);
      this.traceSize = c.ae_trace_size(this.ptr);
      this.stages = this.#stageInfo();
      this.latentStage = c.ae_latent_stage(this.ptr); // where the decoder starts
    }

    #stageInfo() {
      // ae_stage in wasm32: const char *name; int h, w, c; size_t offset; const char *kind — 6 words.
      return withBuffers([24], (info) => {
        const stages = [];
        for (let s = 0; s < c.ae_stage_count(this.ptr); s++) {
          check(c.ae_stage_info(this.ptr, s, info));
          const w = u32();
          const i = info >> 2;
          stages.push({ name: string(w[i]), shape: [w[i + 1], w[i + 2], w[i + 3]], offset: w[i + 4], kind: string(w[i + 5]) });
        }
        return stages;
      });
    }

    tensors() {
      // ae_tensor in wasm32: const char *name; int rank; int shape[4]; size_t offset, count — 8 words.
      return withBuffers([32], (info) => {
        const out = [];
        for (let t = 0; t < c.ae_tensor_count(this.ptr); t++) {
          check(c.ae_tensor_info(this.ptr, t, info));
          const w = i32();
          const i = info >> 2;
          out.push({ name: string(w[i]), shape: Array.from(w.subarray(i + 2, i + 2 + w[i + 1])),
                     offset: w[i + 6] >>> 0, count: w[i + 7] >>> 0 });
        }
        return out;
      });
    }

    // One batch from uint8 images already in the heap, by index: returns the loss.
    trainBatchU8(imagesPtr, idxPtr, n) {
      return withBuffers([4], (loss) => {
        const rc = c.ae_train_batch_u8(this.ptr, imagesPtr, idxPtr, n, loss);
        const value = f32()[loss >> 2];
        check(rc);
        return value;
      });
    }

    // Data-parallel training: this replica's share of a batch into its gradient buffer. first is
    // the share's position in the whole batch (a VAE draws the noise of those rows).
    gradientsU8(imagesPtr, idxPtr, n, first = 0) {
      return withBuffers([4], (loss) => {
        check(c.ae_gradients_u8(this.ptr, imagesPtr, idxPtr, n, first, loss));
        return f32()[loss >> 2];
      });
    }

    // The terms of the loss last computed by trainBatchU8 / gradientsU8: recon (mean per element)
    // and kl (nats per image, not scaled by beta; 0 for a plain autoencoder).
    lastTerms() {
      return withBuffers([8, 8], (recon, kl) => {
        c.ae_last_terms(this.ptr, recon, kl);
        return { recon: f64()[recon >> 3], kl: f64()[kl >> 3] };
      });
    }

    // A view of the gradient buffer: valid until the next call that may grow memory.
    gradientView() {
      const ptr = c.ae_gradient_buffer(this.ptr);
      return f32().subarray(ptr >> 2, (ptr >> 2) + this.paramCount);
    }

    applyGradients(loss) { check(c.ae_apply_gradients(this.ptr, loss)); }

    shuffle(permPtr, n) { c.ae_shuffle(this.ptr, permPtr, n); }
    get steps() { return c.ae_steps(this.ptr); }
    // The run's length for a cosine or one-cycle schedule: steps per epoch times the epochs.
    planRun(stepsPerEpoch) { check(c.ae_plan_run(this.ptr, stepsPerEpoch)); }
    // A new run begins at this step: the schedule starts again (a model trained further).
    beginRun() { check(c.ae_begin_run(this.ptr)); }
    get learningRate() { return c.ae_learning_rate(this.ptr); }

    evaluateU8(imagesPtr, n) {
      // ae_metrics: six doubles.
      return withBuffers([48], (out) => {
        check(c.ae_evaluate_u8(this.ptr, imagesPtr, n, out));
        const d = f64().subarray(out >> 3, (out >> 3) + 6);
        return { loss: d[0], mse: d[1], psnr: d[2], ssim: d[3], kl: d[4], recon: d[5] };
      });
    }

    // The mean-image baseline under this model's loss: every one of nVal images predicted as the
    // mean of nTrain training images. A validation loss above its loss means the run collapsed.
    meanImageU8(trainPtr, nTrain, valPtr, nVal) {
      return withBuffers([48], (out) => {
        check(c.ae_mean_image_u8(this.ptr, trainPtr, nTrain, valPtr, nVal, out));
        const d = f64().subarray(out >> 3, (out >> 3) + 5);
        return { loss: d[0], mse: d[1], psnr: d[2], ssim: d[3] };
      });
    }

    #stagesFrom(buffer, first) {
      return this.stages.slice(first).map((s) => {
        const count = s.shape[0] * s.shape[1] * s.shape[2];
        return { name: s.name, kind: s.kind, shape: s.shape, data: buffer.slice(s.offset, s.offset + count) };
      });
    }

    // MSE, PSNR and SSIM of an image against a target, both of this model's input shape.
    compare(image, target) {
      this.#checkLength(image, this.inputSize, 'image');
      this.#checkLength(target, this.inputSize, 'target');
      const { h, w, c: ch } = this.config.input;
      return withBuffers([this.inputSize * 4, this.inputSize * 4], (a, b) => {
        f32().set(image, a >> 2);
        f32().set(target, b >> 2);
        const mse = c.ae_mse(a, b, this.inputSize);
        return { mse, psnr: c.ae_psnr(mse), ssim: c.ae_ssim(a, b, h, w, ch) };
      });
    }

    trace(image) {
      this.#checkLength(image, this.inputSize, 'image');
      const img = copyIn(image);
      try {
        return withBuffers([this.traceSize * 4], (out) => {
          check(c.ae_trace(this.ptr, img, out));
          return this.#stagesFrom(f32().slice(out >> 2, (out >> 2) + this.traceSize), 0);
        });
      } finally {
        c.free(img);
      }
    }

    traceLatent(latent) {
      this.#checkLength(latent, this.latentDim, 'latent');
      const z = copyIn(latent);
      try {
        return withBuffers([this.traceSize * 4], (out) => {
          check(c.ae_trace_latent(this.ptr, z, out));
          return this.#stagesFrom(f32().slice(out >> 2, (out >> 2) + this.traceSize), this.latentStage);
        });
      } finally {
        c.free(z);
      }
    }

    encode(images) {
      const n = this.#count(images, this.inputSize, 'images');
      const src = copyIn(images);
      try {
        return withBuffers([n * this.latentDim * 4], (out) => {
          check(c.ae_encode(this.ptr, src, n, out));
          return f32().slice(out >> 2, (out >> 2) + n * this.latentDim);
        });
      } finally {
        c.free(src);
      }
    }

    // A VAE's posterior for n images: mu and log sigma^2, n * latentDim each.
    encodeDist(images) {
      const n = this.#count(images, this.inputSize, 'images');
      const src = copyIn(images);
      try {
        return withBuffers([n * this.latentDim * 4, n * this.latentDim * 4], (mu, logvar) => {
          check(c.ae_encode_dist(this.ptr, src, n, mu, logvar));
          return { mu: f32().slice(mu >> 2, (mu >> 2) + n * this.latentDim),
                   logvar: f32().slice(logvar >> 2, (logvar >> 2) + n * this.latentDim) };
        });
      } finally {
        c.free(src);
      }
    }

    decode(latents) {
      const n = this.#count(latents, this.latentDim, 'latents');
      const src = copyIn(latents);
      try {
        return withBuffers([n * this.inputSize * 4], (out) => {
          check(c.ae_decode(this.ptr, src, n, out));
          return f32().slice(out >> 2, (out >> 2) + n * this.inputSize);
        });
      } finally {
        c.free(src);
      }
    }

    getParams() {
      return withBuffers([this.paramCount * 4], (out) => {
        check(c.ae_get_params(this.ptr, out));
        return f32().slice(out >> 2, (out >> 2) + this.paramCount);
      });
    }

    setParams(params) {
      if (!(params instanceof Float32Array)) throw new EngineError('arg', 'weights must be a Float32Array');
      const src = copyIn(params);
      try {
        check(c.ae_set_params(this.ptr, src, params.length));
      } finally {
        c.free(src);
      }
    }

    // The model file (ae_save); with optimizer: true a checkpoint (ae_save_checkpoint) that also
    // holds the optimizer's state, so that training resumed from it goes on exactly.
    save(metadata, { optimizer = false } = {}) {
      const meta = cString(JSON.stringify(metadata ?? {}));
      const write = optimizer ? c.ae_save_checkpoint : c.ae_save;
      try {
        return withBuffers([4, 4], (outPtr, lenPtr) => {
          check(write(this.ptr, meta, outPtr, lenPtr));
          const ptr = u32()[outPtr >> 2];
          const bytes = u8().slice(ptr, ptr + u32()[lenPtr >> 2]);
          c.ae_free(ptr);
          return bytes;
        });
      } finally {
        c.free(meta);
      }
    }

    destroy() {
      if (this.ptr) c.ae_destroy(this.ptr);
      this.ptr = 0;
    }

    #checkLength(array, length, what) {
      if (!(array instanceof Float32Array) || array.length !== length)
        throw new EngineError('arg', `${what} must be a Float32Array of ${length} values (got ${array?.length ?? typeof array})`);
    }

    #count(array, size, what) {
      if (!(array instanceof Float32Array) || array.length === 0 || array.length % size !== 0)
        throw new EngineError('arg', `${what} must be a Float32Array of a positive multiple of ${size} values (got ${array?.length ?? typeof array})`);
      return array.length / size;
    }
  }

  return Model;
}
