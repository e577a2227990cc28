// config.js — the model configuration form, built from the fields it is given (the engine's schema
// with the page's labels): inputs, help texts and the inline validation. Draws and reads; no engine.
import { checkInput, getPath, readInput, setPath } from '../lib/config-schema.js';
import { inputId } from '../lib/config-fields.js';

// fields: pageFields(schema); defaults: the schema's default config (what a read starts from);
// groups: the form's sections (FIELD_GROUPS), each field going to the one its `group` names.
export function createConfigForm(form, fields, defaults, groups, { onChange }) {
  const inputs = [];
  const sections = new Map(groups.map((group) => [group.id, section(group)]));
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
    // A list's later items share its first item's help: say only what leaving one empty does.
    help.textContent = field.item > 0 ? `Stage ${field.item + 1}; leave it empty for fewer stages.` : field.help;
    const err = document.createElement('span');
    err.className = 'err';
    err.id = `${id}-err`;
    err.setAttribute('role', 'alert');
    input.setAttribute('aria-describedby', `${help.id} ${err.id}`);
    input.addEventListener(field.type === 'bool' ? 'change' : 'input', () => onChange(read()));
    wrap.append(label, input, help, err);
    const place = sections.get(field.group) ?? [...sections.values()].at(-1);
    place.body.append(wrap);
    inputs.push({ field, input, wrap, err, place });
  }
  for (const place of sections.values()) if (place.body.childElementCount) form.append(place.root);
  // The engine's word on the config as a whole (a model too large for memory): below the fields.
  const formErr = document.createElement('p');
  formErr.className = 'err form-err';
  formErr.id = 'config-err';
  formErr.setAttribute('role', 'alert');
  formErr.hidden = true;
  form.append(formErr);
  form.addEventListener('submit', (e) => e.preventDefault());

  // A section: the form itself for an untitled one, a fieldset with a legend, or (collapsed) a
  // details element whose summary line tells what it holds while closed.
  function section(group) {
    if (!group.title) return { group, root: document.createDocumentFragment(), body: form, line: null };
    const root = document.createElement(group.collapsed ? 'details' : 'fieldset');
    root.className = 'field-group';
    root.dataset.group = group.id;
    const head = document.createElement(group.collapsed ? 'summary' : 'legend');
    const title = document.createElement('span');
    title.className = 'group-title';
    title.textContent = group.title;
    head.append(title);
    let line = null;
    if (group.collapsed) {
      line = document.createElement('span');
      line.className = 'group-line';
      head.append(' ', line);
    }
    const body = document.createElement('div');
    body.className = 'config';
    root.append(head);
    if (group.hint) {
      const hint = document.createElement('p');
      hint.className = 'hint group-hint';
      hint.textContent = group.hint;
      root.append(hint);
    }
    root.append(body);
    return { group, root, body, line };
  }

  // The closed sections' summary lines, from a config the form read.
  function summarize(config) {
    for (const place of sections.values()) {
      if (!place.line) continue;
      const own = inputs.filter((i) => i.place === place);
      place.line.textContent = place.group.summary ? place.group.summary(config)
        : own.filter(({ field }) => field.item === null)
          .map(({ field }) => `${field.label} ${getPath(config, field.path)}`).join(' · ');
    }
  }

  // Opens the collapsed sections holding an error, or (`changed`, for those that ask) a value other
  // than the default.
  function reveal(config, errors, changed) {
    for (const place of sections.values()) {
      if (!place.line || place.root.open) continue;
      const own = inputs.filter((i) => i.place === place);
      const differs = ({ field }) => JSON.stringify(getPath(config, field.path)) !== JSON.stringify(getPath(defaults, field.path));
      if (own.some(({ field }) => errors[field.name]) || (changed && place.group.openOnChange && config && own.some(differs))) place.root.open = true;
    }
  }

  // {config, errors}: config is null while any field is invalid.
  function read() {
    formErr.hidden = true;   // a new config: the engine says again what is wrong with it
    formErr.textContent = '';
    const config = structuredClone(defaults);
    const errors = {};
    for (const { field, input, wrap, err } of inputs) {
      // A half-typed number ("1e", "-") reads as '' from a number input: say what it is.
      const raw = field.type === 'bool' ? input.checked : input.value;
      // In the form's own words: "Filters F1 must be 1 or more", not the config's filters[0].
      const message = input.validity?.badInput ? `${field.label} must be a number` : checkInput(field, raw, field.label);
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
    const valid = Object.keys(errors).length === 0;
    if (valid) summarize(config);
    return { config: valid ? config : null, errors };
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
    const result = read();
    reveal(result.config, result.errors, true);
    return result;
  }

  // An error from the engine about the config (a combination the form cannot see): beside the field
  // it names, or below the fields for the config as a whole. Returns the text shown there; '' (and
  // shows nothing) for any other error.
  function showEngineError(message) {
    const hit = inputs.find(({ field }) => message.includes(`config: ${field.name} `));
    if (hit) {
      hit.wrap.classList.add('invalid');
      hit.err.textContent = message.replace(`config: ${hit.field.name} `, `${hit.field.label} `);
      if (hit.place.line) hit.place.root.open = true;
      return hit.err.textContent;
    }
    if (!message.startsWith('config: ')) return '';
    formErr.textContent = message.replace(/^config: ./, (c) => c.slice(-1).toUpperCase());
    formErr.hidden = false;
    return formErr.textContent;
  }

  function setDisabled(disabled) {
    for (const { input } of inputs) input.disabled = disabled;
  }

  return { read, write, showEngineError, setDisabled };
}
