// interpolate.js — two inputs, A and B, and the strip of images the decoder draws along the line
// between their codes, with a handle to move along it. Draws what it is given; the page computes.
import { drawMap, grey } from './maps.js';

export const STRIP = 9;   // images in the strip, A and B included

export function createInterpolation(host, { onSetEnd, onMove }) {
  const ends = {};
  function end(which) {
    const el = document.createElement('figure');
    el.className = `interp-end end-${which}`;
    const cv = document.createElement('canvas');
    cv.width = cv.height = 28;
    cv.setAttribute('role', 'img');
    cv.setAttribute('aria-label', `Input ${which}`);
    const cap = document.createElement('figcaption');
    cap.textContent = which;
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = `${which} ← current input`;
    button.title = `Use the image now in the input panel (drawn or test image) as end ${which}`;
    button.addEventListener('click', () => onSetEnd(which));
    el.append(cap, cv, button);
    ends[which] = { canvas: cv, caption: cap };
    return el;
  }

  const strip = document.createElement('div');
  strip.className = 'interp-strip';
  const tiles = [];
  for (let k = 0; k < STRIP; k++) {
    const cv = document.createElement('canvas');
    cv.width = cv.height = 28;
    cv.tabIndex = 0;
    cv.setAttribute('role', 'button');
    cv.setAttribute('aria-label', `Step ${k + 1} of ${STRIP} from A to B`);
    const t = k / (STRIP - 1);
    const pick = () => { slider.value = String(t); onMove(t); };
    cv.addEventListener('click', pick);
    cv.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); pick(); } });
    strip.append(cv);
    tiles.push(cv);
  }
  const slider = document.createElement('input');
  slider.type = 'range';
  slider.min = 0;
  slider.max = 1;
  slider.step = 0.005;
  slider.value = 0;
  slider.className = 'interp-t';
  slider.setAttribute('aria-label', 'Position between A and B');
  slider.addEventListener('input', () => onMove(Number(slider.value)));
  const middle = document.createElement('div');
  middle.className = 'interp-middle';
  const note = document.createElement('p');
  note.className = 'hint interp-note';
  middle.append(strip, slider, note);

  const row = document.createElement('div');
  row.className = 'interp-row';
  row.append(end('A'), middle, end('B'));
  host.append(row);

  return {
    setEnd(which, image, caption) {
      drawMap(ends[which].canvas, image, { h: 28, w: 28, min: 0, max: 1, table: grey });
      ends[which].caption.textContent = `${which} · ${caption}`;
    },
    setStrip(images) {
      tiles.forEach((cv, k) => drawMap(cv, images.subarray(k * 784, (k + 1) * 784), { h: 28, w: 28, min: 0, max: 1, table: grey }));
    },
    setNote(text) { note.textContent = text; },
    position: () => Number(slider.value),
  };
}
