// config.js — the model configuration form: one table of fields drives the inputs, the help
// texts and the validation (the engine's rules, checked here first so nothing invalid is sent).

// In the engine's key order (ae_config_json), so that configs compare as JSON text.
export const DEFAULT_CONFIG = {
  filters: [16, 8], latent_grid: 3, activation: 'relu', loss: 'bce', variational: false, beta: 1,
  optimizer: 'adam', learning_rate: 0.001, batch_size: 64, epochs: 5, seed: 1,
};

const FIELDS = [
  { id: 'f1', label: 'Filters F1', get: (c) => c.filters[0], set: (c, v) => { c.filters[0] = v; }, name: 'filters[0]',
    kind: 'int', min: 1, max: 64, help: 'feature maps of conv1' },
  { id: 'f2', label: 'Filters F2', get: (c) => c.filters[1], set: (c, v) => { c.filters[1] = v; }, name: 'filters[1]',
    kind: 'int', min: 1, max: 64, help: 'feature maps of conv2' },
  { id: 'latent_grid', label: 'Latent grid g', kind: 'int', min: 1, max: 8, help: 'bottleneck of g×g numbers' },
  { id: 'activation', label: 'Activation', kind: 'choice', options: ['relu', 'leaky_relu', 'elu', 'tanh'], help: 'after every hidden layer' },
  { id: 'loss', label: 'Loss', kind: 'choice', options: ['bce', 'mse'], help: 'binary cross-entropy or mean squared error' },
  { id: 'optimizer', label: 'Optimizer', kind: 'choice', options: ['adam', 'sgd', 'rmsprop'], help: 'sgd uses momentum 0.9' },
  { id: 'learning_rate', label: 'Learning rate', kind: 'number', min: 0, max: 10, minExclusive: true, step: 'any',
    help: '1e-3 suits Adam; SGD likes ~0.05' },
  { id: 'batch_size', label: 'Batch size', kind: 'int', min: 1, max: 512, help: 'images per step' },
  { id: 'epochs', label: 'Epochs', kind: 'int', min: 1, max: 1000, help: 'passes over 60,000 images' },
  { id: 'seed', label: 'Seed', kind: 'int', min: 0, max: 4294967295, help: 'same seed, same run' },
  { id: 'variational', label: 'Variational (VAE)', kind: 'bool',
    help: 'the encoder gives a mean and a spread per unit; the code is sampled from them' },
  { id: 'beta', label: 'β (KL weight)', kind: 'number', min: 0, max: 100, step: 'any',
    help: 'VAE only: how hard the codes are pulled towards N(0, 1)' },
];

const get = (f, c) => (f.get ? f.get(c) : c[f.id]);
const set = (f, c, v) => (f.set ? f.set(c, v) : (c[f.id] = v));

// The message for a raw input value, or '' when it is valid. Same words as the engine's.
export function validateField(field, raw) {
  const name = field.name ?? field.id;
  if (field.kind === 'choice') return field.options.includes(raw) ? '' : `${name} must be one of ${field.options.join(', ')}`;
  if (field.kind === 'bool') return typeof raw === 'boolean' ? '' : `${name} must be true or false`;
  const text = String(raw).trim();
  if (text === '') return `${name} is required`;
  const v = Number(text);
  if (!Number.isFinite(v)) return `${name} must be a number (got "${text}")`;
  if (field.kind === 'int' && !Number.isInteger(v)) return `${name} must be a whole number (got ${text})`;
  if (field.minExclusive ? v <= field.min : v < field.min) return `${name} must be ${field.minExclusive ? '> ' + field.min : field.min + ' or more'} (got ${text})`;
  if (v > field.max) return `${name} must be ${field.max} or less (got ${text})`;
  return '';
}

export function createConfigForm(form, { onChange }) {
  const inputs = new Map();
  for (const f of FIELDS) {
    const wrap = document.createElement('div');
    wrap.className = 'field';
    const id = `cfg-${f.id}`;
    const label = document.createElement('label');
    label.htmlFor = id;
    label.textContent = f.label;
    let input;
    if (f.kind === 'bool') {
      input = document.createElement('input');
      input.type = 'checkbox';
      wrap.classList.add('bool');
    } else if (f.kind === 'choice') {
      input = document.createElement('select');
      for (const o of f.options) input.append(new Option(o.replace('_', ' '), o));
    } else {
      input = document.createElement('input');
      input.type = 'number';
      input.min = f.min;
      input.max = f.max;
      input.step = f.step ?? '1';
      input.inputMode = f.kind === 'int' ? 'numeric' : 'decimal';
    }
    input.id = id;
    input.name = f.id;
    const help = document.createElement('span');
    help.className = 'help';
    help.id = `${id}-help`;
    help.textContent = f.help;
    const err = document.createElement('span');
    err.className = 'err';
    err.id = `${id}-err`;
    err.setAttribute('role', 'alert');
    input.setAttribute('aria-describedby', `${help.id} ${err.id}`);
    input.addEventListener(f.kind === 'bool' ? 'change' : 'input', () => onChange(read()));
    wrap.append(label, input, help, err);
    form.append(wrap);
    inputs.set(f.id, { field: f, input, wrap, err });
  }
  form.addEventListener('submit', (e) => e.preventDefault());

  // {config, errors}: config is null while any field is invalid.
  function read() {
    const config = structuredClone(DEFAULT_CONFIG);
    const errors = {};
    for (const { field, input, wrap, err } of inputs.values()) {
      // A half-typed number ("1e", "-") reads as '' from a number input: say what it is.
      const raw = field.kind === 'bool' ? input.checked : input.value;
      const message = input.validity?.badInput ? `${field.name ?? field.id} must be a number` : validateField(field, raw);
      wrap.classList.toggle('invalid', Boolean(message));
      err.textContent = message;
      input.setAttribute('aria-invalid', message ? 'true' : 'false');
      if (message) errors[field.id] = message;
      else set(field, config, field.kind === 'choice' || field.kind === 'bool' ? raw : Number(raw));
    }
    return { config: Object.keys(errors).length ? null : config, errors };
  }

  function write(config) {
    for (const { field, input } of inputs.values()) {
      const value = get(field, config) ?? get(field, DEFAULT_CONFIG);
      if (field.kind === 'bool') input.checked = Boolean(value);
      else input.value = String(value);
    }
    return read();
  }

  // An error from the engine about a field (e.g. a combination the form cannot see).
  function showEngineError(message) {
    const hit = [...inputs.values()].find(({ field }) => message.includes(`config: ${field.name ?? field.id} `));
    if (hit) {
      hit.wrap.classList.add('invalid');
      hit.err.textContent = message.replace(/^config: /, '');
    }
    return Boolean(hit);
  }

  function setDisabled(disabled) {
    for (const { input } of inputs.values()) input.disabled = disabled;
  }

  return { read, write, showEngineError, setDisabled };
}
