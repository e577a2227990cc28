# torch_bench.py — training speed of the default AeVP model in PyTorch on this CPU, for bench.mjs:
# prints one JSON object. It is not a test: it checks no numbers, only measures.
#
# The model is tests/golden/make_golden.py's forward (the exact PyTorch twin of ours: NHWC flatten,
# padding=1 and output_padding=1, BCE from logits as the mean over all pixels), trained with
# torch.optim.Adam(lr=1e-3) on batches of 64 MNIST images read from the raw IDX cache.
# Run with the interpreter that has torch (Debian's python3-torch):
#     /usr/bin/python3 tests/bench/torch_bench.py [--threads 1] [--samples 19200] [--warmup 3200]
#                                                 [--max-seconds S]
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
    from make_golden import forward, init_params, loss_of, make_optimizer
except ImportError as error:  # bench.mjs prints the message as the row's note
    print(json.dumps({"error": f"{type(error).__name__}: {error}"}))
    sys.exit(0)

# The default config of the engine (README, "The model and its config").
CONFIG = dict(filters=[16, 8], latent_grid=3, activation="relu", loss="bce", optimizer="adam",
              learning_rate=0.001, batch_size=64, input=dict(h=28, w=28, c=1))


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
    parser.add_argument("--data", default=os.path.join(ROOT, "datasets", "cache", "mnist",
                                                       "train-images-idx3-ubyte"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)

    images = mnist_images(args.data)
    batch = CONFIG["batch_size"]
    params, _ = init_params(CONFIG, seed=1)
    params = {k: v.requires_grad_(True) for k, v in params.items()}
    optimizer = make_optimizer(CONFIG, list(params.values()))
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
            logits, _, _ = forward(CONFIG, params, x)
            loss = loss_of(CONFIG, logits, x)
            loss.backward()
            optimizer.step()
            done += batch
        return done, time.perf_counter() - t0, float(loss), position, done < count

    warm = train(args.warmup, 0) if args.warmup > 0 else (0, 0.0, None, 0, False)
    samples, seconds, loss, _, capped = train(args.samples, warm[3])
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(),
                      "samples": samples, "seconds": seconds, "samples_per_s": samples / seconds,
                      "loss": loss, "capped": capped, "warmup_samples": warm[0],
                      "warmup_capped": warm[4]}))


if __name__ == "__main__":
    main()
