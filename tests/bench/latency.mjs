// latency.mjs — the interactive timings printed under bench.mjs's table: one trace() round trip
// to the worker, and slider move to painted frame on the real page. It measures; it asserts nothing.
import { openApp } from '../browser/chromium.mjs';

const OUTPUT = '.stage[data-stage=output] canvas';
const SLIDERS = '.stage[data-stage=latent] .slider input[type=range]';
const SECONDS = 1000;

// Milliseconds of `count` engine.trace() calls of the first test image, one after another, after a
// few unmeasured ones: {times, totalMs}. totalMs, over all of them, gives a mean finer than the
// page's coarsened clock. `page` has an engine with a data set and a model at window.benchEngines[1] (one worker).
export function traceTimes(page, count) {
  return page.evaluate(async (count) => {
    const engine = await window.benchEngines[1];
    const { images } = await engine.testImages({ count: 1, offset: 0 });
    for (let i = 0; i < 10; i++) await engine.trace(images);
    const times = [];
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      await engine.trace(images);
      times.push(performance.now() - t0);
    }
    return { times, totalMs: performance.now() - start };
  }, count);
}

// Opens dist/index.html (the preset it starts with is a trained model), waits until the output is
// painted, then moves the first latent slider `moves` times, each far from the last, with a pause
// between moves so that none coalesces with the previous. Each latency runs from the 'input' event
// (its timeStamp, taken by a capturing listener that runs before the page's own) to the first
// animation frame callback that finds the output canvas's pixels changed: that frame paints them.
// Returns {latencies, missed, errors}.
export async function sliderLatency(browser, moves) {
  const app = await openApp(browser, { path: '' });
  try {
    const { page } = app;
    await page.waitForFunction(() => /ready/.test(document.getElementById('status').textContent), null,
                               { timeout: 60 * SECONDS });
    await page.evaluate(() => {
      // FNV-1a over the pixels of the first canvas the selector matches.
      window.benchCanvasHash = (selector) => {
        const canvas = document.querySelector(selector);
        const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
        let hash = 2166136261;
        for (let i = 0; i < data.length; i++) hash = Math.imul(hash ^ data[i], 16777619) >>> 0;
        return hash;
      };
    });
    // Painted: a canvas never drawn is all zeros (transparent black); a drawn one is opaque.
    await page.waitForFunction((s) => {
      const canvas = document.querySelector(s);
      return canvas && canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data.some((v) => v > 0);
    }, OUTPUT, { timeout: 30 * SECONDS });
    const result = await page.evaluate(async ({ selector, output, moves }) => {
      const slider = document.querySelector(selector);
      const lo = Number(slider.min), hi = Number(slider.max);
      const latencies = [];
      let missed = 0, inputAt = 0;
      document.addEventListener('input', (e) => { if (e.target === slider) inputAt = e.timeStamp; }, true);
      const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
      for (let i = 0; i < moves; i++) {
        const before = window.benchCanvasHash(output);
        // Alternating ends of the range, drifting inward: every move changes the decoded image.
        const fraction = i % 2 ? 0.1 + 0.005 * i : 0.9 - 0.005 * i;
        slider.value = lo + fraction * (hi - lo);
        slider.dispatchEvent(new Event('input', { bubbles: true }));
        const frameAt = await new Promise((resolve) => {
          const deadline = performance.now() + 2000;
          const tick = () => {
            if (window.benchCanvasHash(output) !== before) resolve(performance.now());
            else if (performance.now() > deadline) resolve(null);
            else requestAnimationFrame(tick);
          };
          requestAnimationFrame(tick);
        });
        if (frameAt === null) missed++;
        else latencies.push(frameAt - inputAt);
        await pause(50);
      }
      return { latencies, missed };
    }, { selector: SLIDERS, output: OUTPUT, moves });
    return { ...result, errors: [...app.errors] };
  } finally {
    await app.close();
  }
}

// The latent map's projections in the page's one-worker engine, on the trained MNIST preset:
// PCA of the codes of the 10,000 test images (the worker's own timing of the PCA call, and the
// whole latentMap round trip with the encoding), and full t-SNE runs of 2,000 codes (the worker's
// timing: affinities and every iteration). Medians over `runs`.
export function projectionTimes(page, runs) {
  return page.evaluate(async (runs) => {
    const engine = await window.benchEngines[1];
    const response = await fetch('presets/mnist-3x3.safetensors');
    await engine.load(new Uint8Array(await response.arrayBuffer()));
    const median = (v) => v.slice().sort((a, b) => a - b)[Math.floor(v.length / 2)];
    const pca = [], map = [], tsne = [];
    await engine.latentMap({ count: 10000 });
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      const m = await engine.latentMap({ count: 10000 });
      map.push(performance.now() - t0);
      pca.push(m.pcaMs);
    }
    const { latents, dim } = await engine.latentMap({ count: 2000 });
    let iterations = 0;
    for (let r = 0; r < runs; r++) {
      const result = await engine.tsne(latents, dim);
      tsne.push(result.ms);
      iterations = result.iterations;
    }
    return { pcaMs: median(pca), mapMs: median(map), tsneMs: median(tsne), tsneAll: tsne, iterations, runs };
  }, runs);
}
