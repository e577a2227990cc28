// interpolation.js — the interpolation panel: two inputs A and B, the strip of codes between them
// decoded, and the handle that sends a code along the path to the sliders. Follows the store's
// model and data set; asks the engine to encode the ends and decode the path.
import { along } from '../lib/latent.js';
import { STRIP } from '../views/interpolate.js';
import { store } from './store.js';

export function createInterpolationPanel({ interp, notices }) {
  const s = store.state;
  const ends = { A: null, B: null };  // {image, caption}
  let endCodes = null;                // their codes under the current model: [zA, zB]

  const spherical = () => Boolean(s.model?.config.variational);
  const report = (e) => { if (e.code !== 'crashed') notices.error(e.message); };

  async function setEnd(which, image, caption) {
    ends[which] = { image, caption };
    interp.setEnd(which, image, caption);
    await updateStrip();
  }

  // The strip follows the model: the ends are encoded again and the codes between them decoded.
  async function updateStrip() {
    const { A, B } = ends;
    if (!A || !B || !s.model) return;
    try {
      const both = new Float32Array(A.image.length * 2);
      both.set(A.image);
      both.set(B.image, A.image.length);
      const { latents } = await s.engine.encode(both);
      const d = latents.length / 2;
      const zA = latents.slice(0, d), zB = latents.slice(d);
      endCodes = [zA, zB];
      const path = new Float32Array(STRIP * d);
      for (let k = 0; k < STRIP; k++) path.set(along(zA, zB, k / (STRIP - 1), { spherical: spherical() }), k * d);
      const { images } = await s.engine.decode(path);
      interp.setStrip(images);
      interp.setNote(spherical()
        ? 'Spherical interpolation (slerp) between the two codes’ means: the path keeps the size a code from the prior would have. Drag the handle, or click a step, to send that code to the sliders.'
        : 'Linear interpolation between the two codes: each step is decoded. Drag the handle, or click a step, to send that code to the sliders.');
    } catch (e) {
      report(e);
    }
  }

  // Two test images of different classes to start from, for each data set.
  async function defaultEnds() {
    const d = s.dataset;
    if (!d) return;
    const b = d.testLabels.findIndex((l) => l !== d.testLabels[0]);
    const { images } = await s.engine.testImages({ count: b + 1, offset: 0 });
    const size = images.length / (b + 1);
    ends.A = null;
    await setEnd('A', images.slice(0, size), `test #0 · label: ${d.classes[d.testLabels[0]]}`);
    await setEnd('B', images.slice(b * size, (b + 1) * size), `test #${b} · label: ${d.classes[d.testLabels[b]]}`);
  }

  store.on('dataset', () => defaultEnds().catch(report));
  // A new map means the codes moved (a new model, or training): the path follows.
  store.on('latentStats', () => updateStrip());

  const handlers = {
    onSetEnd: (which) => {
      if (s.input) setEnd(which, Float32Array.from(s.input.image), s.input.caption);
    },
    onMove: (t) => {
      if (endCodes) store.update({ code: along(...endCodes, t, { spherical: spherical() }), slidersMoved: true });
    },
  };
  return { handlers };
}
