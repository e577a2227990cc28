// projections.js — PCA and t-SNE of core.js over ae_pca and ae_tsne_*: points copied in, results
// copied out of the heap. Knows no model, no worker and no protocol.
import { EngineError } from '../errors.js';

// wasm: the exports and heap helpers of loadCore (core.js).
export function defineProjections({ c, f32, i32, withBuffers, check, copyIn }) {
  // n points of dimension d as a Float32Array of exactly n * d values (the C side checks ranges).
  function checkPoints(x, n, d) {
    if (!Number.isInteger(n) || !Number.isInteger(d) || n < 1 || d < 1)
      throw new EngineError('arg', `n and d must be positive integers (got n = ${n}, d = ${d})`);
    if (!(x instanceof Float32Array) || x.length !== n * d)
      throw new EngineError('arg', `points must be a Float32Array of n * d = ${n * d} values (got ${x?.length ?? typeof x})`);
  }

  // PCA (ae_pca): the mean (d), the top k axes (k * d, rows), their variances (k) and the points'
  // coordinates on them (n * k), all copied out of the heap.
  function pca(x, n, d, k) {
    checkPoints(x, n, d);
    // Before sizing the output buffers by k; the message is ae_pca's.
    if (!Number.isInteger(k) || k < 1 || k > d) throw new EngineError('arg', `pca: k must be 1..d = ${d} (got ${k})`);
    const src = copyIn(x);
    try {
      return withBuffers([d * 4, k * d * 4, k * 4, n * k * 4], (mean, components, variance, proj) => {
        check(c.ae_pca(src, n, d, k, mean, components, variance, proj));
        const f = f32();
        return {
          mean: f.slice(mean >> 2, (mean >> 2) + d),
          components: f.slice(components >> 2, (components >> 2) + k * d),
          variance: f.slice(variance >> 2, (variance >> 2) + k),
          proj: f.slice(proj >> 2, (proj >> 2) + n * k),
        };
      });
    } finally {
      c.free(src);
    }
  }

  // A t-SNE (ae_tsne_*) run in slices: run(iterations) returns the iterations done so far, of
  // `total`; embedding() copies the n x 2 coordinates out. destroy() frees it (safe to repeat).
  class Tsne {
    constructor(x, n, d, perplexity, seed) {
      checkPoints(x, n, d);
      if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
        throw new EngineError('arg', `seed must be an integer 0..4294967295 (got ${seed})`);
      const src = copyIn(x);
      try {
        withBuffers([4], (status) => {
          this.ptr = c.ae_tsne_create(src, n, d, perplexity, seed >>> 0, status);
          if (!this.ptr) check(i32()[status >> 2] || 1);
        });
      } finally {
        c.free(src);
      }
      this.n = n;
    }

    run(iterations) {
      this.#live();
      const done = c.ae_tsne_run(this.ptr, iterations);
      if (done < 0) check(-done);
      return done;
    }

    get total() {
      this.#live();
      return c.ae_tsne_total(this.ptr);
    }

    embedding() {
      this.#live();
      const ptr = c.ae_tsne_embedding(this.ptr);
      return f32().slice(ptr >> 2, (ptr >> 2) + 2 * this.n);
    }

    destroy() {
      if (this.ptr) c.ae_tsne_destroy(this.ptr);
      this.ptr = 0;
    }

    #live() {
      if (!this.ptr) throw new EngineError('state', 'this t-SNE was destroyed');
    }
  }

  return { pca, Tsne };
}
