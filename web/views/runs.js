// runs.js — the training panel's text views: the model's facts (size, work, time estimate) and
// the list of completed runs. Draws what it is given; the estimate is computed by the caller.
import { RUN_COLOURS } from './charts.js';

// Seconds as people read them: "40 s", "12 min", "1.5 h".
export function minutes(seconds) {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

// rows: [[term, definition], …] into a <dl>.
export function renderFacts(list, rows) {
  list.replaceChildren(...rows.flatMap(([k, v]) => {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    return [dt, dd];
  }));
}

// runs: [{number, label, history}] into the <ol>, each with its chart colour.
export function renderRuns(list, runs) {
  list.replaceChildren(...runs.map((r, i) => {
    const li = document.createElement('li');
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = RUN_COLOURS[i % RUN_COLOURS.length];
    const last = r.history.at(-1);
    const diff = document.createElement('span');
    diff.className = 'diff';
    diff.textContent = r.label;
    li.append(sw, `#${r.number} `, diff, ` — ${r.history.length} epoch${r.history.length === 1 ? '' : 's'}, val loss ${last.valLoss.toFixed(4)}, PSNR ${last.psnr.toFixed(2)} dB`);
    return li;
  }));
}
