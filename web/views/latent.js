// latent.js — the latent map: test images as points on a plane (PCA or t-SNE), coloured by class,
// with a legend, a thumbnail on hover, the current input as a marker, and optionally the images
// the decoder draws over the plane. Draws what it is given; it does not talk to the engine.
import { drawMap, grey } from './maps.js';

// Ten classes, told apart on a dark background (Tableau 10, lightened where it was too dark).
export const CLASS_COLOURS = ['#5cc8ff', '#ffb454', '#7ee3a1', '#ff7a7a', '#b58cff', '#c49c94', '#ff9ad5',
                              '#bfbfbf', '#dbdb8d', '#64d2c3'];
const HEIGHT = 440;        // CSS pixels
const PAD = 34;            // room for the axis labels
const PICK_RADIUS = 10;    // CSS pixels around a point that count as on it

export function createLatentMap(host, legendHost, { onPick, thumbnail }) {
  const wrap = document.createElement('div');
  wrap.className = 'map-wrap';
  const canvas = document.createElement('canvas');
  canvas.className = 'latent-map';
  canvas.tabIndex = 0;
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', 'Latent map: each point is a test image placed by its code. Click to decode a point; ' +
    'with the keyboard, arrows move a cursor and Enter picks');
  const tip = document.createElement('div');
  tip.className = 'map-tip';
  tip.hidden = true;
  const tipCanvas = document.createElement('canvas');
  tipCanvas.width = tipCanvas.height = 28;
  const tipText = document.createElement('span');
  tip.append(tipCanvas, tipText);
  wrap.append(canvas, tip);
  host.append(wrap);

  let data = null;       // {points, labels, classes, axes: [x, y], note}
  let box = null;        // data bounds {x0, x1, y0, y1}
  let marker = null;     // [x, y] in data coordinates
  let manifold = null;   // {image: canvas, x0, x1, y0, y1}
  let hover = -1, highlight = null, pending = false, tipFor = -1;
  let cursor = null;     // the keyboard's place on the canvas (CSS pixels), while it has focus

  function size() {
    const width = Math.max(280, wrap.clientWidth || 560);
    return { width, height: HEIGHT };
  }

  // The top of the points' area: a band of decoded images (a 1-D code) gets a row of its own.
  function top({ width }) {
    return manifold?.band ? 12 + (width - PAD - 8) / manifold.cols : 8;
  }

  // Data to canvas (CSS pixels) and back; the y axis points up.
  function toScreen(x, y, s) {
    const t = top(s);
    return [PAD + (x - box.x0) / (box.x1 - box.x0) * (s.width - PAD - 8),
            t + (box.y1 - y) / (box.y1 - box.y0) * (s.height - PAD - t)];
  }
  function toData(sx, sy, s) {
    const t = top(s);
    return [box.x0 + (sx - PAD) / (s.width - PAD - 8) * (box.x1 - box.x0),
            box.y1 - (sy - t) / (s.height - PAD - t) * (box.y1 - box.y0)];
  }

  function bounds(points) {
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (let i = 0; i < points.length; i += 2) {
      x0 = Math.min(x0, points[i]); x1 = Math.max(x1, points[i]);
      y0 = Math.min(y0, points[i + 1]); y1 = Math.max(y1, points[i + 1]);
    }
    const mx = Math.max((x1 - x0) * 0.05, 1e-6), my = Math.max((y1 - y0) * 0.05, 1e-6);
    return { x0: x0 - mx, x1: x1 + mx, y0: y0 - my, y1: y1 + my };
  }

  function draw() {
    pending = false;
    const s = size();
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(s.width * dpr) || canvas.height !== Math.round(s.height * dpr)) {
      canvas.width = Math.round(s.width * dpr);
      canvas.height = Math.round(s.height * dpr);
      canvas.style.height = `${s.height}px`;
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, s.width, s.height);
    ctx.fillStyle = '#0c1226';
    ctx.fillRect(PAD, 8, s.width - PAD - 8, s.height - PAD - 8);
    if (!data) {
      ctx.fillStyle = '#9aa6c7';
      ctx.font = '13px system-ui, sans-serif';
      ctx.fillText('The map appears once a model and a data set are loaded.', PAD + 12, 40);
      return;
    }
    if (manifold) {
      // A plane fills its data rectangle; a band (one row, for a 1-D code) runs along the top
      // with square tiles.
      const [ax, ay] = toScreen(manifold.x0, manifold.y1, s), [bx, by] = toScreen(manifold.x1, manifold.y0, s);
      const tall = manifold.band ? (bx - ax) / manifold.cols : by - ay;
      ctx.imageSmoothingEnabled = true;
      ctx.globalAlpha = 0.85;
      ctx.drawImage(manifold.image, ax, manifold.band ? 8 : ay, bx - ax, tall);
      ctx.globalAlpha = 1;
    }
    // The axes through the origin of the projection, faint (t-SNE's origin means nothing).
    if (data.origin) {
      ctx.strokeStyle = '#2a3558';
      ctx.lineWidth = 1;
      ctx.beginPath();
      const [ox, oy] = toScreen(0, 0, s);
      if (ox > PAD && ox < s.width - 8) { ctx.moveTo(ox, 8); ctx.lineTo(ox, s.height - PAD); }
      if (oy > 8 && oy < s.height - PAD) { ctx.moveTo(PAD, oy); ctx.lineTo(s.width - 8, oy); }
      ctx.stroke();
    }

    const { points, labels } = data;
    const n = labels.length, r = n > 5000 ? 1.2 : 1.7;
    ctx.globalAlpha = manifold ? 0.55 : 0.85;
    for (let c = 0; c < CLASS_COLOURS.length; c++) {
      ctx.fillStyle = CLASS_COLOURS[c];
      if (highlight !== null && highlight !== c) ctx.globalAlpha = 0.12;
      else ctx.globalAlpha = manifold ? 0.55 : 0.85;
      for (let i = 0; i < n; i++) {
        if (labels[i] !== c) continue;
        const [x, y] = toScreen(points[2 * i], points[2 * i + 1], s);
        ctx.fillRect(x - r, y - r, 2 * r, 2 * r);
      }
    }
    ctx.globalAlpha = 1;
    if (hover >= 0) {
      const [x, y] = toScreen(points[2 * hover], points[2 * hover + 1], s);
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.arc(x, y, 5, 0, 2 * Math.PI);
      ctx.stroke();
    }
    if (cursor) {
      ctx.strokeStyle = '#ffb454';
      ctx.lineWidth = 1.5;
      ctx.strokeRect(cursor[0] - PICK_RADIUS, cursor[1] - PICK_RADIUS, 2 * PICK_RADIUS, 2 * PICK_RADIUS);
    }
    if (marker) {
      const [x, y] = toScreen(marker[0], marker[1], s);
      ctx.strokeStyle = '#000';
      ctx.lineWidth = 4;
      ctx.beginPath();
      ctx.arc(x, y, 8, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(x, y, 8, 0, 2 * Math.PI);
      ctx.moveTo(x - 13, y); ctx.lineTo(x - 4, y);
      ctx.moveTo(x + 4, y); ctx.lineTo(x + 13, y);
      ctx.moveTo(x, y - 13); ctx.lineTo(x, y - 4);
      ctx.moveTo(x, y + 4); ctx.lineTo(x, y + 13);
      ctx.stroke();
    }
    ctx.fillStyle = '#9aa6c7';
    ctx.font = '11px system-ui, sans-serif';
    ctx.textAlign = 'start';
    for (const [v, label] of data.yTicks ?? []) {
      const [, y] = toScreen(box.x0, v, s);
      ctx.fillText(label, PAD + 4, y + 4);
    }
    ctx.font = '12px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.fillText(data.axes[0], PAD + (s.width - PAD - 8) / 2, s.height - 10);
    ctx.save();
    ctx.translate(13, 8 + (s.height - PAD - 8) / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText(data.axes[1], 0, 0);
    ctx.restore();
    ctx.textAlign = 'start';
  }

  function redraw() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(draw);
  }

  // The point nearest to a canvas position, within PICK_RADIUS; -1 if none.
  function nearest(sx, sy) {
    if (!data) return -1;
    const s = size();
    let best = -1, bestD = PICK_RADIUS * PICK_RADIUS;
    const { points } = data;
    for (let i = 0; i < data.labels.length; i++) {
      if (highlight !== null && data.labels[i] !== highlight) continue;
      const [x, y] = toScreen(points[2 * i], points[2 * i + 1], s);
      const d = (x - sx) ** 2 + (y - sy) ** 2;
      if (d < bestD) { bestD = d; best = i; }
    }
    return best;
  }

  function position(event) {
    const rect = canvas.getBoundingClientRect();
    return [event.clientX - rect.left, event.clientY - rect.top];
  }

  async function showTip(index, sx, sy) {
    tipFor = index;
    const { image, label } = await thumbnail(index);
    if (tipFor !== index) return;
    drawMap(tipCanvas, image, { h: 28, w: 28, min: 0, max: 1, table: grey });
    tipText.textContent = `test image #${index}\n${data.classes[label] ?? label}`;
    tip.hidden = false;
    const s = size();
    tip.style.left = `${Math.min(sx + 14, s.width - 110)}px`;
    tip.style.top = `${Math.max(sy - 70, 0)}px`;
  }

  canvas.addEventListener('pointermove', (event) => {
    const [sx, sy] = position(event);
    const i = nearest(sx, sy);
    if (i !== hover) {
      hover = i;
      redraw();
      if (i < 0) { tip.hidden = true; tipFor = -1; } else showTip(i, sx, sy).catch(() => {});
    }
  });
  canvas.addEventListener('pointerleave', () => { hover = -1; tip.hidden = true; tipFor = -1; redraw(); });
  // Keyboard: the arrows move a cursor over the plane (shift: further), the point under it is
  // shown as on hover, and Enter or Space picks there as a click would.
  canvas.addEventListener('keydown', (event) => {
    if (!data) return;
    const steps = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    const s = size();
    cursor ??= [PAD + (s.width - PAD - 8) / 2, top(s) + (s.height - PAD - top(s)) / 2];
    if (steps[event.key]) {
      const [dx, dy] = steps[event.key], by = event.shiftKey ? 40 : 8;
      cursor = [Math.min(Math.max(cursor[0] + dx * by, PAD), s.width - 8), Math.min(Math.max(cursor[1] + dy * by, top(s)), s.height - PAD)];
    } else if (event.key === 'Enter' || event.key === ' ') {
      const index = nearest(...cursor);
      const [x, y] = index >= 0 ? [data.points[2 * index], data.points[2 * index + 1]] : toData(...cursor, s);
      onPick({ index, x, y });
    } else {
      return;
    }
    event.preventDefault();
    hover = nearest(...cursor);
    if (hover < 0) { tip.hidden = true; tipFor = -1; } else showTip(hover, ...cursor).catch(() => {});
    redraw();
  });
  canvas.addEventListener('blur', () => { cursor = null; tip.hidden = true; redraw(); });
  canvas.addEventListener('click', (event) => {
    if (!data) return;
    const [sx, sy] = position(event);
    const index = nearest(sx, sy);
    const [x, y] = index >= 0 ? [data.points[2 * index], data.points[2 * index + 1]] : toData(sx, sy, size());
    onPick({ index, x, y });
  });
  new ResizeObserver(() => redraw()).observe(wrap);

  function buildLegend() {
    legendHost.replaceChildren(...data.classes.map((name, c) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'legend-item';
      b.setAttribute('aria-pressed', String(highlight === c));
      const sw = document.createElement('span');
      sw.className = 'swatch';
      sw.style.background = CLASS_COLOURS[c % CLASS_COLOURS.length];
      b.append(sw, name);
      b.title = `Show only ${name} (click again for all classes)`;
      b.addEventListener('click', () => {
        highlight = highlight === c ? null : c;
        for (const [k, el] of [...legendHost.children].entries()) el.setAttribute('aria-pressed', String(highlight === k));
        redraw();
      });
      return b;
    }));
  }

  return {
    // points: Float32Array(n * 2); labels: Uint8Array(n); classes: names; axes: [x label, y label];
    // origin: draw the axes through (0, 0); yTicks: [[y, label]] written at the left edge.
    setData(next) {
      const classesChanged = !data || data.classes.join() !== next.classes.join();
      data = next;
      box = bounds(next.points);
      if (classesChanged) { highlight = null; buildLegend(); }
      hover = -1;
      tip.hidden = true;
      redraw();
    },
    clear() { data = null; manifold = null; marker = null; legendHost.replaceChildren(); redraw(); },
    setMarker(point) { marker = point; redraw(); },
    // images: Float32Array(rows * cols * 28 * 28), row 0 at the top, drawn over the data rectangle
    // x0..x1, y0..y1 (band: one row along the top of the plot instead).
    setManifold(next) {
      if (!next) { manifold = null; redraw(); return; }
      const { images, rows, cols, x0, x1, y0, y1, band = false } = next;
      const image = document.createElement('canvas');
      image.width = cols * 28;
      image.height = rows * 28;
      const ctx = image.getContext('2d');
      const pixels = ctx.createImageData(image.width, image.height);
      for (let r = 0; r < rows; r++)
        for (let c = 0; c < cols; c++)
          for (let y = 0; y < 28; y++)
            for (let x = 0; x < 28; x++) {
              const v = images[(r * cols + c) * 784 + y * 28 + x];
              const o = ((r * 28 + y) * image.width + c * 28 + x) * 4;
              pixels.data[o] = pixels.data[o + 1] = pixels.data[o + 2] = 235;
              pixels.data[o + 3] = Math.round(Math.min(Math.max(v, 0), 1) * 255);
            }
      ctx.putImageData(pixels, 0, 0);
      manifold = { image, x0, x1, y0, y1, cols, band };
      redraw();
    },
    bounds: () => (box ? { ...box } : null),
    // Where a canvas position is in data coordinates (for tests and keyboard use).
    screenOf(i) { return data ? toScreen(data.points[2 * i], data.points[2 * i + 1], size()) : null; },
  };
}
