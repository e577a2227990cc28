// config.js — the model configuration form, built from the fields it is given (the engine's schema
// with the page's labels): inputs, help texts and the inline validation. Draws and reads; no engine.
import { checkInput, getPath, readInput, setPath } from '../lib/config-schema.js';
import { inputId } from '../lib/config-fields.js';

// fields: pageFields(schema); defaults: the schema's default config (what a read starts from).
export function createConfigForm(form, fields, defaults, { onChange }) {
  const inputs = [];
  for (const field of fields) {
    const wrap = document.createElement('div');
    wrap.className = 'field';
    const id = inputId(field);
    const label = document.createElement('label');
    label.htmlFor = id;
    label.textContent = field.label;
    let input;
    if (field.type === 'bool') {
      input = document.createElement('input');
      input.type = 'checkbox';
      wrap.classList.add('bool');
    } else if (field.type === 'choice') {
      input = document.createElement('select');
      for (const o of field.choices) input.append(new Option(o.replace('_', ' '), o));
    } else {
      input = document.createElement('input');
      input.type = 'number';
      input.min = field.min;
      input.max = field.max;
      input.step = field.type === 'int' ? String(field.values ? field.values[1] - field.values[0] : field.multipleOf || 1) : 'any';
      if (field.optional) input.placeholder = '—';
      input.inputMode = field.type === 'int' ? 'numeric' : 'decimal';
    }
    input.id = id;
    input.name = id.slice('cfg-'.length);
    const help = document.createElement('span');
    help.className = 'help';
    help.id = `${id}-help`;
    help.textContent = field.help;
    const err = document.createElement('span');
    err.className = 'err';
    err.id = `${id}-err`;
    err.setAttribute('role', 'alert');
    input.setAttribute('aria-describedby', `${help.id} ${err.id}`);
    input.addEventListener(field.type === 'bool' ? 'change' : 'input', () => onChange(read()));
    wrap.append(label, input, help, err);
    form.append(wrap);
    inputs.push({ field, input, wrap, err });
  }
  form.addEventListener('submit', (e) => e.preventDefault());

  // {config, errors}: config is null while any field is invalid.
  function read() {
    const config = structuredClone(defaults);
    const errors = {};
    for (const { field, input, wrap, err } of inputs) {
      // A half-typed number ("1e", "-") reads as '' from a number input: say what it is.
      const raw = field.type === 'bool' ? input.checked : input.value;
      const message = input.validity?.badInput ? `${field.name} must be a number` : checkInput(field, raw);
      wrap.classList.toggle('invalid', Boolean(message));
      err.textContent = message;
      input.setAttribute('aria-invalid', message ? 'true' : 'false');
      if (message) errors[field.name] = message;
      else setPath(config, field.path, readInput(field, raw));
    }
    // An empty optional item (a stage left out) ends up out of its list.
    for (const { field } of inputs) {
      if (field.item !== 0) continue;
      const path = field.path.slice(0, -1);
      const list = getPath(config, path);
      if (Array.isArray(list)) setPath(config, path, list.filter((v) => v !== undefined));
    }
    return { config: Object.keys(errors).length ? null : config, errors };
  }

  // Shows config (a missing field: its default); returns what the form then reads.
  function write(config) {
    for (const { field, input } of inputs) {
      // A list item comes from the config's list when it has one: [32] is one stage, not [32, 8].
      const list = field.item !== null ? getPath(config, field.path.slice(0, -1)) : undefined;
      const value = Array.isArray(list) ? list[field.item] : getPath(config, field.path) ?? getPath(defaults, field.path);
      if (field.type === 'bool') input.checked = Boolean(value);
      else input.value = value === undefined ? '' : String(value);
    }
    return read();
  }

  // An error from the engine about a field (e.g. a combination the form cannot see).
  function showEngineError(message) {
    const hit = inputs.find(({ field }) => message.includes(`config: ${field.name} `));
    if (hit) {
      hit.wrap.classList.add('invalid');
      hit.err.textContent = message.replace(/^config: /, '');
    }
    return Boolean(hit);
  }

  function setDisabled(disabled) {
    for (const { input } of inputs) input.disabled = disabled;
  }

  return { read, write, showEngineError, setDisabled };
}
