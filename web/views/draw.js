// draw.js — the drawing pad (pointer strokes, brush, eraser, undo, clear, a 28×28 preview). Its
// pure image helpers (MNIST-style preprocessing, seeded corruption) are in lib/image.js. No engine.
import { preprocessMnist } from '../lib/image.js';

export { corrupt, preprocessMnist } from '../lib/image.js';

const PAD_SIZE = 280;       // backing-store pixels of the pad: 10× MNIST, so strokes keep sub-pixel detail
const SIDE = 28;            // MNIST images are 28×28
const MAX_STEPS = 40;       // undo depth; older steps are flattened into a base snapshot

// ---------------------------------------------------------------------------------------------
// The drawing pad (browser only)

// Colours derive from the surrounding text colour (currentColor), so the pad reads well on a
// light page and on a dark one without knowing either; only the drawing surfaces are fixed black.


function element(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'text') node.textContent = value;
    else node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

// A stroke is drawn with quadratic curves through the midpoints of its samples (each sample is
// the control point), so replaying a stroke for undo gives exactly what was drawn live.
function drawDot(ctx, stroke) {
  const p = stroke.points[0];
  ctx.fillStyle = stroke.colour;
  ctx.beginPath();
  ctx.arc(p.x, p.y, p.width / 2, 0, 2 * Math.PI);
  ctx.fill();
}

function drawPiece(ctx, stroke, k) {
  const { points } = stroke, p = points[k - 1], q = points[k];
  const start = k === 1 ? p : { x: (points[k - 2].x + p.x) / 2, y: (points[k - 2].y + p.y) / 2 };
  ctx.strokeStyle = stroke.colour;
  ctx.lineWidth = (p.width + q.width) / 2;
  ctx.beginPath();
  ctx.moveTo(start.x, start.y);
  ctx.quadraticCurveTo(p.x, p.y, (p.x + q.x) / 2, (p.y + q.y) / 2);
  ctx.stroke();
}

function drawTail(ctx, stroke) {
  const { points } = stroke, n = points.length;
  if (n < 2) return;
  const p = points[n - 2], q = points[n - 1];
  ctx.strokeStyle = stroke.colour;
  ctx.lineWidth = q.width;
  ctx.beginPath();
  ctx.moveTo((p.x + q.x) / 2, (p.y + q.y) / 2);
  ctx.lineTo(q.x, q.y);
  ctx.stroke();
}

// onChange(image, {empty}): image is a fresh Float32Array(784) in [0, 1], row-major, ink = 1;
// called at most once per animation frame while drawing, and after undo, clear and setImage.
export function createDrawPad(container, { onChange } = {}) {

  const canvas = element('canvas', {
    class: 'draw-canvas', width: PAD_SIZE, height: PAD_SIZE, tabindex: '0', role: 'img',
    'aria-label': 'Drawing pad: draw a digit with a mouse, finger or pen. Ctrl+Z or Cmd+Z undoes the last stroke.',
  });
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';

  const preview = element('canvas', {
    width: SIDE, height: SIDE, role: 'img', 'aria-label': 'The drawing as the network sees it, 28 by 28 pixels',
  });
  const previewCtx = preview.getContext('2d');
  const previewPixels = previewCtx.createImageData(SIDE, SIDE);

  const sizeInput = element('input', { type: 'range', min: '6', max: '40', step: '1', value: '18' });
  const sizeOutput = element('output', { text: '18', 'aria-hidden': 'true' });
  const penButton = element('button', { type: 'button', class: 'draw-button', 'aria-pressed': 'true', text: 'Pen' });
  const eraserButton = element('button', { type: 'button', class: 'draw-button', 'aria-pressed': 'false', text: 'Eraser' });
  const undoButton = element('button', {
    type: 'button', class: 'draw-button', 'aria-disabled': 'true', 'aria-keyshortcuts': 'Control+Z Meta+Z', text: 'Undo',
  });
  const clearButton = element('button', { type: 'button', class: 'draw-button', text: 'Clear' });
  const status = element('span', { class: 'draw-sr', role: 'status' });

  const root = element('div', { class: 'draw-pad' }, [
    element('div', { class: 'draw-toolbar', role: 'toolbar', 'aria-label': 'Drawing tools' }, [
      element('label', { class: 'draw-size' }, [element('span', { text: 'Brush size' }), sizeInput, sizeOutput]),
      element('div', { class: 'draw-group', role: 'group', 'aria-label': 'Tool' }, [penButton, eraserButton]),
      undoButton,
      clearButton,
    ]),
    element('div', { class: 'draw-surfaces' }, [
      canvas,
      element('figure', { class: 'draw-preview' }, [preview, element('figcaption', { text: 'what the network sees' })]),
    ]),
    status,
  ]);
  container.append(root);

  // History: a base snapshot (null = black) plus up to MAX_STEPS replayable steps:
  // {kind: 'stroke', colour, points: [{x, y, width}]}, {kind: 'clear'}, {kind: 'image', pixels}.
  let base = null;
  const steps = [];
  let tool = 'pen';
  let active = null;          // {pointerId, stroke} while a stroke is being drawn
  let frame = 0;
  let dirty = false;
  let current = new Float32Array(SIDE * SIDE);
  let empty = true;
  let scratch = null;         // a 28×28 canvas for setImage's upscaling
  let flatCanvas = null;      // where the oldest step is merged into the base

  function scratchContext() {
    scratch ??= Object.assign(document.createElement('canvas'), { width: SIDE, height: SIDE });
    return scratch.getContext('2d');
  }

  function fillBlack(target) {
    target.fillStyle = '#000000';
    target.fillRect(0, 0, PAD_SIZE, PAD_SIZE);
  }

  function drawImageStep(target, pixels) {
    const small = scratchContext();
    const data = small.createImageData(SIDE, SIDE);
    for (let i = 0; i < pixels.length; i++) {
      const v = Math.round(Math.min(1, Math.max(0, pixels[i])) * 255);
      data.data[4 * i] = data.data[4 * i + 1] = data.data[4 * i + 2] = v;
      data.data[4 * i + 3] = 255;
    }
    small.putImageData(data, 0, 0);
    fillBlack(target);
    // Smooth upscaling: the user draws over a soft digit, and re-preprocessing it gives it back.
    target.imageSmoothingEnabled = true;
    target.imageSmoothingQuality = 'high';
    target.drawImage(scratch, 0, 0, PAD_SIZE, PAD_SIZE);
  }

  function replay(target, step) {
    if (step.kind === 'clear') return fillBlack(target);
    if (step.kind === 'image') return drawImageStep(target, step.pixels);
    target.lineCap = 'round';
    target.lineJoin = 'round';
    drawDot(target, step);
    for (let k = 1; k < step.points.length; k++) drawPiece(target, step, k);
    drawTail(target, step);
  }

  function redraw() {
    if (base) ctx.putImageData(base, 0, 0);
    else fillBlack(ctx);
    for (const step of steps) replay(ctx, step);
  }

  function pushStep(step) {
    steps.push(step);
    if (steps.length > MAX_STEPS) {
      // Flatten the oldest step into the base off screen: the pad itself shows the newest state.
      flatCanvas ??= Object.assign(document.createElement('canvas'), { width: PAD_SIZE, height: PAD_SIZE });
      const flatCtx = flatCanvas.getContext('2d', { willReadFrequently: true });
      if (base) flatCtx.putImageData(base, 0, 0);
      else fillBlack(flatCtx);
      replay(flatCtx, steps.shift());
      base = flatCtx.getImageData(0, 0, PAD_SIZE, PAD_SIZE);
    }
    undoButton.setAttribute('aria-disabled', 'false');
  }

  function measure() {
    current = preprocessMnist(ctx.getImageData(0, 0, PAD_SIZE, PAD_SIZE));
    empty = !current.some((v) => v > 0);
    const pixels = previewPixels.data;
    for (let i = 0; i < current.length; i++) {
      const v = Math.round(current[i] * 255);
      pixels[4 * i] = pixels[4 * i + 1] = pixels[4 * i + 2] = v;
      pixels[4 * i + 3] = 255;
    }
    previewCtx.putImageData(previewPixels, 0, 0);
    dirty = false;
  }

  function changed() {
    dirty = true;
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      if (dirty) measure();
      onChange?.(current.slice(), { empty });
    });
  }

  function announce(text) {
    status.textContent = text;
  }

  // --- pointer input

  function samplePoint(event) {
    const rect = canvas.getBoundingClientRect();
    const size = Number(sizeInput.value);
    // Only pens report a meaningful pressure; mice say 0.5 while pressed, touch is unreliable.
    const pressure = event.pointerType === 'pen' && event.pressure > 0 ? 0.35 + 1.3 * event.pressure : 1;
    return {
      x: ((event.clientX - rect.left) * PAD_SIZE) / rect.width,
      y: ((event.clientY - rect.top) * PAD_SIZE) / rect.height,
      width: size * pressure,
    };
  }

  function addPoint(event) {
    const { stroke } = active, point = samplePoint(event);
    const last = stroke.points[stroke.points.length - 1];
    if (Math.hypot(point.x - last.x, point.y - last.y) < 1) return;
    stroke.points.push(point);
    drawPiece(ctx, stroke, stroke.points.length - 1);
  }

  function endStroke() {
    if (!active) return;
    drawTail(ctx, active.stroke);
    pushStep(active.stroke);
    active = null;
    changed();
  }

  canvas.addEventListener('pointerdown', (event) => {
    if (active || (event.pointerType === 'mouse' && event.button !== 0)) return;
    // Mouse presses focus the canvas natively (so Ctrl+Z works); touch and pen drags do not.
    if (event.pointerType !== 'mouse' && document.activeElement !== canvas)
      canvas.focus({ preventScroll: true, focusVisible: false });
    try {
      canvas.setPointerCapture(event.pointerId); // keeps the stroke when the pointer leaves the pad
    } catch {
      // The pointer is already gone (or synthetic): the stroke still ends on pointerup.
    }
    const stroke = { kind: 'stroke', colour: tool === 'pen' ? '#ffffff' : '#000000', points: [samplePoint(event)] };
    active = { pointerId: event.pointerId, stroke };
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    drawDot(ctx, stroke);
    changed();
  });

  canvas.addEventListener('pointermove', (event) => {
    if (!active || event.pointerId !== active.pointerId) return;
    // Coalesced events carry the samples the browser merged into this frame: smoother curves.
    const samples = event.getCoalescedEvents?.() ?? [];
    for (const sample of samples.length ? samples : [event]) addPoint(sample);
    changed();
  });

  for (const type of ['pointerup', 'pointercancel', 'lostpointercapture']) {
    canvas.addEventListener(type, (event) => {
      if (active && event.pointerId === active.pointerId) endStroke();
    });
  }

  // --- toolbar and keyboard

  function setTool(next) {
    tool = next;
    penButton.setAttribute('aria-pressed', String(next === 'pen'));
    eraserButton.setAttribute('aria-pressed', String(next === 'eraser'));
  }

  function undo() {
    if (active || steps.length === 0) return;
    steps.pop();
    redraw();
    if (steps.length === 0) undoButton.setAttribute('aria-disabled', 'true');
    announce('Undone');
    changed();
  }

  function clear() {
    if (active) endStroke();
    if (dirty) measure();
    if (empty) return;
    pushStep({ kind: 'clear' });
    fillBlack(ctx);
    announce('Cleared');
    changed();
  }

  function setImage(pixels) {
    if (!pixels || pixels.length !== SIDE * SIDE)
      throw new RangeError(`setImage: image must hold ${SIDE * SIDE} values (got ${pixels?.length})`);
    if (active) endStroke();
    const step = { kind: 'image', pixels: Float32Array.from(pixels) };
    pushStep(step);
    replay(ctx, step);
    changed();
  }

  sizeInput.addEventListener('input', () => { sizeOutput.textContent = sizeInput.value; });
  penButton.addEventListener('click', () => setTool('pen'));
  eraserButton.addEventListener('click', () => setTool('eraser'));
  undoButton.addEventListener('click', undo);
  clearButton.addEventListener('click', clear);
  root.addEventListener('keydown', (event) => {
    if ((event.ctrlKey || event.metaKey) && !event.shiftKey && !event.altKey && event.key.toLowerCase() === 'z') {
      event.preventDefault();
      undo();
    }
  });

  fillBlack(ctx);
  measure();

  return {
    element: root,
    getImage() {
      if (dirty) measure();
      return current.slice();
    },
    isEmpty() {
      if (dirty) measure();
      return empty;
    },
    clear,
    setImage,
  };
}
