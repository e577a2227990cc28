// charts.js — the loss chart of the current run and the chart comparing finished runs, with
// uPlot. Data stays columnar and is handed to uPlot at most once per animation frame.
import uPlot from '../vendor/uPlot.esm.js';

const AXIS = { stroke: '#9aa6c7', grid: { stroke: '#2a3558', width: 1 }, ticks: { stroke: '#2a3558' } };
export const RUN_COLOURS = ['#5cc8ff', '#ffb454', '#b58cff', '#7ee3a1', '#ff7a7a', '#f0e68c', '#64d2c3', '#ff9ad5'];

function width(host) { return Math.max(260, host.clientWidth || 300); }

function resizeWith(host, plot) {
  new ResizeObserver(() => plot.setSize({ width: width(host), height: plot.height })).observe(host);
}

// The current run: smoothed training loss against fractional epoch, validation loss per epoch.
// A VAE's run shows its two terms instead: reconstruction (left axis) and KL (right axis, nats
// per image), each for training and validation.
export function createLossChart(host) {
  const xs = [], train = [], val = [], trainKl = [], valKl = [];
  let ema = null, emaKl = null, pending = false, variational = false, plot = null;
  const value = (digits) => (u, v) => (v == null ? '–' : v.toFixed(digits));

  function build() {
    plot?.destroy();
    host.replaceChildren();
    const series = [
      { label: 'epoch', value: value(2) },
      { label: variational ? 'reconstruction, train' : 'train (smoothed)', stroke: '#5cc8ff', width: 1.6, value: value(4) },
      { label: variational ? 'reconstruction, validation' : 'validation', stroke: '#ffb454', width: 2, spanGaps: true,
        points: { size: 7, fill: '#ffb454' }, value: value(4) },
    ];
    const axes = [{ ...AXIS, label: 'epoch', labelSize: 20 },
                  { ...AXIS, label: variational ? 'reconstruction loss' : 'loss', labelSize: 24, size: 52 }];
    const scales = { x: { time: false } };
    if (variational) {
      series.push(
        { label: 'KL, train', stroke: '#b58cff', width: 1.4, dash: [5, 4], scale: 'kl', value: value(2) },
        { label: 'KL, validation', stroke: '#7ee3a1', width: 2, spanGaps: true, scale: 'kl',
          points: { size: 6, fill: '#7ee3a1' }, value: value(2) });
      axes.push({ ...AXIS, scale: 'kl', side: 1, grid: { show: false }, label: 'KL (nats per image)', labelSize: 24, size: 48 });
      scales.kl = { auto: true };
    }
    plot = new uPlot({ width: width(host), height: 210, scales, axes, series, cursor: { drag: { x: false, y: false } } },
      columns(), host);
  }

  function columns() { return variational ? [xs, train, val, trainKl, valKl] : [xs, train, val]; }

  build();
  new ResizeObserver(() => plot.setSize({ width: width(host), height: plot.height })).observe(host);

  function redraw() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      plot.setData(columns());
    });
  }

  return {
    reset() {
      xs.length = train.length = val.length = trainKl.length = valKl.length = 0;
      ema = emaKl = null;
      redraw();
    },
    setVariational(on) {
      if (on === variational) return;
      variational = on;
      build();
    },
    // One batch-progress event: x is the fractional epoch; a VAE's loss is its reconstruction
    // term, kl its KL term.
    addTrain(x, loss, kl = null) {
      ema = ema == null ? loss : 0.9 * ema + 0.1 * loss;
      if (kl != null) emaKl = emaKl == null ? kl : 0.9 * emaKl + 0.1 * kl;
      xs.push(x);
      train.push(ema);
      val.push(null);
      trainKl.push(kl == null ? null : emaKl);
      valKl.push(null);
      redraw();
    },
    addValidation(epoch, loss, kl = null) {
      xs.push(epoch);
      train.push(ema);
      val.push(loss);
      trainKl.push(kl == null ? null : emaKl);
      valKl.push(kl);
      redraw();
    },
    data: () => ({ xs: xs.slice(), train: train.slice(), val: val.slice(), trainKl: trainKl.slice(),
                   valKl: valKl.slice(), variational }),
    // Puts back what data() gave (from the autosave).
    restore(saved) {
      if (!saved?.xs) return;
      this.setVariational(Boolean(saved.variational));
      const fill = (target, source) => target.splice(0, target.length, ...(source ?? saved.xs.map(() => null)));
      fill(xs, saved.xs);
      fill(train, saved.train);
      fill(val, saved.val);
      fill(trainKl, saved.trainKl);
      fill(valKl, saved.valKl);
      ema = train.at(-1) ?? null;
      emaKl = trainKl.at(-1) ?? null;
      redraw();
    },
  };
}

// Finished runs: validation loss per epoch, one series per run, labelled by what differed.
export function createRunsChart(host) {
  let plot = null;
  return {
    render(runs) {
      plot?.destroy();
      plot = null;
      host.replaceChildren();
      if (!runs.length) return;
      const epochs = Math.max(...runs.map((r) => r.history.length), 1);
      const xs = Array.from({ length: epochs }, (_, i) => i + 1);
      const data = [xs, ...runs.map((r) => xs.map((e) => r.history[e - 1]?.valLoss ?? null))];
      plot = new uPlot({
        width: width(host), height: 220,
        scales: { x: { time: false } },
        axes: [{ ...AXIS, label: 'epoch', labelSize: 20 }, { ...AXIS, label: 'validation loss', labelSize: 24, size: 52 }],
        series: [{ label: 'epoch' }, ...runs.map((r, i) => ({
          label: `#${r.number} ${r.label}`, stroke: RUN_COLOURS[i % RUN_COLOURS.length], width: 2, spanGaps: true,
          points: { size: 6 }, value: (u, v) => (v == null ? '–' : v.toFixed(4)),
        }))],
      }, data, host);
      resizeWith(host, plot);
    },
  };
}
