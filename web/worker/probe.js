// probe.js — is a model usable? Weights can be finite and still absurd (±3e38 from a hostile link
// or a damaged file): the forward pass then overflows, and every view downstream (sliders, the
// latent map, the PCA) would meet Infinity or NaN. A probe batch through the encoder and the
// decoder, and one full trace, must stay finite. Knows the model's API, no protocol.
import { EngineError } from '../errors.js';
import { testImages } from './datasets.js';

const MAX_CODE = 1e6;    // a latent coordinate past this is no code a trained model gives

// Four plain images of the model's input size (black, white, a ramp, a checkerboard) and, when a
// data set of that size is loaded, four of its test images.
function probeImages(core, m, d) {
  const n = m.inputSize;
  const plain = new Float32Array(4 * n);
  for (let i = 0; i < n; i++) {
    plain[n + i] = 1;
    plain[2 * n + i] = i / (n - 1 || 1);
    plain[3 * n + i] = (i + Math.floor(i / m.config.input.w)) % 2;
  }
  if (!d || d.shape[0] * d.shape[1] * d.shape[2] !== n || d.test.count < 4) return plain;
  const images = new Float32Array(8 * n);
  images.set(plain);
  images.set(testImages(core, d, { count: 4 }).images, 4 * n);
  return images;
}

function firstBad(values, limit = Infinity) {
  for (let i = 0; i < values.length; i++) if (!(Math.abs(values[i]) <= limit)) return i;
  return -1;
}

// Throws EngineError('model') with what went wrong, in words, if m is not usable (the caller says
// where the weights came from and what was kept).
export function requireUsable(core, m, d) {
  const images = probeImages(core, m, d);
  const count = images.length / m.inputSize;
  const refuse = (detail) => {
    throw new EngineError('model', `its weights are finite but absurd (far too large for a trained network, or damaged): ${detail}`);
  };
  const codes = m.encode(images);
  const badCode = firstBad(codes, MAX_CODE);
  if (badCode >= 0)
    refuse(`on ${count} probe images the bottleneck gives ${codes[badCode]}, where a trained network's codes stay well within ±${MAX_CODE.toExponential(0)}`);
  const outputs = m.decode(codes);
  const badOut = firstBad(outputs);
  if (badOut >= 0) refuse(`on ${count} probe images the reconstruction has ${outputs[badOut]}`);
  for (const stage of m.trace(images.subarray(0, m.inputSize))) {
    const bad = firstBad(stage.data);
    if (bad >= 0) refuse(`the ${stage.name} layer's output is ${stage.data[bad]} for a black image`);
  }
}
