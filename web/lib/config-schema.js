// config-schema.js — reads the engine's config schema (engine.schema()): its leaf fields, the
// defaults, and the checks the engine's config_parse makes. Pure: no DOM; every range, choice and
// default comes from the schema, none is written here.

// The schema's fields flattened to leaves: one per number, choice or flag, an int_list giving one
// leaf per item. Each leaf: {name (as config_parse names it: "filters[1]", "input.h"), path (keys
// into the config), type ('int', 'number', 'bool', 'choice'), min, max, minExclusive, multipleOf,
// choices, default, help, field (the schema row it comes from), item (index in an int_list)}.
export function leaves(schema) {
  const out = [];
  const walk = (fields, prefix, path) => {
    for (const f of fields) {
      const name = prefix + f.name;
      if (f.type === 'object') { walk(f.fields, `${name}.`, [...path, f.name]); continue; }
      const common = { min: f.min, max: f.max, minExclusive: Boolean(f.min_exclusive), multipleOf: f.multiple_of ?? 0,
                       choices: f.choices ?? null, help: f.help ?? '', field: f };
      if (f.type === 'int_list') {
        for (let i = 0; i < f.max_items; i++)
          out.push({ ...common, name: `${name}[${i}]`, path: [...path, f.name, i], type: 'int', item: i, default: f.default?.[i] });
      } else {
        out.push({ ...common, name, path: [...path, f.name], type: f.type, item: null, default: f.default });
      }
    }
  };
  walk(schema.fields, '', []);
  return out;
}

// The default config: every field at its schema default, objects and lists included.
export function defaults(schema) {
  const build = (fields) => Object.fromEntries(fields.map((f) =>
    [f.name, f.type === 'object' ? build(f.fields) : structuredClone(f.default)]));
  return build(schema.fields);
}

export function getPath(object, path) {
  let v = object;
  for (const key of path) v = v?.[key];
  return v;
}

export function setPath(object, path, value) {
  let o = object;
  path.slice(0, -1).forEach((key, i) => { o = o[key] ??= typeof path[i + 1] === 'number' ? [] : {}; });
  o[path.at(-1)] = value;
}

// The range of a numeric leaf as people read it: "1..8", "> 0 and <= 10".
export function rangeText(leaf) {
  return leaf.minExclusive ? `> ${leaf.min} and <= ${leaf.max}` : `${leaf.min}..${leaf.max}`;
}

// '' when a typed value (as JSON gives it) is what config_parse takes for the leaf, else its
// refusal, in config_parse's words after "config: ".
export function checkValue(leaf, value) {
  const got = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'string' ? `"${v}"` : typeof v === 'number' ? String(v) : typeof v);
  const kind = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'boolean' ? 'boolean' : typeof v);
  switch (leaf.type) {
    case 'bool':
      return typeof value === 'boolean' ? '' : `${leaf.name} must be true or false (got ${kind(value)})`;
    case 'choice':
      if (typeof value !== 'string') return `${leaf.name} must be one of ${leaf.choices.join(', ')} (got ${kind(value)})`;
      return leaf.choices.includes(value) ? '' : `${leaf.name} must be one of ${leaf.choices.join(', ')} (got ${got(value)})`;
    case 'int':
      if (typeof value !== 'number') return `${leaf.name} must be an integer (got ${kind(value)})`;
      if (!Number.isInteger(value)) return `${leaf.name} must be an integer (got ${got(value)})`;
      if (value < leaf.min || value > leaf.max) return `${leaf.name} must be ${rangeText(leaf)} (got ${value})`;
      if (leaf.multipleOf && value % leaf.multipleOf !== 0) return `${leaf.name} must be divisible by ${leaf.multipleOf} (got ${value})`;
      return '';
    case 'number':
      if (typeof value !== 'number') return `${leaf.name} must be a number (got ${kind(value)})`;
      if (!Number.isFinite(value)) return `${leaf.name} must be finite (got ${value})`;
      if ((leaf.minExclusive ? !(value > leaf.min) : !(value >= leaf.min)) || !(value <= leaf.max))
        return `${leaf.name} must be ${rangeText(leaf)} (got ${value})`;
      return '';
    default:
      throw new Error(`config-schema: no check for type ${leaf.type}`);
  }
}

// '' when config_parse would take this parsed JSON value as a config, else the first refusal
// (with "config: " in front, as the engine says it). Missing fields mean their defaults. What a
// parsed value cannot show (duplicate keys, the text's syntax) is the engine's to refuse.
export function checkConfig(schema, config) {
  const kind = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'boolean' ? 'boolean' : typeof v);
  const all = leaves(schema);
  const walk = (fields, object, prefix) => {
    for (const key of Object.keys(object)) {
      const f = fields.find((x) => x.name === key);
      if (!f) return `unknown key "${prefix}${key}"`;
      const name = prefix + key, value = object[key];
      if (f.type === 'object') {
        if (kind(value) !== 'object') return `${name} must be an object (got ${kind(value)})`;
        const inner = walk(f.fields, value, `${name}.`);
        if (inner) return inner;
        continue;
      }
      if (f.type === 'int_list') {
        if (!Array.isArray(value)) return `${name} must be an array of ${f.max_items} integers (got ${kind(value)})`;
        if (value.length < f.min_items || value.length > f.max_items)
          return `${name} must be an array of ${f.max_items} integers (got ${value.length} item${value.length === 1 ? '' : 's'})`;
      }
      for (const leaf of all) {
        if (leaf.field !== f || leaf.name.slice(0, name.length) !== name) continue;
        const v = leaf.item === null ? value : value[leaf.item];
        if (leaf.item !== null && leaf.item >= value.length) continue;
        const message = checkValue(leaf, v);
        if (message) return message;
      }
    }
    return '';
  };
  if (kind(config) !== 'object') return `config: top level must be an object (got ${kind(config)})`;
  const message = walk(schema.fields, config, '');
  return message ? `config: ${message}` : '';
}

// '' when the form's raw value for a leaf is acceptable (text of a number input, a select's value,
// a checkbox's boolean), else the message shown beside the field.
export function checkInput(leaf, raw) {
  const name = leaf.name;
  if (leaf.type === 'choice') return leaf.choices.includes(raw) ? '' : `${name} must be one of ${leaf.choices.join(', ')}`;
  if (leaf.type === 'bool') return typeof raw === 'boolean' ? '' : `${name} must be true or false`;
  const text = String(raw).trim();
  if (text === '') return `${name} is required`;
  const v = Number(text);
  if (!Number.isFinite(v)) return `${name} must be a number (got "${text}")`;
  if (leaf.type === 'int' && !Number.isInteger(v)) return `${name} must be a whole number (got ${text})`;
  if (leaf.minExclusive ? v <= leaf.min : v < leaf.min) return `${name} must be ${leaf.minExclusive ? `> ${leaf.min}` : `${leaf.min} or more`} (got ${text})`;
  if (v > leaf.max) return `${name} must be ${leaf.max} or less (got ${text})`;
  if (leaf.multipleOf && v % leaf.multipleOf !== 0) return `${name} must be divisible by ${leaf.multipleOf} (got ${text})`;
  return '';
}

// The config value of an accepted raw form value.
export const readInput = (leaf, raw) => (leaf.type === 'choice' || leaf.type === 'bool' ? raw : Number(String(raw).trim()));

// Whether two configs give the same model: every leaf equal, but those named in `ignore`.
export function sameConfig(schema, a, b, ignore = []) {
  return leaves(schema).every((leaf) => ignore.includes(leaf.name) ||
    JSON.stringify(getPath(a, leaf.path) ?? leaf.default) === JSON.stringify(getPath(b, leaf.path) ?? leaf.default));
}
