# torch_bench.py — training speed of an AeVP model in PyTorch on this CPU, for bench.mjs: prints
# one JSON object. It is not a test: it checks no numbers, only measures.
#
# The model is tests/golden/arch_twin.py's forward (the exact PyTorch twin of ours for any config:
# NHWC flatten, padding=k//2 and the output_padding that gives the encoder's sizes back, BCE from
# logits as the mean over all pixels), trained with torch.optim.Adam(lr=1e-3) on batches of 64
# MNIST images read from the raw IDX cache. The default config unless --config gives architecture
# fields (README "Architectures") to put on top of it, e.g. '{"filters":[16,16,16],"res_blocks":1}'.
# Run with the interpreter that has torch (Debian's python3-torch):
#     /usr/bin/python3 tests/bench/torch_bench.py [--threads 1] [--samples 19200] [--warmup 3200]
#                                                 [--max-seconds S] [--config JSON]
# --max-seconds stops the warm-up or the measurement after S seconds (whole batches; "capped" says
# so): a busy machine can make OpenMP's spinning threads hundreds of times slower.
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "golden"))

try:
    import numpy as np
    import torch
    from arch_twin import forward, init_params, loss_of, make_optimizer
except ImportError as error:  # bench.mjs prints the message as the row's note
    print(json.dumps({"error": f"{type(error).__name__}: {error}"}))
    sys.exit(0)

# The default config of the engine (README, "The model and its config").
CONFIG = dict(filters=[16, 8], latent_grid=3, activation="relu", loss="bce", optimizer="adam",
              learning_rate=0.001, batch_size=64, input=dict(h=28, w=28, c=1))
# What --config may set, with the values the engine accepts (README "Architectures").
ARCH_FIELDS = dict(kernel_size=(3, 5), downsample=("stride", "maxpool"),
                   upsample=("transpose", "nearest"), res_blocks=(0, 1, 2, 3),
                   attention=("none", "encoder", "decoder", "both"))


def config_of(text):
    """CONFIG with --config's architecture fields on top; SystemExit with the reason if invalid."""
    try:
        fields = json.loads(text)
    except json.JSONDecodeError as error:
        raise SystemExit(f"torch_bench: --config is not JSON ({error})")
    if not isinstance(fields, dict):
        raise SystemExit("torch_bench: --config must be a JSON object")
    for key, value in fields.items():
        if key == "filters":
            if (not isinstance(value, list) or not 1 <= len(value) <= 4 or
                    not all(isinstance(f, int) and f >= 1 for f in value)):
                raise SystemExit("torch_bench: --config filters must be 1..4 positive integers")
        elif key == "latent_grid":
            if not isinstance(value, int) or value < 1:
                raise SystemExit("torch_bench: --config latent_grid must be a positive integer")
        elif key in ARCH_FIELDS:
            if value not in ARCH_FIELDS[key]:
                raise SystemExit(f"torch_bench: --config {key} must be one of "
                                 f"{', '.join(map(str, ARCH_FIELDS[key]))} (got {value!r})")
        else:
            raise SystemExit(f"torch_bench: --config {key}: not an architecture field (filters, "
                             f"latent_grid, {', '.join(ARCH_FIELDS)})")
    return {**CONFIG, **fields}


def mnist_images(path):
    """(N,28,28,1) float32 in [0,1] from a raw IDX3 file (16-byte header)."""
    with open(path, "rb") as f:
        raw = f.read()
    magic, count, rows, cols = np.frombuffer(raw[:16], dtype=">u4")
    if magic != 2051 or rows != 28 or cols != 28:
        raise SystemExit(f"{path}: not an IDX3 file of 28x28 images")
    pixels = np.frombuffer(raw, dtype=np.uint8, count=int(count) * 784, offset=16)
    return torch.from_numpy(pixels.reshape(int(count), 28, 28, 1).astype(np.float32) / 255.0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--samples", type=int, default=19200)
    parser.add_argument("--warmup", type=int, default=3200)
    parser.add_argument("--max-seconds", type=float, default=float("inf"))
    parser.add_argument("--config", default=None, help="architecture fields on the default config (JSON)")
    parser.add_argument("--data", default=os.path.join(ROOT, "datasets", "cache", "mnist",
                                                       "train-images-idx3-ubyte"))
    args = parser.parse_args()
    cfg = config_of(args.config) if args.config is not None else CONFIG
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)

    images = mnist_images(args.data)
    batch = cfg["batch_size"]
    params, _ = init_params(cfg, seed=1)
    params = {k: v.requires_grad_(True) for k, v in params.items()}
    optimizer = make_optimizer(cfg, list(params.values()))
    order = torch.randperm(images.shape[0])

    def train(count, start):
        """Trains whole batches until at least `count` samples or max_seconds; returns (samples,
        seconds, loss, next position, capped)."""
        done, position, loss = 0, start, None
        t0 = time.perf_counter()
        while done < count and time.perf_counter() - t0 < args.max_seconds:
            if position + batch > images.shape[0]:
                position = 0
            x = images[order[position:position + batch]]
            position += batch
            optimizer.zero_grad(set_to_none=True)
            logits, _, _ = forward(cfg, params, x)
            loss = loss_of(cfg, logits, x)
            loss.backward()
            optimizer.step()
            done += batch
        return done, time.perf_counter() - t0, float(loss), position, done < count

    warm = train(args.warmup, 0) if args.warmup > 0 else (0, 0.0, None, 0, False)
    samples, seconds, loss, _, capped = train(args.samples, warm[3])
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(),
                      "samples": samples, "seconds": seconds, "samples_per_s": samples / seconds,
                      "loss": loss, "capped": capped, "warmup_samples": warm[0],
                      "warmup_capped": warm[4], "config": cfg, "params": sum(p.numel() for p in params.values())}))


if __name__ == "__main__":
    main()
