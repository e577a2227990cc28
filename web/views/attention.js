// attention.js — an attention card's weights: a grid of the stage's positions beside a map of
// where the chosen one attends (hover or focus a position). Draws what it is given; no engine.
import { drawMap, format } from './maps.js';

// el: the attention card; [h, w]: its grid. draw(weights) takes the trace's (h, w, h*w) stage,
// whose channel q is the map of where query position q attends.
export function createAttentionView(el, [h, w]) {
  const box = document.createElement('div');
  box.className = 'attention';
  const grid = document.createElement('div');
  grid.className = 'attention-grid';
  grid.style.gridTemplateColumns = `repeat(${w}, 1fr)`;
  grid.setAttribute('role', 'group');
  grid.setAttribute('aria-label', 'Query positions: hover or focus one to see where it attends');
  const map = document.createElement('canvas');
  map.width = w;
  map.height = h;
  map.className = 'attention-map';
  map.setAttribute('role', 'img');
  const caption = document.createElement('p');
  caption.className = 'attention-caption';
  caption.textContent = 'Hover or focus a position: bright where it attends';
  let query = 0, weights = null;

  function redraw() {
    if (!weights) return;
    const channels = h * w;
    let top = 0;
    for (let key = 0; key < channels; key++) top = Math.max(top, weights[key * channels + query]);
    drawMap(map, weights, { h, w, channel: query, channels, min: 0, max: top || 1 });
    caption.textContent = `Row ${Math.floor(query / w) + 1}, column ${(query % w) + 1} attends most (${format(top, 2)}) to the brightest positions`;
    map.setAttribute('aria-label', caption.textContent);
  }

  for (let q = 0; q < h * w; q++) {
    const cell = document.createElement('button');
    cell.type = 'button';
    cell.className = 'attention-cell';
    cell.setAttribute('aria-label', `position row ${Math.floor(q / w) + 1}, column ${(q % w) + 1}`);
    const show = () => { query = q; redraw(); };
    cell.addEventListener('pointerenter', show);
    cell.addEventListener('focus', show);
    grid.append(cell);
  }
  box.append(grid, map, caption);
  el.append(box);
  return { draw(next) { weights = next; redraw(); } };
}
