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
export function createLossChart(host) {
  const xs = [], train = [], val = [];
  let ema = null, pending = false;
  const plot = new uPlot({
    width: width(host), height: 210,
    scales: { x: { time: false } },
    axes: [{ ...AXIS, label: 'epoch', labelSize: 20 }, { ...AXIS, label: 'loss', labelSize: 24, size: 52 }],
    series: [
      { label: 'epoch', value: (u, v) => (v == null ? '–' : v.toFixed(2)) },
      { label: 'train (smoothed)', stroke: '#5cc8ff', width: 1.6, value: (u, v) => (v == null ? '–' : v.toFixed(4)) },
      { label: 'validation', stroke: '#ffb454', width: 2, spanGaps: true, points: { size: 7, fill: '#ffb454' },
        value: (u, v) => (v == null ? '–' : v.toFixed(4)) },
    ],
    cursor: { drag: { x: false, y: false } },
  }, [xs, train, val], host);
  resizeWith(host, plot);

  function redraw() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      plot.setData([xs, train, val]);
    });
  }

  return {
    reset() {
      xs.length = train.length = val.length = 0;
      ema = null;
      redraw();
    },
    // One batch-progress event: x is the fractional epoch.
    addTrain(x, loss) {
      ema = ema == null ? loss : 0.9 * ema + 0.1 * loss;
      xs.push(x);
      train.push(ema);
      val.push(null);
      redraw();
    },
    addValidation(epoch, loss) {
      xs.push(epoch);
      train.push(ema);
      val.push(loss);
      redraw();
    },
    data: () => ({ xs: xs.slice(), train: train.slice(), val: val.slice() }),
    // Puts back what data() gave (from the autosave).
    restore(saved) {
      if (!saved?.xs) return;
      xs.splice(0, xs.length, ...saved.xs);
      train.splice(0, train.length, ...saved.train);
      val.splice(0, val.length, ...saved.val);
      ema = train.at(-1) ?? null;
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
