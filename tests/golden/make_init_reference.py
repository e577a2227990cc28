# make_init_reference.py — writes tests/golden/init_reference.json: what PyTorch's default
# initialisation draws per tensor, and a short PyTorch training figure. Not run by the build or tests.
#
# For the test that keeps init "pytorch" honest. Run by hand with Debian's torch, and commit the
# JSON it writes next to itself:
#     /usr/bin/python3 tests/golden/make_init_reference.py
# (a) "init": per config and per engine tensor name (README, "Parameter tensors"), the values
#     torch.nn.Conv2d / ConvTranspose2d / Linear draw by default under torch.manual_seed(s) for
#     s = 1..5, pooled: PyTorch's bound (kaiming_uniform_ with a = sqrt(5) gives 1/sqrt(fan_in) for
#     weights; biases get 1/sqrt(fan_in) too, fan_in from torch.nn.init's
#     _calculate_fan_in_and_fan_out of the weight, which for a transposed conv is out_channels * 9),
#     the mean, the (population) variance, min and max. Layouts do not change these statistics.
# (b) "training": val BCE of the default model from PyTorch's default init after one epoch of Adam
#     1e-3, batch 64, on the first 4,096 MNIST training images (shuffled by torch.randperm with a
#     generator seeded s), evaluated on the first 2,000 test images, for s = 1, 2, 3, and their median.
import json
import math
import os
import statistics
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "bench"))

from quality_torch import DEFAULT_CONFIG, build_model, train_and_record  # noqa: E402

INIT_SEEDS = [1, 2, 3, 4, 5]
TRAIN_SEEDS = [1, 2, 3]
TRAIN_IMAGES, TEST_IMAGES = 4096, 2000
# The configs the engine's test draws, as JSON overrides of the defaults.
CONFIGS = [{}, {"filters": [32, 4], "latent_grid": 2, "variational": True},
           {"input": {"h": 32, "w": 32, "c": 3}}]


def full_config(overrides):
    cfg = json.loads(json.dumps(DEFAULT_CONFIG))
    cfg.update(json.loads(json.dumps(overrides)))
    return cfg


def init_statistics(overrides):
    cfg = full_config(overrides)
    drawn, bounds = {}, {}
    for seed in INIT_SEEDS:
        torch.manual_seed(seed)
        modules = build_model(cfg)
        for layer_name, module in modules.items():
            fan_in, _ = torch.nn.init._calculate_fan_in_and_fan_out(module.weight)
            for kind in ("weight", "bias"):
                name = f"{layer_name}.{kind}"
                drawn.setdefault(name, []).append(getattr(module, kind).detach().double().reshape(-1))
                bounds[name] = (fan_in, 1.0 / math.sqrt(fan_in))
    tensors = {}
    for name, parts in drawn.items():
        values = torch.cat(parts)
        fan_in, bound = bounds[name]
        tensors[name] = dict(
            count_per_seed=parts[0].numel(), fan_in=fan_in, bound=bound,
            expected_variance=bound * bound / 3, mean=float(values.mean()),
            variance=float(values.var(unbiased=False)), min=float(values.min()),
            max=float(values.max()))
    return dict(config=overrides, tensors=tensors)


def training_figure():
    per_seed = []
    for seed in TRAIN_SEEDS:
        rows = []
        train_and_record(DEFAULT_CONFIG, "mnist", seed, 1, {1}, limit=TRAIN_IMAGES,
                         test_limit=TEST_IMAGES, params=False, emit=rows.append)
        per_seed.append(rows[0]["val_loss"])
    return dict(config={}, train_images=TRAIN_IMAGES, test_images=TEST_IMAGES, epochs=1,
                optimizer="adam", learning_rate=DEFAULT_CONFIG["learning_rate"],
                batch_size=DEFAULT_CONFIG["batch_size"], loss="bce", seeds=TRAIN_SEEDS,
                val_bce_per_seed=per_seed, val_bce_median=statistics.median(per_seed))


def main():
    torch.set_num_threads(1)
    reference = dict(
        made_by="/usr/bin/python3 tests/golden/make_init_reference.py "
                f"(PyTorch {torch.__version__}, 1 thread)",
        init_seeds=INIT_SEEDS,
        note="init: pooled over the seeds; variance is the population variance; bound is PyTorch's "
             "uniform limit (weights and biases alike 1/sqrt(fan_in)). training: val BCE is the "
             "mean over all pixels of BCE from logits, the engine's val_loss.",
        init=[init_statistics(overrides) for overrides in CONFIGS],
        training=training_figure())
    path = os.path.join(HERE, "init_reference.json")
    with open(path, "w") as f:
        f.write(json.dumps(reference, indent=1) + "\n")
    t = reference["training"]
    print(f"wrote {path}: val BCE per seed {t['val_bce_per_seed']}, median {t['val_bce_median']:.6f}")


if __name__ == "__main__":
    main()
