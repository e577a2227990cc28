// config-schema.js — reads the engine's config schema (engine.schema()): its leaf fields, the
// defaults, the form's checks of a raw value and config equality. Pure: no DOM; every range,
// choice and default comes from the schema, none is written here.

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
                       choices: f.choices ?? null, values: f.values ?? null, help: f.help ?? '', field: f, optional: false };
      if (f.type === 'int_list') {
        for (let i = 0; i < f.max_items; i++)
          // Items past min_items may be left out: the list is the items given, in order.
          out.push({ ...common, name: `${name}[${i}]`, path: [...path, f.name, i], type: 'int', item: i,
                     default: f.default?.[i], optional: i >= f.min_items });
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

// '' when the form's raw value for a leaf is acceptable (text of a number input, a select's value,
// a checkbox's boolean), else the message shown beside the field.
export function checkInput(leaf, raw, name = leaf.name) {
  if (leaf.type === 'choice') return leaf.choices.includes(raw) ? '' : `${name} must be one of ${leaf.choices.join(', ')}`;
  if (leaf.type === 'bool') return typeof raw === 'boolean' ? '' : `${name} must be true or false`;
  const text = raw === undefined || raw === null ? '' : String(raw).trim();
  if (text === '') return leaf.optional ? '' : `${name} is required`;
  const v = Number(text);
  if (!Number.isFinite(v)) return `${name} must be a number (got "${text}")`;
  if (leaf.type === 'int' && !Number.isInteger(v)) return `${name} must be a whole number (got ${text})`;
  if (leaf.minExclusive ? v <= leaf.min : v < leaf.min) return `${name} must be ${leaf.minExclusive ? `> ${leaf.min}` : `${leaf.min} or more`} (got ${text})`;
  if (v > leaf.max) return `${name} must be ${leaf.max} or less (got ${text})`;
  if (leaf.values && !leaf.values.includes(v)) return `${name} must be ${leaf.values.join(' or ')} (got ${text})`;
  if (leaf.multipleOf && v % leaf.multipleOf !== 0) return `${name} must be divisible by ${leaf.multipleOf} (got ${text})`;
  return '';
}

// The config value of an accepted raw form value; undefined for an optional item left empty.
export function readInput(leaf, raw) {
  if (leaf.type === 'choice' || leaf.type === 'bool') return raw;
  const text = raw === undefined || raw === null ? '' : String(raw).trim();
  return text === '' && leaf.optional ? undefined : Number(text);
}

// Drops the items left out of every int_list of a config (in place): [16, 8, undefined] is [16, 8].
export function compactLists(schema, config) {
  for (const leaf of leaves(schema)) {
    if (leaf.item !== 0) continue;
    const list = getPath(config, leaf.path.slice(0, -1));
    if (Array.isArray(list)) setPath(config, leaf.path.slice(0, -1), list.filter((v) => v !== undefined && v !== null));
  }
  return config;
}

// Whether two configs give the same model: every leaf equal, but those named in `ignore`.
export function sameConfig(schema, a, b, ignore = []) {
  return leaves(schema).every((leaf) => ignore.includes(leaf.name) ||
    JSON.stringify(getPath(a, leaf.path) ?? leaf.default) === JSON.stringify(getPath(b, leaf.path) ?? leaf.default));
}
