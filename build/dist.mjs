// dist.mjs — assembles the static site in dist/: the page and its modules, the worker, both WASM
// builds (aevp.wasm, aevp-relaxed.wasm), uPlot, and the data sets as they come (gzip'd). Relative
// URLs only, so any host and sub-path work.
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const from = (...p) => join(root, ...p);

function need(path, hint) {
  if (!existsSync(path)) {
    console.error(`dist: ${path} is missing: ${hint}`);
    process.exit(1);
  }
  return path;
}

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'vendor'), { recursive: true });

for (const file of readdirSync(from('web'))) cpSync(from('web', file), join(dist, file), { recursive: true });
cpSync(need(from('out/wasm/aevp.wasm'), 'run build/build.sh (the WASM build)'), join(dist, 'aevp.wasm'));
cpSync(need(from('out/wasm-relaxed/aevp-relaxed.wasm'), 'run build/build.sh (the relaxed-SIMD WASM build)'), join(dist, 'aevp-relaxed.wasm'));
cpSync(need(from('node_modules/uplot/dist/uPlot.esm.js'), 'run npm ci'), join(dist, 'vendor/uPlot.esm.js'));
cpSync(from('node_modules/uplot/dist/uPlot.min.css'), join(dist, 'vendor/uPlot.min.css'));
cpSync(from('node_modules/uplot/LICENSE'), join(dist, 'vendor/uPlot.LICENSE'));

const manifest = JSON.parse(readFileSync(from('datasets/manifest.json'), 'utf8'));
for (const [name, set] of Object.entries(manifest.datasets)) {
  mkdirSync(join(dist, 'data', name), { recursive: true });
  for (const file of Object.values(set.files))
    cpSync(need(from('datasets/cache', name, file.name), 'run node datasets/fetch.mjs'), join(dist, 'data', name, file.name));
}
// The browser needs names, classes, shapes and the hashes of the decompressed files only.
const slim = { datasets: Object.fromEntries(Object.entries(manifest.datasets).map(([name, set]) => [name, {
  display_name: set.display_name, classes: set.classes, shape: set.shape,
  files: Object.fromEntries(Object.entries(set.files).map(([key, f]) => [key, { name: f.name, idx_sha256: f.idx_sha256, idx_size: f.idx_size }])),
}])) };
writeFileSync(join(dist, 'data/manifest.json'), JSON.stringify(slim, null, 1) + '\n');
console.log(`dist: ${dist} ready`);

// The offline shell: every file but the data sets' .gz (sw.js caches those on first use), listed
// in precache.json with a hash of their paths and contents (and of sw.js's source) as the build's
// version. The version goes into dist/sw.js too: the browser installs a new service worker only
// when sw.js's bytes change.
{
  const { createHash } = await import('node:crypto');
  const { statSync } = await import('node:fs');
  const files = [], data = {};
  const walk = (dir) => {
    for (const entry of readdirSync(join(dist, dir), { withFileTypes: true })) {
      const path = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path);
      else if (/^data\/.+\.gz$/.test(path)) data[path] = statSync(join(dist, path)).size;
      else if (path !== 'sw.js' && path !== 'precache.json') files.push(path);
    }
  };
  walk('');
  files.sort();
  const hash = createHash('sha256');
  for (const path of [...files, 'sw.js']) hash.update(`${path}\0`).update(readFileSync(join(dist, path))).update('\0');
  const version = hash.digest('hex').slice(0, 12);
  const sw = readFileSync(join(dist, 'sw.js'), 'utf8');
  if (!sw.includes('__AEVP_BUILD__')) {
    console.error('dist: web/sw.js has no __AEVP_BUILD__ placeholder for the build version');
    process.exit(1);
  }
  writeFileSync(join(dist, 'sw.js'), sw.replaceAll('__AEVP_BUILD__', version));
  writeFileSync(join(dist, 'precache.json'), JSON.stringify({ version, files, data }, null, 1) + '\n');
  console.log(`dist: precache.json: build ${version}, ${files.length} shell files, ${Object.keys(data).length} data files cached on use`);
}
