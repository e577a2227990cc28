// page-imports.test.mjs — the page's layering rules, read from the sources: a controller under
// web/page/ imports the store, engine.js, views and lib, never another controller; views and lib
// import no controller; state.js imports no view; no choice list of the engine's schema is written
// in the page's JavaScript. Not what the modules do (the other tests' part).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { loadCore } from '../../web/core.js';

const web = fileURLToPath(new URL('../../web/', import.meta.url));
const pageDir = join(web, 'page');

function jsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? jsFiles(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : []);
}

// The files a module imports (static and dynamic), as absolute paths.
function importsOf(file) {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g), ...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g),
                      ...text.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
  return specifiers.filter((s) => s.startsWith('.')).map((s) => resolve(dirname(file), s));
}

test('no module under web/page/ imports another module under web/page/ but store.js', () => {
  const files = jsFiles(pageDir);
  assert.ok(files.length >= 7, `the controllers and the store are there (${files.length} files)`);
  const broken = [];
  for (const file of files)
    for (const target of importsOf(file))
      if (target.startsWith(pageDir + '/') && target !== join(pageDir, 'store.js')) broken.push(`${relative(web, file)} imports ${relative(web, target)}`);
  assert.deepEqual(broken, []);
});

test('the store imports nothing; views and lib import no controller; state.js imports no view', () => {
  assert.deepEqual(importsOf(join(pageDir, 'store.js')), []);
  const broken = [];
  for (const dir of ['views', 'lib'])
    for (const file of jsFiles(join(web, dir)))
      for (const target of importsOf(file))
        if (target.startsWith(pageDir + '/') || target === join(web, 'main.js')) broken.push(`${relative(web, file)} imports ${relative(web, target)}`);
  for (const target of importsOf(join(web, 'state.js')))
    if (target.startsWith(join(web, 'views'))) broken.push(`state.js imports ${relative(web, target)}`);
  for (const file of jsFiles(join(web, 'lib')))
    for (const target of importsOf(file))
      if (!target.startsWith(join(web, 'lib') + '/')) broken.push(`${relative(web, file)} (pure) imports ${relative(web, target)}`);
  assert.deepEqual(broken, []);
});

test('the rule above catches an import of another controller', () => {
  const fake = join(pageDir, 'fake.js');
  const text = "import { createKeep } from './keep.js';\nimport { store } from './store.js';\n";
  const targets = [...text.matchAll(/from\s*['"]([^'"]+)['"]/g)].map((m) => resolve(dirname(fake), m[1]));
  assert.deepEqual(targets.filter((t) => t !== join(pageDir, 'store.js')), [join(pageDir, 'keep.js')]);
});

test('no choice list of the engine\'s schema is written in the page\'s JavaScript', async () => {
  const core = await loadCore(readFileSync(new URL('../../out/wasm/aevp.wasm', import.meta.url)));
  const choices = core.schema().fields.filter((f) => f.type === 'choice').flatMap((f) => f.choices)
    .filter((c) => c.length > 3 && !['relu', 'adam'].includes(c));   // short words occur in prose
  const found = [];
  for (const file of jsFiles(web)) {
    if (/\/(core|engine|worker)\.js$|\/worker\//.test(file)) continue;   // the engine's side
    const text = readFileSync(file, 'utf8');
    for (const c of choices) if (new RegExp(`['"\`]${c}['"\`]`).test(text)) found.push(`${relative(web, file)}: '${c}'`);
  }
  assert.deepEqual(found, []);
});
