// config-fields.js — the page's own words for the engine's config fields: a label for the form and
// a short key for the share link, in the order the form shows them and the link writes them.
// Nothing else: types, ranges, choices, defaults and help come from the engine's schema.
import { leaves } from './config-schema.js';

// A schema leaf missing here still gets a form field (labelled with its name) but no link key.
export const PAGE_FIELDS = [
  { name: 'filters[0]', label: 'Filters F1', key: 'f1', group: 'network' },
  { name: 'filters[1]', label: 'Filters F2', key: 'f2', group: 'network' },
  { name: 'latent_grid', label: 'Latent grid g', key: 'g', group: 'network' },
  { name: 'activation', label: 'Activation', key: 'act', group: 'network' },
  { name: 'variational', label: 'Variational (VAE)', key: 'vae', group: 'network' },
  { name: 'beta', label: 'β (KL weight)', key: 'beta', group: 'network' },
  { name: 'filters[2]', label: 'Filters F3 (3rd stage)', key: 'f3', group: 'architecture' },
  { name: 'filters[3]', label: 'Filters F4 (4th stage)', key: 'f4', group: 'architecture' },
  { name: 'kernel_size', label: 'Kernel size', key: 'k', group: 'architecture' },
  { name: 'downsample', label: 'Downsampling', key: 'down', group: 'architecture' },
  { name: 'upsample', label: 'Upsampling', key: 'up', group: 'architecture' },
  { name: 'res_blocks', label: 'Residual blocks per stage', key: 'res', group: 'architecture' },
  { name: 'attention', label: 'Self-attention', key: 'attn', group: 'architecture' },
  { name: 'loss', label: 'Loss', key: 'loss', group: 'training' },
  { name: 'optimizer', label: 'Optimizer', key: 'opt', group: 'training' },
  { name: 'learning_rate', label: 'Learning rate', key: 'lr', group: 'training' },
  { name: 'batch_size', label: 'Batch size', key: 'bs', group: 'training' },
  { name: 'epochs', label: 'Epochs', key: 'ep', group: 'training' },
  { name: 'seed', label: 'Seed', key: 'seed', group: 'training' },
  { name: 'init', label: 'Initialisation', key: 'init', group: 'more' },
  { name: 'schedule', label: 'LR schedule', key: 'sch', group: 'more' },
  { name: 'warmup', label: 'Warm-up share', key: 'wu', group: 'more' },
  { name: 'weight_decay', label: 'Weight decay', key: 'wd', group: 'more' },
];

// A closed Architecture section's one line: what the config's network is, from its own values.
export function architectureSummary(config) {
  const stages = config.filters.length;
  const res = config.res_blocks;
  return `${stages} stage${stages === 1 ? '' : 's'} (${config.filters.join(', ')}) · ${config.kernel_size}×${config.kernel_size} · ` +
         `down: ${config.downsample} · up: ${config.upsample} · ${res} residual block${res === 1 ? '' : 's'} · ` +
         `attention: ${config.attention}`;
}

// The form's sections, in order: a field's `group` above (a leaf of the schema not listed there goes
// to the last). A collapsed section opens by itself when a field in it is invalid, and (openOnChange)
// when a config put in the form has a value of it other than the default: a preset's or a link's
// architecture is shown, not hidden. Closed, its summary line says what it holds.
export const FIELD_GROUPS = [
  { id: 'network', title: null },
  { id: 'architecture', title: 'Architecture', collapsed: true, openOnChange: true, summary: architectureSummary,
    hint: 'Depth, kernels, how stages shrink and grow the image, residual blocks and self-attention.' },
  { id: 'training', title: 'Training' },
  { id: 'more', title: 'More training options', collapsed: true,
    hint: 'Initialisation, learning-rate schedule and weight decay.' },
];

// The input size is the data set's, not the person's: the form does not show it.
const HIDDEN = /^input\./;

// The schema's leaves with the page's label and link key, in the page's order: first those of
// PAGE_FIELDS, then any other leaf the schema has (a field added to the engine shows up by itself).
export function pageFields(schema) {
  const all = leaves(schema).filter((leaf) => !HIDDEN.test(leaf.name));
  const known = PAGE_FIELDS.map((p) => {
    const leaf = all.find((l) => l.name === p.name);
    return leaf && { ...leaf, label: p.label, key: p.key, group: p.group };
  }).filter(Boolean);
  const rest = all.filter((l) => !PAGE_FIELDS.some((p) => p.name === l.name)).map((l) => ({ ...l, label: l.name, key: null, group: FIELD_GROUPS.at(-1).id }));
  return [...known, ...rest];
}

// The id of a field's input in the page ("cfg-f1", "cfg-latent_grid"): list items by their link key.
export const inputId = (field) => `cfg-${field.item !== null && field.key ? field.key : field.name.replace(/\W/g, '_')}`;
