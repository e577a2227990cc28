#!/usr/bin/env bash
# make-presets.sh — trains the preset gallery with the native trainer at fixed seeds and writes
# web/presets/ (model files + presets.json). The outputs are committed; rerun to regenerate.
#     bash build/make-presets.sh              every preset
#     bash build/make-presets.sh NAME...      only these; the others keep their files and entries
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

trainer=out/native/aevp-train
[[ -x $trainer ]] || { echo "make-presets: build first (bash build/build.sh)" >&2; exit 1; }
mkdir -p web/presets
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# name | data set | epochs | config | title | description
presets=(
  # The first five predate the init field: they keep the rule they were trained with (he).
  'mnist-3x3|mnist|4|{"latent_grid":3,"seed":1,"init":"he"}|MNIST, 3×3 latent|The original AeVP model: 9 numbers hold a digit.'
  'mnist-2x2|mnist|4|{"latent_grid":2,"seed":1,"init":"he"}|MNIST, 2×2 latent|Only 4 numbers: blurrier digits, easier to explore by hand.'
  'mnist-1x1|mnist|4|{"latent_grid":1,"seed":1,"init":"he"}|MNIST, a single number|One slider sweeps through the digits the decoder knows.'
  'fashion-4x4|fashion|4|{"latent_grid":4,"filters":[16,16],"seed":1,"init":"he"}|Fashion-MNIST, 4×4 latent|Clothes need more numbers than digits.'
  'mnist-vae-3x3|mnist|4|{"latent_grid":3,"variational":true,"seed":1,"init":"he"}|MNIST VAE, 3×3 latent|A variational autoencoder: its codes fill N(0, 1), so samples from the prior look like digits.'
  'mnist-residual|mnist|4|{"latent_grid":3,"filters":[16,16],"res_blocks":1,"seed":1}|MNIST, residual blocks|A residual block per stage: conv, activation, conv, plus its input. The skip lets each block learn only a correction.'
  'mnist-attention|mnist|4|{"latent_grid":3,"filters":[16,16],"attention":"both","seed":1}|MNIST, self-attention|Attention at 7×7 in the encoder and the decoder: hover a position of the attention card to see which others it draws on.'
  'mnist-nearest|mnist|4|{"latent_grid":3,"filters":[16,16],"downsample":"maxpool","upsample":"nearest","seed":1}|MNIST, max-pool and nearest upsampling|The classic Keras-tutorial autoencoder. Its decoder doubles by copying pixels, then convolves: no checkerboard, unlike the transposed convolutions of the residual preset (compare their up maps).'
  'fashion-deep|fashion|4|{"latent_grid":4,"filters":[16,32,32],"res_blocks":1,"seed":1}|Fashion-MNIST, 3 stages|Three stages, 28 → 14 → 7 → 4, a residual block in each: a little sharper than the 2-stage model (19.3 against 19.1 dB after 4 epochs) for 4 times the work.'
)

wanted=" $* "
index='[]'
for line in "${presets[@]}"; do
  IFS='|' read -r name data epochs config title description <<<"$line"
  if [[ $# -gt 0 && $wanted != *" $name "* ]]; then
    # Not asked for: its entry stays as it was (the file is untouched).
    index=$(node -e '
      const [index, name] = process.argv.slice(1);
      const old = JSON.parse(require("fs").readFileSync("web/presets/presets.json", "utf8")).presets.find((p) => p.name === name);
      if (!old) throw new Error(`make-presets: ${name} has never been made: name it to make it`);
      console.log(JSON.stringify([...JSON.parse(index), old]));' "$index" "$name")
    continue
  fi
  echo "$config" >"$tmp/$name.json"
  "$trainer" --data "$data" --config "$tmp/$name.json" --epochs "$epochs" --json \
    --out "web/presets/$name.safetensors" >"$tmp/$name.log"
  last=$(tail -n 1 "$tmp/$name.log")
  echo "make-presets: $name: $last" >&2
  index=$(node -e '
    const [index, name, data, title, description, last] = process.argv.slice(1);
    const list = JSON.parse(index);
    const m = JSON.parse(last);
    // The full config, as the trainer wrote it into the file header, so links can name a preset.
    const bytes = require("fs").readFileSync(`web/presets/${name}.safetensors`);
    const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString());
    const { input, ...config } = JSON.parse(header.__metadata__.config);
    list.push({ name, dataset: data, title, description, file: `${name}.safetensors`, config, epochs: m.epoch,
                val_loss: m.val_loss, val_psnr: m.val_psnr, val_ssim: m.val_ssim });
    console.log(JSON.stringify(list));' "$index" "$name" "$data" "$title" "$description" "$last")
done
node -e 'console.log(JSON.stringify({ made_by: "bash build/make-presets.sh", presets: JSON.parse(process.argv[1]) }, null, 1))' "$index" >web/presets/presets.json
