# quality_torch.py — the PyTorch side of the learning-quality bench (quality.mjs): trains the AeVP
# model as a PyTorch user would build it and prints one JSON object per recorded epoch. Checks nothing.
#
# The layers are torch.nn.Conv2d / ConvTranspose2d / Linear with PyTorch's own default
# initialisation (the point of the bench: compare with what a PyTorch user gets), drawn after
# torch.manual_seed(seed). The forward pass is tests/golden/make_golden.py's, run on those modules'
# parameters: the exact twin of the engine that test_golden.c checks (NHWC flatten, padding=1,
# output_padding=1, BCE from logits as the mean over all pixels). Adam 1e-3, batch 64, a fresh
# shuffle every epoch, the last partial batch kept (as the engine does). Run with Debian's torch:
#     /usr/bin/python3 tests/bench/quality_torch.py --data mnist --seed 1 --epochs 10 \
#         [--record 1,5,10] [--limit N] [--threads 1] [--no-params] [--config JSON]
# --config: architecture fields (README "Architectures") on top of the default config, the layers
# then tests/golden/arch_twin.py's: residual blocks' convs are Conv2d, an attention block's q/k/v/o
# projections Linear(C, C) — the layer kinds whose default init the engine's init "pytorch" draws.
# Each record has the validation figures on all 10,000 test images computed here in float64 and,
# unless --no-params, the weights in the engine's flat layout (base64 float32) so that quality.mjs
# can evaluate them with the engine's own metrics code.
import argparse
import base64
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "golden"))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from arch_twin import flat, forward, layers  # noqa: E402

# The engine's default config (README, "The model and its config").
DEFAULT_CONFIG = dict(filters=[16, 8], latent_grid=3, activation="relu", loss="bce",
                      optimizer="adam", learning_rate=0.001, batch_size=64,
                      input=dict(h=28, w=28, c=1))
# psnr of a perfect reconstruction is capped as core/metrics.c caps it.
PSNR_CAP_DB = 100.0


# What --config may set (the rest of the config is the default's: the bench's loss and optimizer).
ARCH_FIELDS = ("filters", "kernel_size", "downsample", "upsample", "res_blocks", "attention",
               "latent_grid")


def config_of(text):
    """DEFAULT_CONFIG with --config's architecture fields on top (the engine checks the values)."""
    fields = json.loads(text)
    if not isinstance(fields, dict):
        raise SystemExit("quality_torch: --config must be a JSON object")
    unknown = [key for key in fields if key not in ARCH_FIELDS]
    if unknown:
        raise SystemExit(f"quality_torch: --config {', '.join(unknown)}: not an architecture field "
                         f"({', '.join(ARCH_FIELDS)})")
    return {**DEFAULT_CONFIG, **fields}


def build_model(cfg):
    """arch_twin.py's layers as PyTorch modules, in the order and with the names of the engine's
    parameter tensors (a dotted name as nested ModuleDicts); their parameters are what PyTorch's
    default init drew. forward() runs its own convolutions on them: the modules' stride and
    padding never run, only their shapes and default init count."""
    k = cfg.get("kernel_size", 3)
    modules = torch.nn.ModuleDict()
    for name, kind, fan_in_ch, out in layers(cfg):
        if kind == "conv":
            module = torch.nn.Conv2d(fan_in_ch, out, k, padding=k // 2)
        elif kind == "convT":
            module = torch.nn.ConvTranspose2d(fan_in_ch, out, k, stride=2, padding=k // 2)
        else:
            module = torch.nn.Linear(fan_in_ch, out)
        *parents, leaf = name.split(".")
        holder = modules
        for part in parents:
            if part not in holder:
                holder[part] = torch.nn.ModuleDict()
            holder = holder[part]
        holder[leaf] = module
    return modules


def logits_of(cfg, modules, x_nhwc):
    return forward(cfg, dict(modules.named_parameters()), x_nhwc)[0]


def idx_images(path, limit=None):
    """(N,H,W,1) float32 in [0,1] from a raw IDX3 file (16-byte header)."""
    with open(path, "rb") as f:
        raw = f.read()
    magic, count, rows, cols = (int(v) for v in np.frombuffer(raw[:16], dtype=">u4"))
    if magic != 2051:
        raise SystemExit(f"{path}: not an IDX3 file")
    if limit:
        count = min(count, limit)
    pixels = np.frombuffer(raw, dtype=np.uint8, count=count * rows * cols, offset=16)
    return torch.from_numpy(pixels.reshape(count, rows, cols, 1).astype(np.float32) / 255.0)


def data_path(data, name):
    return os.path.join(ROOT, "datasets", "cache", data, name)


def train_epoch(cfg, modules, optimizer, images, order):
    """One pass over images in the given order; returns the mean batch loss."""
    batch, total, batches = cfg["batch_size"], 0.0, 0
    for start in range(0, images.shape[0], batch):
        x = images[order[start:start + batch]]
        optimizer.zero_grad(set_to_none=True)
        loss = F.binary_cross_entropy_with_logits(logits_of(cfg, modules, x), x)
        loss.backward()
        optimizer.step()
        total += float(loss)
        batches += 1
    return total / batches


@torch.no_grad()
def evaluate(cfg, modules, images, chunk=1000):
    """Per-image BCE (mean over the pixels), MSE and PSNR, averaged over the images in float64,
    as core/api.c's ae_evaluate does; psnr_global is 10 log10(1 / mean MSE)."""
    bce, mse, psnr = [], [], []
    for start in range(0, images.shape[0], chunk):
        x = images[start:start + chunk]
        logits = logits_of(cfg, modules, x)
        per_pixel = F.binary_cross_entropy_with_logits(logits, x, reduction="none").double()
        err = (torch.sigmoid(logits).double() - x.double()) ** 2
        b, m = per_pixel.flatten(1).mean(1), err.flatten(1).mean(1)
        p = torch.where(m <= 1e-10, torch.full_like(m, PSNR_CAP_DB),
                        (10 * torch.log10(1 / m)).clamp(max=PSNR_CAP_DB))
        bce.append(b), mse.append(m), psnr.append(p)
    bce, mse, psnr = torch.cat(bce), torch.cat(mse), torch.cat(psnr)
    mean_mse = float(mse.mean())
    return dict(val_loss=float(bce.mean()), val_mse=mean_mse, val_psnr=float(psnr.mean()),
                val_psnr_global=10 * np.log10(1 / mean_mse))


def train_and_record(cfg, data, seed, epochs, record, limit=None, test_limit=None, params=True,
                     emit=print):
    """Trains from PyTorch's default init under `seed` and emits one dict per recorded epoch."""
    torch.manual_seed(seed)
    modules = build_model(cfg)
    optimizer = torch.optim.Adam(modules.parameters(), lr=cfg["learning_rate"])
    train = idx_images(data_path(data, "train-images-idx3-ubyte"), limit)
    test = idx_images(data_path(data, "t10k-images-idx3-ubyte"), test_limit)
    shuffle = torch.Generator().manual_seed(seed)
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        order = torch.randperm(train.shape[0], generator=shuffle)
        train_loss = train_epoch(cfg, modules, optimizer, train, order)
        seconds = time.perf_counter() - start
        if epoch not in record:
            continue
        row = dict(epoch=epoch, train_loss=train_loss, **evaluate(cfg, modules, test),
                   samples_per_s=train.shape[0] / seconds)
        if params:
            weights = flat(cfg, dict(modules.named_parameters())).numpy().astype("<f4")
            row["params_f32_base64"] = base64.b64encode(weights.tobytes()).decode("ascii")
        emit(row)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", choices=["mnist", "fashion"], default="mnist")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--record", default="", help="epochs to report, e.g. 1,5,10 (default all)")
    parser.add_argument("--limit", type=int, default=None, help="first N training images only")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-params", action="store_true")
    parser.add_argument("--config", default=None, help="architecture fields on the default config (JSON)")
    args = parser.parse_args()
    cfg = config_of(args.config) if args.config is not None else DEFAULT_CONFIG
    torch.set_num_threads(args.threads)
    record = {int(e) for e in args.record.split(",") if e} or set(range(1, args.epochs + 1))
    header = dict(torch=torch.__version__, threads=torch.get_num_threads(), data=args.data,
                  seed=args.seed, config=cfg)
    print(json.dumps(header), flush=True)
    train_and_record(cfg, args.data, args.seed, args.epochs, record, args.limit,
                     params=not args.no_params,
                     emit=lambda row: print(json.dumps(row), flush=True))


if __name__ == "__main__":
    main()
