// tfjs-page.js — runs in tests/bench/tfjs.html: the default AeVP model built with TensorFlow.js
// layers and trained on MNIST, for bench.mjs. A classic script (tf is a UMD global); not a test.
//
// The same model as core/ and tests/golden/make_golden.py, with two documented differences that do
// not change the work: TF's padding 'same' with stride 2 pads asymmetrically (0 before, 1 after,
// where PyTorch's padding=1 pads 1 on both sides and never reads the last row), and the BCE is
// taken on the sigmoid's output (clipped to [eps, 1-eps]) rather than from the logits. Parameter
// count and shapes are identical (10,674 for the default config).
'use strict';

window.tfjsBench = (() => {
  const BATCH = 64;
  const IMAGES = 1024;   // cycled through; enough for a warm-up and every measured run
  let model = null, batches = [], next = 0;

  // The first `count` MNIST training images as (count,28,28,1) floats in [0,1], decoded in the
  // page from the IDX gzip.
  async function mnistImages(url, count) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
    const stream = response.body.pipeThrough(new DecompressionStream('gzip'));
    const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
    const header = new DataView(bytes.buffer, 0, 16);
    if (header.getUint32(0) !== 2051 || header.getUint32(8) !== 28 || header.getUint32(12) !== 28)
      throw new Error(`${url}: not an IDX3 file of 28x28 images`);
    const n = Math.min(count, header.getUint32(4));
    const pixels = new Float32Array(n * 784);
    for (let i = 0; i < pixels.length; i++) pixels[i] = bytes[16 + i] / 255;
    return { pixels, n };
  }

  function buildModel() {
    const conv = (filters, strides, activation) =>
      tf.layers.conv2d({ filters, kernelSize: 3, strides, padding: 'same', activation });
    const convTranspose = (filters) =>
      tf.layers.conv2dTranspose({ filters, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' });
    const m = tf.sequential({
      layers: [
        tf.layers.inputLayer({ inputShape: [28, 28, 1] }),
        conv(16, 2, 'relu'),                                   // 14x14x16
        conv(8, 2, 'relu'),                                    // 7x7x8
        tf.layers.flatten(),                                   // 392, NHWC order as ours
        tf.layers.dense({ units: 9 }),                         // the latent, linear
        tf.layers.dense({ units: 392, activation: 'relu' }),
        tf.layers.reshape({ targetShape: [7, 7, 8] }),
        convTranspose(8),                                      // 14x14x8
        convTranspose(16),                                     // 28x28x16
        conv(1, 1, 'sigmoid'),                                 // 28x28x1
      ],
    });
    m.compile({ optimizer: tf.train.adam(1e-3), loss: 'binaryCrossentropy' });
    return m;
  }

  // Picks the backend, loads the images and builds the model. wasmPaths: the URL of the folder
  // holding the wasm backend's .wasm files.
  async function setUp({ backend, mnistUrl, wasmPaths }) {
    if (backend === 'wasm') tf.wasm.setWasmPaths(wasmPaths);
    if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') returned false`);
    await tf.ready();
    const { pixels, n } = await mnistImages(mnistUrl, IMAGES);
    batches = [];
    for (let start = 0; start + BATCH <= n; start += BATCH)
      batches.push(tf.tensor4d(pixels.subarray(start * 784, (start + BATCH) * 784), [BATCH, 28, 28, 1]));
    model = buildModel();
    return { version: tf.version.tfjs, backend: tf.getBackend(), params: model.countParams() };
  }

  // Trains whole batches until at least `count` samples are done; the target is the input.
  async function train(count) {
    let samples = 0, loss = NaN;
    const t0 = performance.now();
    while (samples < count) {
      const x = batches[next];
      next = (next + 1) % batches.length;
      loss = await model.trainOnBatch(x, x);
      samples += BATCH;
    }
    const ms = performance.now() - t0;
    return { samples, ms, samplesPerSec: samples / ms * 1000, loss, tensors: tf.memory().numTensors };
  }

  return { setUp, train };
})();
