// fetch.mjs — fills datasets/cache/<set>/ with the data sets in manifest.json, each file verified by hash.
// Not used by the browser or the engine, and it trusts no source: every copy must match the manifest.
//
// Usage: node datasets/fetch.mjs [mnist|fashion|all]   (default: all)
import fs from 'fs';
import path from 'path';
import crypto from 'crypto';
import zlib from 'zlib';
import { spawnSync } from 'child_process';

const HERE = import.meta.dirname ?? path.dirname(decodeURIComponent(new URL(import.meta.url).pathname));
const ROOT = path.dirname(HERE);
const CACHE = path.join(HERE, 'cache');
// Without progress for this long, a download is given up and the next source is tried.
const URL_STALL_MS = 20000;

const manifest = JSON.parse(fs.readFileSync(path.join(HERE, 'manifest.json'), 'utf8'));

const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');
const md5 = (bytes) => crypto.createHash('md5').update(bytes).digest('hex');
const shown = (p) => path.relative(process.cwd(), p) || p;

// A source that cannot be used right now (not installed, offline): try the next one.
class Unavailable extends Error {}

function readIfExists(p) {
    try {
        return fs.readFileSync(p);
    } catch (e) {
        if (e.code === 'ENOENT') return null;
        throw e;
    }
}

function gunzip(gz) {
    try {
        return zlib.gunzipSync(gz);
    } catch (e) {
        return null;
    }
}

// What is wrong with decompressed bytes, or null when they are the manifest's IDX file.
function idxMismatch(file, raw) {
    if (raw === null) return 'it is not a valid gzip stream';
    const got = sha256(raw);
    if (raw.length === file.idx_size && got === file.idx_sha256) return null;
    return `expected sha256 ${file.idx_sha256} (${file.idx_size} bytes), got ${got} (${raw.length} bytes)`;
}

// The cache holds both the .gz (what the browser downloads) and the IDX inside it (what native code
// reads); both are checked against the IDX hash, because the .gz bytes depend on where they came from.
function checkCache(file, gzPath, rawPath) {
    const raw = readIfExists(rawPath);
    const gz = readIfExists(gzPath);
    if (!raw || !gz) return { ok: false, corrupt: null };
    let why = idxMismatch(file, raw);
    if (why) return { ok: false, corrupt: `${shown(rawPath)}: ${why}` };
    why = idxMismatch(file, gunzip(gz));
    if (why) return { ok: false, corrupt: `${shown(gzPath)} decompressed: ${why}` };
    return { ok: true };
}

function describe(source) {
    if (source.type === 'npm') return `npm package ${source.package}`;
    if (source.type === 'debian') return `Debian package ${source.package}`;
    return source.url;
}

function remedy(source) {
    if (source.type === 'npm')
        return `reinstall it (rm -rf node_modules/${source.package} && npm install), or fix datasets/manifest.json`;
    if (source.type === 'debian')
        return `reinstall it (sudo apt-get install --reinstall ${source.package}), or fix datasets/manifest.json`;
    return 'run the script again; if it persists the file changed upstream: check datasets/manifest.json';
}

function fromNpm(source) {
    const dir = path.join(ROOT, 'node_modules', source.package);
    const pkg = readIfExists(path.join(dir, 'package.json'));
    if (!pkg) throw new Unavailable(`${source.package} is not installed: run \`npm install\` in ${ROOT}`);
    const bytes = readIfExists(path.join(dir, source.path));
    if (!bytes) {
        const version = JSON.parse(pkg).version;
        throw new Unavailable(`${source.package}@${version} has no ${source.path} (the manifest expects ` +
            `version ${source.version}): run \`npm install\` in ${ROOT}`);
    }
    return bytes;
}

const aptTried = new Map();

function hasAptGet() {
    return spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
}

// Installs a Debian package when we may (root, apt-get present); otherwise says how to. An update
// of the package lists is slow and needs the network, so it only happens if the install fails.
function installDebian(pkg) {
    if (aptTried.has(pkg)) return aptTried.get(pkg);
    let hint = null;
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    if (!isRoot || !hasAptGet()) {
        hint = `install it with: sudo apt-get install ${pkg}`;
    } else {
        const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
        const apt = (...args) => spawnSync('apt-get', args, { stdio: 'inherit', env }).status === 0;
        console.log(`installing the Debian package ${pkg} (apt-get install -y ${pkg})`);
        if (!apt('install', '-y', pkg)) {
            console.log('apt-get install failed; updating the package lists and trying again');
            if (!apt('update') || !apt('install', '-y', pkg))
                hint = `apt-get install -y ${pkg} failed: see apt-get's messages above`;
        }
    }
    aptTried.set(pkg, hint);
    return hint;
}

function fromDebian(source) {
    let bytes = readIfExists(source.path);
    if (bytes) return bytes;
    const hint = installDebian(source.package);
    bytes = readIfExists(source.path);
    if (!bytes) throw new Unavailable(`${source.path} is missing: ${hint ?? `${source.package} does not provide it`}`);
    return bytes;
}

async function fromUrl(source) {
    const controller = new AbortController();
    let timer = setTimeout(() => controller.abort(), URL_STALL_MS);
    const stillGoing = () => {
        clearTimeout(timer);
        timer = setTimeout(() => controller.abort(), URL_STALL_MS);
    };
    try {
        const res = await fetch(source.url, { signal: controller.signal });
        if (!res.ok) throw new Unavailable(`${source.url}: HTTP ${res.status}`);
        const chunks = [];
        for await (const chunk of res.body) {
            chunks.push(chunk);
            stillGoing();
        }
        return Buffer.concat(chunks);
    } catch (e) {
        if (e instanceof Unavailable) throw e;
        const why = controller.signal.aborted ? `no progress for ${URL_STALL_MS / 1000} s`
            : e.cause?.code ?? e.cause?.message ?? e.message;
        throw new Unavailable(`${source.url}: ${why}`);
    } finally {
        clearTimeout(timer);
    }
}

async function obtain(source) {
    if (source.type === 'npm') return fromNpm(source);
    if (source.type === 'debian') return fromDebian(source);
    if (source.type === 'url') return fromUrl(source);
    throw new Unavailable(`unknown source type "${source.type}" in datasets/manifest.json`);
}

// What is wrong with a .gz as the source shipped it, or null if it is the one the manifest names.
function gzMismatch(source, gz) {
    if (source.gz_sha256) {
        const got = sha256(gz);
        if (got !== source.gz_sha256) return `expected sha256 ${source.gz_sha256}, got ${got}`;
    } else if (source.gz_md5) {
        const got = md5(gz);
        if (got !== source.gz_md5) return `expected md5 ${source.gz_md5}, got ${got}`;
    }
    if (source.gz_size !== undefined && gz.length !== source.gz_size)
        return `expected ${source.gz_size} bytes, got ${gz.length}`;
    return null;
}

function removeQuietly(p) {
    fs.rmSync(p, { force: true });
}

// Tries the sources in order; returns the one used, or throws with every source's reason.
async function fetchFile(setName, file, gzPath, rawPath) {
    const reasons = [];
    const gzPart = `${gzPath}.part`;
    const rawPart = `${rawPath}.part`;
    for (const source of file.sources) {
        let bytes;
        try {
            bytes = await obtain(source);
        } catch (e) {
            if (!(e instanceof Unavailable)) throw e;
            reasons.push(`  - ${e.message}`);
            continue;
        }
        let gz, raw, why;
        if (source.gzipped) {
            // Into the cache first, as shipped; a bad copy is deleted before the next source is tried.
            fs.writeFileSync(gzPart, bytes);
            gz = bytes;
            why = gzMismatch(source, gz);
            if (why) why = `${file.name} from ${describe(source)}: ${why}`;
            else {
                raw = gunzip(gz);
                why = idxMismatch(file, raw);
                if (why) why = `${file.name} from ${describe(source)}, decompressed: ${why}`;
            }
        } else {
            raw = bytes;
            why = idxMismatch(file, raw);
            if (why) why = `${source.path} from ${describe(source)}: ${why}`;
            // Level 9: the .gz is what every visitor downloads, and it is compressed only once.
            else gz = zlib.gzipSync(raw, { level: 9 });
        }
        if (why) {
            removeQuietly(gzPart);
            const deleted = source.gzipped ? 'deleted the bad copy; ' : '';
            reasons.push(`  - ${why}: ${deleted}${remedy(source)}`);
            continue;
        }
        if (!source.gzipped) fs.writeFileSync(gzPart, gz);
        fs.writeFileSync(rawPart, raw);
        fs.renameSync(gzPart, gzPath);
        fs.renameSync(rawPart, rawPath);
        return source;
    }
    throw new Error(`${setName}: could not get ${file.name}; tried:\n${reasons.join('\n')}`);
}

async function fetchSet(setName) {
    const set = manifest.datasets[setName];
    const dir = path.join(CACHE, setName);
    fs.mkdirSync(dir, { recursive: true });
    const used = new Map();
    const failures = [];
    let cached = 0;
    for (const file of Object.values(set.files)) {
        const gzPath = path.join(dir, file.name);
        const rawPath = path.join(dir, file.name.replace(/\.gz$/, ''));
        const state = checkCache(file, gzPath, rawPath);
        if (state.ok) {
            cached++;
            continue;
        }
        if (state.corrupt) {
            console.error(`${setName}: ${state.corrupt}: deleting it and fetching the file again`);
            removeQuietly(gzPath);
            removeQuietly(rawPath);
        }
        let source;
        try {
            source = await fetchFile(setName, file, gzPath, rawPath);
        } catch (e) {
            // The other files are still worth fetching: the next run then has less to do.
            failures.push(e.message);
            continue;
        }
        const label = source.type === 'url' ? new URL(source.url).host : describe(source);
        used.set(label, (used.get(label) ?? 0) + 1);
    }
    if (failures.length) throw new Error(failures.join('\n'));
    const parts = [];
    if (cached) parts.push(`${cached} already cached`);
    for (const [label, n] of used) parts.push(`${n} from ${label}`);
    console.log(`${set.display_name}: ok, ${Object.keys(set.files).length} files in ${shown(dir)} (${parts.join(', ')})`);
}

async function main() {
    const names = Object.keys(manifest.datasets);
    const args = process.argv.slice(2);
    const wanted = args.length === 0 || args.includes('all') ? names : args;
    const unknown = wanted.filter((n) => !names.includes(n));
    if (unknown.length) {
        console.error(`unknown data set ${unknown.join(', ')}\nusage: node datasets/fetch.mjs [${names.join('|')}|all]`);
        process.exitCode = 2;
        return;
    }
    let failed = 0;
    for (const name of wanted) {
        try {
            await fetchSet(name);
        } catch (e) {
            failed++;
            console.error(e.message);
        }
    }
    if (failed) process.exitCode = 1;
}

await main();
