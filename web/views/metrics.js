// metrics.js — the reconstruction's error map and metric cards, and the table of test-set averages
// per epoch. Draws the numbers it is given; computes nothing but |output - target|.
import { drawMap, format, viridis } from './maps.js';

function cell(tag, text, className) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  el.textContent = text;
  return el;
}

export function createMetrics({ errorCanvas, cards, averages }) {
  // metrics null: the sliders moved, so there is no target to compare with.
  function show(output, target, metrics, { h, w }) {
    const err = new Float32Array(output.length);
    for (let i = 0; i < err.length; i++) err[i] = Math.abs(output[i] - target[i]);
    drawMap(errorCanvas, err, { h, w, min: 0, max: 1, table: viridis });
    const values = metrics
      ? [['MSE', format(metrics.mse, 4)], ['PSNR', `${metrics.psnr.toFixed(2)} dB`], ['SSIM', metrics.ssim.toFixed(3)]]
      : [['MSE', '—'], ['PSNR', '—'], ['SSIM', '—']];
    cards.replaceChildren(...values.map(([name, value]) => {
      const el = cell('div', '', 'metric');
      el.append(cell('div', metrics ? name : `${name} (sliders moved)`, 'name'), cell('div', value, 'value'));
      return el;
    }));
  }

  // The last six epochs of history; for an empty one (a new run, a preset, a file) the hint again:
  // another model's table would describe a model that is gone.
  function showAverages(history, { testCount }) {
    if (!history.length) {
      const hint = cell('p', 'Test-set averages appear after each epoch.');
      hint.className = 'hint';
      averages.replaceChildren(hint);
      return;
    }
    const table = document.createElement('table');
    const head = table.createTHead().insertRow();
    const vae = history.some((h) => h.valKl !== undefined);
    for (const name of ['epoch', 'val loss', ...(vae ? ['KL'] : []), 'MSE', 'PSNR', 'SSIM']) head.append(cell('th', name));
    const body = document.createElement('tbody');
    for (const h of history.slice(-6)) {
      const tr = document.createElement('tr');
      const kl = vae ? [h.valKl === undefined ? '—' : h.valKl.toFixed(2)] : [];
      for (const v of [h.epoch, h.valLoss.toFixed(4), ...kl, h.mse.toFixed(4), `${h.psnr.toFixed(2)} dB`, h.ssim.toFixed(3)])
        tr.append(cell('td', v));
      body.append(tr);
    }
    table.append(body);
    averages.replaceChildren(cell('h3', `Test-set averages (${testCount.toLocaleString('en')} images)`), table);
  }

  return { show, showAverages };
}
