// torch-export.js — writes the standalone PyTorch script for a model's config: the same nn.Module
// (README "Architectures"), loading and saving AeVP model files, reconstructing, and training on
// MNIST-format IDX files with the config's settings. Pure text: no DOM, no engine, no file access.

const ACTIVATIONS = {
  relu: 'F.relu(x)', leaky_relu: 'F.leaky_relu(x, 0.01)', elu: 'F.elu(x, 1.0)', tanh: 'torch.tanh(x)',
};

// What each choice of the config's architecture fields means here (keyed by the schema's choice
// names, which the page never spells out as strings): where attention goes, and which layer
// downsamples and upsamples.
const ATTENTION = { none: [false, false], encoder: [true, false], decoder: [false, true], both: [true, true] };
const POOLED = { stride: false, maxpool: true };
const NEAREST = { transpose: false, nearest: true };

function choice(table, field, value) {
  if (!(value in table)) throw new Error(`torch export: ${field} ${value} is not known to the exporter`);
  return table[value];
}

// The module's constructor and forward lines, stage by stage in the engine's order.
function moduleLines(config) {
  const filters = config.filters, depth = filters.length, k = config.kernel_size;
  const res = config.res_blocks;
  const [attendEnc, attendDec] = choice(ATTENTION, 'attention', config.attention);
  const pooled = choice(POOLED, 'downsample', config.downsample);
  const nearest = choice(NEAREST, 'upsample', config.upsample);
  const channels = [config.input.c, ...filters];
  const sizes = [[config.input.h, config.input.w]];
  for (let i = 1; i <= depth; i++) sizes.push(sizes[i - 1].map((s) => Math.ceil(s / 2)));
  const latent = config.latent_grid ** 2, [lowH, lowW] = sizes[depth], lowC = filters[depth - 1];
  const init = [], forward = [];
  const blocks = (prefix, width) => {
    if (!res) return;
    init.push(`self.${prefix} = nn.ModuleDict({${Array.from({ length: res }, (_, j) => `"res${j + 1}": Residual(${width}, K)`).join(', ')}})`);
    for (let j = 1; j <= res; j++) forward.push(`x = self.${prefix}["res${j}"](x)  # stage ${prefix}.res${j}`);
  };
  for (let i = 1; i <= depth; i++) {
    if (!pooled) {
      init.push(`self.conv${i} = nn.Conv2d(${channels[i - 1]}, ${channels[i]}, K, stride=2, padding=K // 2)`);
      forward.push(`x = act(self.conv${i}(x))  # stage conv${i}: ${sizes[i].join('x')}x${channels[i]}`);
    } else {
      init.push(`self.conv${i} = nn.Conv2d(${channels[i - 1]}, ${channels[i]}, K, padding=K // 2)`);
      forward.push(`x = F.max_pool2d(act(self.conv${i}(x)), 2, stride=2, ceil_mode=True)  # stage conv${i}: ${sizes[i].join('x')}x${channels[i]}`);
    }
    blocks(`enc${i}`, channels[i]);
  }
  if (attendEnc) {
    init.push(`self.attn_enc = Attention(${lowC})`);
    forward.push('x, self.weights["attn_enc"] = self.attn_enc(x)  # stage attn_enc');
  }
  const encOut = config.variational ? 2 * latent : latent;
  init.push(`self.enc = nn.Linear(${lowH * lowW * lowC}, ${encOut})${config.variational ? '  # mu, then log sigma^2' : ''}`);
  init.push(`self.dec = nn.Linear(${latent}, ${lowH * lowW * lowC})`);
  const encodeLines = [...forward];
  forward.length = 0;
  forward.push(`x = act(self.dec(z)).reshape(-1, ${lowH}, ${lowW}, ${lowC}).permute(0, 3, 1, 2)  # stage dense (NHWC order)`);
  if (attendDec) {
    init.push(`self.attn_dec = Attention(${lowC})`);
    forward.push('x, self.weights["attn_dec"] = self.attn_dec(x)  # stage attn_dec');
  }
  for (let s = 1; s <= depth; s++) {
    const cIn = channels[Math.min(depth, depth - s + 2)], cOut = channels[depth - s + 1];
    const [outH, outW] = sizes[depth - s], [inH, inW] = sizes[depth - s + 1];
    blocks(`dec${s}`, cIn);
    if (!nearest) {
      init.push(`self.convT${s} = nn.ConvTranspose2d(${cIn}, ${cOut}, K, stride=2, padding=K // 2, output_padding=(${outH - 2 * inH + 1}, ${outW - 2 * inW + 1}))`);
      forward.push(`x = act(self.convT${s}(x))  # stage convT${s}: ${outH}x${outW}x${cOut}`);
    } else {
      init.push(`self.up${s} = nn.Conv2d(${cIn}, ${cOut}, K, padding=K // 2)`);
      forward.push(`x = act(self.up${s}(F.interpolate(x, size=(${outH}, ${outW}))))  # stage up${s}: nearest to ${outH}x${outW}, conv to ${cOut}`);
    }
  }
  init.push(`self.out = nn.Conv2d(${filters[0]}, ${config.input.c}, K, padding=K // 2)`);
  forward.push('return self.out(x).permute(0, 2, 3, 1)  # logits, NHWC; the output is their sigmoid');
  return { init, encode: encodeLines, decode: forward, k, latent };
}

const indent = (lines, n) => lines.map((l) => ' '.repeat(n) + l).join('\n');

// config: the model's config (as Model.config); tensors: Model.tensors() ({name, shape, offset,
// count}), checked against the module when the script loads a file; dataset: its name, for the
// docstring and the saved file's metadata.
export function torchScript({ config, tensors, dataset = 'mnist' }) {
  const m = moduleLines(config);
  const act = ACTIVATIONS[config.activation];
  if (!act) throw new Error(`torch export: unknown activation ${config.activation}`);
  const configJson = JSON.stringify(config);
  const names = JSON.stringify(tensors.map((t) => t.name));
  const { h, w, c } = config.input;
  return `#!/usr/bin/env python3
"""AeVP model in PyTorch, generated by AeVP for this config (${dataset}, ${h}x${w}x${c},
filters ${JSON.stringify(config.filters)}): the same network, to load the AeVP model file, reproduce
its reconstructions and continue training, on a GPU or anywhere PyTorch runs. Needs torch and numpy.

Usage:
  python3 SCRIPT reconstruct MODEL.safetensors --input IN.f32 --output OUT.f32
      run raw little-endian float32 NHWC images through the model (z = mu for a VAE)
  python3 SCRIPT train MODEL.safetensors --images train-images-idx3-ubyte [--epochs E]
      [--steps S] [--out OUT.safetensors] [--seed N]
      continue training on MNIST or Fashion-MNIST images (an IDX file, .gz or not) with the
      config's loss, optimizer, learning rate, schedule, weight decay and batch size, and save an
      AeVP model file the page opens (default OUT: MODEL with -torch before .safetensors)
"""
import argparse
import gzip
import json
import math
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

CONFIG = json.loads(${JSON.stringify(configJson)})
TENSORS = ${names}  # the model file's tensor names, in AeVP's order
K = ${m.k}
LATENT = ${m.latent}


def act(x):
    return ${act}


class Residual(nn.Module):
    """y = act(x + b(act(a(x)))) at the stage's resolution (He et al. 2016)."""

    def __init__(self, width, k):
        super().__init__()
        self.a = nn.Conv2d(width, width, k, padding=k // 2)
        self.b = nn.Conv2d(width, width, k, padding=k // 2)

    def forward(self, x):
        return act(x + self.b(act(self.a(x))))


class Attention(nn.Module):
    """Single-head self-attention over the positions, with a residual connection:
    y = x + softmax(Q K^T / sqrt(C)) V Wo + bo. Returns y and the weights (N, P queries, P keys)."""

    def __init__(self, width):
        super().__init__()
        self.q, self.k, self.v, self.o = (nn.Linear(width, width) for _ in range(4))

    def forward(self, x):
        n, c, h, w = x.shape
        rows = x.permute(0, 2, 3, 1).reshape(n, h * w, c)
        weights = torch.softmax(self.q(rows) @ self.k(rows).transpose(1, 2) / math.sqrt(c), dim=2)
        y = rows + self.o(weights @ self.v(rows))
        return y.reshape(n, h, w, c).permute(0, 3, 1, 2), weights


class AeVP(nn.Module):
    def __init__(self):
        super().__init__()
        self.weights = {}  # the attention blocks' last weights
${indent(m.init, 8)}

    def encode(self, images):
        """(N, H, W, C) in [0, 1] -> the latent (a VAE's mu and log sigma^2 side by side)."""
        x = images.permute(0, 3, 1, 2)
${indent(m.encode, 8)}
        return self.enc(x.permute(0, 2, 3, 1).reshape(x.shape[0], -1))

    def decode(self, z):
${indent(m.decode, 8)}

    def forward(self, images, sample=False):
        """-> (logits NHWC, mu, logvar); mu and logvar are None for a plain autoencoder."""
        h = self.encode(images)
        if not CONFIG["variational"]:
            return self.decode(h), None, None
        mu, logvar = h[:, :LATENT], h[:, LATENT:]
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu) if sample else mu
        return self.decode(z), mu, logvar


def loss_of(model, images, sample):
    """README's loss: the mean per element (BCE from the logits, or MSE of the sigmoid), plus for a
    VAE beta * KL / P (KL in nats per image, P pixels per image)."""
    logits, mu, logvar = model(images, sample)
    if CONFIG["loss"] == "bce":
        loss = F.binary_cross_entropy_with_logits(logits, images)
    else:
        loss = F.mse_loss(torch.sigmoid(logits), images)
    if mu is not None:
        kl = (-0.5 * (1 + logvar - mu * mu - logvar.exp())).sum(dim=1).mean()
        loss = loss + CONFIG["beta"] * kl / images[0].numel()
    return loss


# --- AeVP model files: safetensors, read and written with struct and json ---
def layout_of(model, name):
    module = model.get_submodule(name.rsplit(".", 1)[0])
    return "bias" if name.endswith(".bias") else type(module).__name__


def to_torch(kind, ours):
    """AeVP: conv (kh,kw,in,out), transposed conv (kh,kw,out,in), dense (in,out)."""
    t = torch.from_numpy(np.array(ours, dtype=np.float32))
    if kind in ("Conv2d", "ConvTranspose2d"):
        return t.permute(3, 2, 0, 1).contiguous()
    return t.t().contiguous() if kind == "Linear" else t


def to_ours(kind, t):
    t = t.detach().cpu()
    if kind in ("Conv2d", "ConvTranspose2d"):
        return t.permute(2, 3, 1, 0).contiguous().numpy()
    return (t.t().contiguous() if kind == "Linear" else t).numpy()


def load(path):
    blob = open(path, "rb").read()
    (size,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + size])
    metadata, data = header.pop("__metadata__", {}), blob[8 + size:]
    if metadata.get("format") != "aevp":
        sys.exit(f"{path}: not an AeVP model file")
    if json.loads(metadata["config"]) != CONFIG:
        print(f"{path}: note: its config differs from the one this script was made for",
              file=sys.stderr)
    model = AeVP()
    state = {}
    for name in TENSORS:
        begin, end = header[name]["data_offsets"]
        ours = np.frombuffer(data[begin:end], dtype="<f4").reshape(header[name]["shape"])
        state[name] = to_torch(layout_of(model, name), ours)
    model.load_state_dict(state)
    return model, metadata


def save(model, path, metadata):
    header, chunks, offset = {"__metadata__": metadata}, [], 0
    for name in TENSORS:
        array = to_ours(layout_of(model, name), model.state_dict()[name])
        raw = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def read_idx(path):
    """Unsigned-byte IDX images -> float32 (N, H, W, C) in [0, 1]."""
    raw = (gzip.open if path.endswith(".gz") else open)(path, "rb").read()
    magic, count = struct.unpack(">II", raw[:8])
    if magic != 0x803:
        sys.exit(f"{path}: not an IDX file of images")
    rows, cols = struct.unpack(">II", raw[8:16])
    i = CONFIG["input"]
    if (rows, cols, 1) != (i["h"], i["w"], i["c"]):
        sys.exit(f"{path}: images are {rows}x{cols}x1, the model takes {i['h']}x{i['w']}x{i['c']}")
    pixels = np.frombuffer(raw, dtype=np.uint8, count=count * rows * cols, offset=16)
    return torch.from_numpy(pixels.reshape(count, rows, cols, 1).astype(np.float32) / 255.0)


def make_optimizer(model, updates):
    """The config's optimizer; weight decay decoupled for all three (as AdamW), as AeVP does."""
    lr, decay, params = CONFIG["learning_rate"], CONFIG.get("weight_decay", 0.0), model.parameters()
    if CONFIG["optimizer"] == "adam":
        opt = torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=decay)
    elif CONFIG["optimizer"] == "sgd":
        opt = torch.optim.SGD(params, lr=lr, momentum=0.9)
    else:
        opt = torch.optim.RMSprop(params, lr=lr, alpha=0.99, eps=1e-8)
    schedules = dict(
        constant=lambda: None,
        cosine=lambda: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=updates),
        onecycle=lambda: torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=lr, total_steps=updates, pct_start=CONFIG["warmup"],
            cycle_momentum=False))
    sched = schedules[CONFIG["schedule"]]()
    return opt, sched, (decay if CONFIG["optimizer"] != "adam" else 0.0)


def train(args):
    torch.manual_seed(args.seed)
    model, metadata = load(args.model)
    images = read_idx(args.images)
    batch = CONFIG["batch_size"]
    per_epoch = len(images) // batch
    updates = args.steps or args.epochs * per_epoch
    opt, sched, manual_decay = make_optimizer(model, updates)
    first = images[:batch]
    with torch.no_grad():
        before = float(loss_of(model, first, sample=False))
    step = 0
    while step < updates:
        order = torch.randperm(len(images)) if step else torch.arange(len(images))
        for b in range(per_epoch):
            if step == updates:
                break
            x = images[order[b * batch:(b + 1) * batch]]
            if manual_decay:
                with torch.no_grad():
                    for p in model.parameters():
                        p.mul_(1 - opt.param_groups[0]["lr"] * manual_decay)
            opt.zero_grad()
            loss = loss_of(model, x, sample=True)
            loss.backward()
            opt.step()
            if sched:
                sched.step()
            step += 1
            if step % 100 == 0 or step == updates:
                print(f"step {step}/{updates}: loss {float(loss):.5f}", file=sys.stderr)
    with torch.no_grad():
        after = float(loss_of(model, first, sample=False))
    out = args.out or args.model.replace(".safetensors", "") + "-torch.safetensors"
    metadata = dict(metadata, format="aevp", format_version="1",
                    config=json.dumps(CONFIG, separators=(",", ":")),
                    producer=f"PyTorch {torch.__version__}, AeVP's exported script",
                    summary=" + ".join(filter(None, [metadata.get("summary"), f"{updates} PyTorch steps"])))
    save(model, out, metadata)
    print(json.dumps({"updates": updates, "first_batch_loss_before": before,
                      "first_batch_loss_after": after, "saved": out}))


def reconstruct(args):
    model, _ = load(args.model)
    i = CONFIG["input"]
    x = torch.from_numpy(np.fromfile(args.input, dtype="<f4").reshape(-1, i["h"], i["w"], i["c"]))
    with torch.no_grad():
        logits, _, _ = model(x)
    torch.sigmoid(logits).numpy().astype("<f4").tofile(args.output)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("reconstruct", help="images in, reconstructions out (raw float32 NHWC)")
    r.add_argument("model")
    r.add_argument("--input", required=True)
    r.add_argument("--output", required=True)
    t = sub.add_parser("train", help="continue training on an IDX image file; save the result")
    t.add_argument("model")
    t.add_argument("--images", required=True, help="MNIST or Fashion-MNIST images, IDX (.gz ok)")
    t.add_argument("--epochs", type=int, default=1)
    t.add_argument("--steps", type=int, default=0, help="this many batches instead of epochs")
    t.add_argument("--out", help="the AeVP model file to write")
    t.add_argument("--seed", type=int, default=CONFIG.get("seed", 1))
    args = parser.parse_args()
    (train if args.command == "train" else reconstruct)(args)


if __name__ == "__main__":
    main()
`;
}
