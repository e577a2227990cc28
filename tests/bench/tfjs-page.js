// tfjs-page.js — runs in tests/bench/tfjs.html: the default AeVP model built with TensorFlow.js
// layers and trained on MNIST, for bench.mjs. A classic script (tf is a UMD global); not a test.
//
// The same model as core/ and tests/golden/make_golden.py, with two documented differences that do
// not change the work: TF's padding 'same' with stride 2 pads asymmetrically (0 before, 1 after,
// where PyTorch's padding=1 pads 1 on both sides and never reads the last row), and the BCE is
// taken on the sigmoid's output (clipped to [eps, 1-eps]) rather than from the logits. Parameter
// count and shapes are identical (10,674 for the default config).
//
// Any other config (setUp's `config`, the engine's with its defaults filled in) is built from tf ops
// on tf.variable tensors and trained with optimizer.minimize: the layers of tests/golden/arch_twin.py's
// forward in its order, with its padding exactly (k//2 on every side; a transposed conv's output
// size given, which is PyTorch's output_padding), residual blocks (conv, activation, conv, plus the
// block's input, activation), self-attention over the positions of the lowest resolution (q/k/v/o
// as C x C dense projections, softmax over the keys of q.k / sqrt(C), plus the input), and the BCE
// from the logits as the mean over all pixels. The weights are drawn from U(-1/sqrt(fan_in),
// 1/sqrt(fan_in)); they matter for the speed only. Adam only; no VAE.
'use strict';

window.tfjsBench = (() => {
  const IMAGES = 1024;   // cycled through; enough for a warm-up and every measured run
  let model = null, batches = [], next = 0, batchSize = 64;

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
    return { params: m.countParams(), step: (x) => m.trainOnBatch(x, x) };
  }

  const ACTIVATIONS = { relu: (t) => tf.relu(t), leaky_relu: (t) => tf.leakyRelu(t, 0.01), elu: (t) => tf.elu(t),
                        tanh: (t) => tf.tanh(t) };

  // The config's model from tf ops: {params, step(x) -> loss}.
  function buildOpsModel(cfg) {
    if (cfg.variational) throw new Error('the TF.js ops model has no VAE');
    if (cfg.loss !== 'bce' || cfg.optimizer !== 'adam') throw new Error('the TF.js ops model trains the BCE with Adam only');
    const act = ACTIVATIONS[cfg.activation];
    const k = cfg.kernel_size, pad = k >> 1, depth = cfg.filters.length, { h, w, c } = cfg.input;
    const sizes = [[h, w]];
    for (let i = 0; i < depth; i++) sizes.push(sizes[i].map((v) => (v + 1) >> 1));
    const [lowH, lowW] = sizes[depth], lowC = cfg.filters[depth - 1], latent = cfg.latent_grid ** 2;
    const attends = (where) => cfg.attention === where || cfg.attention === 'both';

    // Variables by name, made on first use (the first forward pass, outside minimize).
    const vars = new Map();
    const variable = (name, shape, fanIn) => {
      if (!vars.has(name)) {
        const bound = 1 / Math.sqrt(fanIn);
        vars.set(name, tf.variable(tf.randomUniform(shape, -bound, bound), true, name));
      }
      return vars.get(name);
    };
    // conv weight (k,k,in,out), transposed conv (k,k,out,in) — the engine's layouts — dense (in,out).
    const conv = (x, name, out, stride = 1) => {
      const cin = x.shape[3];
      return tf.add(tf.conv2d(x, variable(`${name}.weight`, [k, k, cin, out], cin * k * k), stride, pad),
                    variable(`${name}.bias`, [out], cin * k * k));
    };
    const dense = (x, name, out) => {
      const cin = x.shape[x.shape.length - 1];
      return tf.add(tf.matMul(x, variable(`${name}.weight`, [cin, out], cin)), variable(`${name}.bias`, [out], cin));
    };
    const blocks = (prefix, x) => {
      for (let j = 1; j <= cfg.res_blocks; j++) {
        const width = x.shape[3];
        x = act(tf.add(x, conv(act(conv(x, `${prefix}.res${j}.a`, width)), `${prefix}.res${j}.b`, width)));
      }
      return x;
    };
    const attention = (name, x) => {
      const [n, ah, aw, ac] = x.shape;
      const rows = tf.reshape(x, [n * ah * aw, ac]);
      // a projection of every position's row, as (n, positions, C)
      const lin = (t, q) => tf.reshape(dense(tf.reshape(t, [n * ah * aw, ac]), `${name}.${q}`, ac), [n, ah * aw, ac]);
      const weights = tf.softmax(tf.div(tf.matMul(lin(rows, 'q'), lin(rows, 'k'), false, true), Math.sqrt(ac)));
      return tf.reshape(tf.add(rows, tf.reshape(lin(tf.matMul(weights, lin(rows, 'v')), 'o'), [n * ah * aw, ac])),
                        [n, ah, aw, ac]);
    };

    const logitsOf = (input) => {
      const n = input.shape[0];
      let x = input;
      for (let i = 1; i <= depth; i++) {
        if (cfg.downsample === 'stride') {
          x = act(conv(x, `conv${i}`, cfg.filters[i - 1], 2));
        } else {
          x = tf.maxPool(act(conv(x, `conv${i}`, cfg.filters[i - 1])), 2, 2, 'same');
        }
        x = blocks(`enc${i}`, x);
      }
      if (attends('encoder')) x = attention('attn_enc', x);
      x = dense(tf.reshape(x, [n, lowH * lowW * lowC]), 'enc', latent);  // NHWC order, as ours
      x = tf.reshape(act(dense(x, 'dec', lowH * lowW * lowC)), [n, lowH, lowW, lowC]);
      if (attends('decoder')) x = attention('attn_dec', x);
      for (let s = 1; s <= depth; s++) {
        x = blocks(`dec${s}`, x);
        const [outH, outW] = sizes[depth - s], cin = x.shape[3], out = s < depth ? cfg.filters[depth - s - 1] : cfg.filters[0];
        if (cfg.upsample === 'transpose') {
          // fan-in as torch counts it for a transposed conv: weight.size(1) * k * k, its output channels
          const weight = variable(`convT${s}.weight`, [k, k, out, cin], out * k * k);
          x = tf.add(tf.conv2dTranspose(x, weight, [n, outH, outW, out], 2, pad), variable(`convT${s}.bias`, [out], out * k * k));
        } else {
          x = conv(tf.image.resizeNearestNeighbor(x, [outH, outW]), `up${s}`, out);
        }
        x = act(x);
      }
      return conv(x, 'out', c);
    };
    const lossOf = (x) => tf.losses.sigmoidCrossEntropy(x, logitsOf(x), undefined, 0, tf.Reduction.MEAN);
    tf.tidy(() => { logitsOf(tf.zeros([1, h, w, c])); });
    const list = [...vars.values()];
    const optimizer = tf.train.adam(cfg.learning_rate);
    return {
      params: list.reduce((sum, v) => sum + v.size, 0),
      step: async (x) => {
        const loss = optimizer.minimize(() => lossOf(x), true, list);
        const value = (await loss.data())[0];
        loss.dispose();
        return value;
      },
    };
  }

  // Picks the backend, loads the images and builds the model: the default one with tf.layers, or
  // with config (the engine's, defaults filled in) from tf ops. wasmPaths: the URL of the folder
  // holding the wasm backend's .wasm files.
  async function setUp({ backend, mnistUrl, wasmPaths, config = null }) {
    if (backend === 'wasm') tf.wasm.setWasmPaths(wasmPaths);
    if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') returned false`);
    await tf.ready();
    const { pixels, n } = await mnistImages(mnistUrl, IMAGES);
    batchSize = config?.batch_size ?? 64;
    batches = [];
    for (let start = 0; start + batchSize <= n; start += batchSize)
      batches.push(tf.tensor4d(pixels.subarray(start * 784, (start + batchSize) * 784), [batchSize, 28, 28, 1]));
    model = config ? buildOpsModel(config) : buildModel();
    return { version: tf.version.tfjs, backend: tf.getBackend(), params: model.params };
  }

  // Trains whole batches until at least `count` samples are done; the target is the input.
  async function train(count) {
    let samples = 0, loss = NaN;
    const t0 = performance.now();
    while (samples < count) {
      const x = batches[next];
      next = (next + 1) % batches.length;
      loss = await model.step(x);
      samples += batchSize;
    }
    const ms = performance.now() - t0;
    return { samples, ms, samplesPerSec: samples / ms * 1000, loss, tensors: tf.memory().numTensors };
  }

  return { setUp, train };
})();
