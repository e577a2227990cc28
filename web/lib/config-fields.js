// config-fields.js — the page's own words for the engine's config fields: a label for the form and
// a short key for the share link, in the order the form shows them and the link writes them.
// Nothing else: types, ranges, choices, defaults and help come from the engine's schema.
import { leaves } from './config-schema.js';

// A schema leaf missing here still gets a form field (labelled with its name) but no link key.
export const PAGE_FIELDS = [
  { name: 'filters[0]', label: 'Filters F1', key: 'f1' },
  { name: 'filters[1]', label: 'Filters F2', key: 'f2' },
  { name: 'filters[2]', label: 'Filters F3 (3rd stage)', key: 'f3' },
  { name: 'filters[3]', label: 'Filters F4 (4th stage)', key: 'f4' },
  { name: 'kernel_size', label: 'Kernel size', key: 'k' },
  { name: 'downsample', label: 'Downsampling', key: 'down' },
  { name: 'upsample', label: 'Upsampling', key: 'up' },
  { name: 'res_blocks', label: 'Residual blocks per stage', key: 'res' },
  { name: 'attention', label: 'Self-attention', key: 'attn' },
  { name: 'latent_grid', label: 'Latent grid g', key: 'g' },
  { name: 'activation', label: 'Activation', key: 'act' },
  { name: 'loss', label: 'Loss', key: 'loss' },
  { name: 'optimizer', label: 'Optimizer', key: 'opt' },
  { name: 'learning_rate', label: 'Learning rate', key: 'lr' },
  { name: 'batch_size', label: 'Batch size', key: 'bs' },
  { name: 'epochs', label: 'Epochs', key: 'ep' },
  { name: 'seed', label: 'Seed', key: 'seed' },
  { name: 'variational', label: 'Variational (VAE)', key: 'vae' },
  { name: 'beta', label: 'β (KL weight)', key: 'beta' },
  { name: 'init', label: 'Initialisation', key: 'init' },
  { name: 'schedule', label: 'LR schedule', key: 'sch' },
  { name: 'warmup', label: 'Warm-up share', key: 'wu' },
  { name: 'weight_decay', label: 'Weight decay', key: 'wd' },
];

// The input size is the data set's, not the person's: the form does not show it.
const HIDDEN = /^input\./;

// The schema's leaves with the page's label and link key, in the page's order: first those of
// PAGE_FIELDS, then any other leaf the schema has (a field added to the engine shows up by itself).
export function pageFields(schema) {
  const all = leaves(schema).filter((leaf) => !HIDDEN.test(leaf.name));
  const known = PAGE_FIELDS.map((p) => {
    const leaf = all.find((l) => l.name === p.name);
    return leaf && { ...leaf, label: p.label, key: p.key };
  }).filter(Boolean);
  const rest = all.filter((l) => !PAGE_FIELDS.some((p) => p.name === l.name)).map((l) => ({ ...l, label: l.name, key: null }));
  return [...known, ...rest];
}

// The id of a field's input in the page ("cfg-f1", "cfg-latent_grid"): list items by their link key.
export const inputId = (field) => `cfg-${field.item !== null && field.key ? field.key : field.name.replace(/\W/g, '_')}`;
