// core-layers.test.mjs — the engine's folders are layers, and a lower one never includes a higher
// one's header: base < kernels < io < ops < model < analysis < the API (core/*.c) < cli.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const core = fileURLToPath(new URL('../../core', import.meta.url));
const LAYERS = ['base', 'kernels', 'io', 'ops', 'model', 'analysis', '', 'cli']; // '' is core/ itself

function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : /\.[ch]$/.test(name) ? [path] : [];
  });
}
const layerOf = (path) => LAYERS.indexOf(path.includes('/') ? path.slice(0, path.indexOf('/')) : '');

test('every engine file sits in a known layer folder', () => {
  for (const file of sources(core)) assert.ok(layerOf(relative(core, file)) >= 0, `${relative(core, file)} is in no layer`);
});

test('no file in core/ includes a header of a higher layer, and every include names its folder', () => {
  const violations = [];
  let includes = 0;
  for (const file of sources(core)) {
    const own = relative(core, file);
    for (const [, header] of readFileSync(file, 'utf8').matchAll(/^#include "([^"]+)"/gm)) {
      if (header === 'cJSON.h') continue; // the one outside library, below everything
      includes++;
      const where = layerOf(header);
      if (where < 0 || !statSync(join(core, header), { throwIfNoEntry: false })) violations.push(`${own}: "${header}" is not a file of core/`);
      else if (where > layerOf(own)) violations.push(`${own} (${LAYERS[layerOf(own)] || 'api'}) includes ${header} (${LAYERS[where] || 'api'})`);
    }
  }
  assert.ok(includes > 40, `only ${includes} includes seen: the scan is broken`);
  assert.deepEqual(violations, []);
});

test('the check catches an upward include', () => {
  // The rule applied to a made-up line, so that a broken rule cannot pass silently.
  assert.ok(layerOf('aevp.h') > layerOf('analysis/pca.c'));
  assert.ok(layerOf('model/model.h') > layerOf('ops/optim.c'));
  assert.ok(layerOf('base/error.h') < layerOf('io/config.c'));
});
