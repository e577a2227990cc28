# make_golden.py — writes the committed reference files for tests/test_golden.c (a float32 PyTorch
# twin of the AeVP model) and tests/test_metrics.c (a numpy SSIM). Not run by the build or the tests.
#
# Run by hand, with the interpreter that has torch (Debian's python3-torch), whenever the model's
# semantics change, and commit what it writes next to itself:
#     /usr/bin/python3 tests/golden/make_golden.py
# The output must be byte-identical from run to run (check with sha256sum tests/golden/*).
#
# Record format of every .bin, little-endian: repeated [u32 name_length][name][u32 count][count f32].
import json
import math
import os
import struct

import numpy as np
import torch

from arch_twin import (batch_noise, flat, forward, init_params, layers, loss_of, make_optimizer,
                       our_shape, sizes, tensor_names, vae_loss_of)

HERE = os.path.dirname(os.path.abspath(__file__))

# Together the cases cover every activation, both losses, all three optimizers, more than one
# channel, non-square inputs and a latent grid of 1 (a single latent unit); the last three every
# architecture choice (README "Architectures"), with two optimizer steps each.
CASES = [
    dict(name="relu_bce_adam", seed=1, n=2, activation="relu", loss="bce", optimizer="adam",
         filters=[3, 4], latent_grid=2, input=dict(h=8, w=12, c=1)),
    dict(name="tanh_mse_sgd", seed=2, n=3, activation="tanh", loss="mse", optimizer="sgd",
         filters=[2, 3], latent_grid=1, input=dict(h=12, w=8, c=2)),
    dict(name="elu_bce_rmsprop", seed=3, n=2, activation="elu", loss="bce", optimizer="rmsprop",
         filters=[4, 2], latent_grid=3, input=dict(h=8, w=8, c=3)),
    dict(name="leaky_relu_mse_adam", seed=5, n=2, activation="leaky_relu", loss="mse",
         optimizer="adam", filters=[4, 3], latent_grid=2, input=dict(h=28, w=28, c=1)),
    # VAE cases: an odd latent size (the last Box-Muller pair is cut), a large and a small beta,
    # and two optimizer steps, the second with the noise of step 1.
    dict(name="vae_elu_bce_adam", seed=7, n=3, activation="elu", loss="bce", optimizer="adam",
         filters=[3, 4], latent_grid=3, input=dict(h=8, w=12, c=1), variational=True, beta=4.0),
    dict(name="vae_tanh_mse_rmsprop", seed=11, n=2, activation="tanh", loss="mse",
         optimizer="rmsprop", filters=[2, 3], latent_grid=2, input=dict(h=12, w=8, c=2),
         variational=True, beta=0.5),
    # 12x10 -> 6x5 -> 3x3 -> 2x2: ceil-mode pools at odd sizes, and nearest upsampling by 3/2 and
    # 5/3 on the way back, not only by 2.
    dict(name="maxpool_nearest_elu_bce_adam", seed=13, n=2, activation="elu", loss="bce",
         optimizer="adam", filters=[3, 4, 2], latent_grid=2, input=dict(h=12, w=10, c=1),
         arch=dict(downsample="maxpool", upsample="nearest"), steps=2),
    # 5x5 kernels and a block per stage, the blocks' relu after the add.
    dict(name="residual_k5_relu_mse_sgd", seed=18, n=2, activation="relu", loss="mse",
         optimizer="sgd", filters=[4, 3], latent_grid=2, input=dict(h=10, w=12, c=2),
         arch=dict(kernel_size=5, res_blocks=1), steps=2),
    # Attention in the encoder and the decoder of a VAE, with a residual block around each.
    dict(name="vae_attention_tanh_bce_sgd", seed=19, n=3, activation="tanh", loss="bce",
         optimizer="sgd", filters=[3, 4], latent_grid=2, input=dict(h=9, w=11, c=1),
         arch=dict(attention="both", res_blocks=1), variational=True, beta=1.0),
]
LEARNING_RATE = 0.01
MANIFEST = "cases.txt"

STAGE_KINDS = (("weights", "attention_weights"), ("attn_", "attention"), ("res", "residual"),
               ("latent", "latent"), ("dense", "dense"), ("output", "output"),
               ("convT", "up"), ("up", "up"), ("conv", "conv"))


def stage_kind(name):
    """The kind ae_stage_info gives a stage of that name (arch.md's trace stages)."""
    return next(kind for key, kind in STAGE_KINDS if key in name)


def run(cfg, params, x, dtype, steps):
    p = {k: v.to(dtype).clone().requires_grad_(True) for k, v in params.items()}
    xx = x.to(dtype)
    variational = cfg.get("variational", False)
    # The stages are those of ae_trace: deterministic, z = mu.
    logits, stages, pre = forward(cfg, p, xx)
    records = {"params": flat(cfg, p), "input": xx.reshape(-1)}
    for stage, values in stages.items():
        records["stage." + stage] = values.detach().reshape(-1)
    shapes = {k: tuple(v.shape[1:]) for k, v in stages.items()}
    opt = make_optimizer(cfg, list(p.values()))
    for step in range(steps):
        opt.zero_grad()
        suffix = "" if step == 0 else f"_{step + 1}"
        if variational:
            eps = batch_noise(cfg, step, x.shape[0]).to(dtype)
            logits, _, pre_step = forward(cfg, p, xx, eps)
            loss, recon, kl = vae_loss_of(cfg, logits, xx, pre_step)
            records["eps" + suffix] = eps.reshape(-1)
            records["recon" + suffix] = recon.detach().reshape(1)
            records["kl" + suffix] = kl.detach().reshape(1)
            pre.update({f"{k}{suffix}": v for k, v in pre_step.items()})
        else:
            logits, _, _ = forward(cfg, p, xx)
            loss = loss_of(cfg, logits, xx)
        loss.backward()
        records["loss" + suffix] = loss.detach().reshape(1)
        if step == 0:
            records["grads"] = flat(cfg, {k: v.grad for k, v in p.items()})
        opt.step()
        records["params_after" + suffix] = flat(cfg, p)
    return records, pre, shapes


def tensor_shapes(cfg):
    """Our shapes per tensor, rank-4 padded with zeros, so the C test can tell a layout mix-up
    from a numerical one."""
    out = []
    for _, kind, fin, fout in layers(cfg):
        w = our_shape(cfg, kind, fin, fout)
        out += w + [0] * (4 - len(w)) + [fout, 0, 0, 0]
    return torch.tensor(out, dtype=torch.float32)


def stage_shapes(cfg, shapes):
    """(h, w, c) of each stage as ae_stage_info gives it: the latent as a g x g grid, the dense
    output as the maps the decoder takes."""
    g, (low_h, low_w) = cfg["latent_grid"], sizes(cfg)[-1]
    fixed = {"latent": (g, g, 1), "dense": (low_h, low_w, cfg["filters"][-1])}
    return {k: fixed.get(k, v) for k, v in shapes.items()}


def pool_margin(pre):
    """The smallest gap between the largest and the next value of a max-pool window: a window
    whose two largest values are within rounding could pick another winner in another
    implementation, and send the gradient elsewhere. None without pooling."""
    gaps = []
    for key, a in pre.items():
        if not key.startswith("pool"):
            continue
        n, c, h, w = a.shape
        padded = torch.full((n, c, h + h % 2, w + w % 2), -math.inf, dtype=a.dtype)
        padded[:, :, :h, :w] = a.detach()
        windows = padded.reshape(n, c, (h + 1) // 2, 2, (w + 1) // 2, 2).permute(0, 1, 2, 4, 3, 5)
        top = windows.reshape(-1, 4).sort(dim=1, descending=True).values
        gap = top[:, 0] - top[:, 1]
        gaps.append(float(gap[torch.isfinite(gap)].min()))
    return min(gaps) if gaps else None


def write_bin(path, records):
    with open(path, "wb") as f:
        for name, values in records:
            arr = np.ascontiguousarray(np.asarray(values, dtype="<f4").reshape(-1))
            key = name.encode("ascii")
            f.write(struct.pack("<I", len(key)) + key + struct.pack("<I", arr.size))
            f.write(arr.tobytes())


def make_case(case):
    cfg = dict(filters=case["filters"], latent_grid=case["latent_grid"],
               activation=case["activation"], loss=case["loss"], optimizer=case["optimizer"],
               learning_rate=LEARNING_RATE, batch_size=case["n"], input=case["input"])
    cfg.update(case.get("arch", {}))
    if case.get("variational"):
        # The config's seed picks the noise; the engine starts at step 0 after ae_set_params.
        cfg.update(variational=True, beta=case["beta"], seed=case["seed"])
    params, gen = init_params(cfg, case["seed"])
    i = cfg["input"]
    x = torch.rand((case["n"], i["h"], i["w"], i["c"]), generator=gen)

    variational = cfg.get("variational", False)
    steps = 2 if variational else case.get("steps", 1)
    rec32, pre, shapes = run(cfg, params, x, torch.float32, steps)
    # The same computation in float64 is near the true value: how far float32 torch is from it
    # says how much of a difference from the engine any float32 implementation may show.
    rec64, _, _ = run(cfg, params, x, torch.float64, steps)

    # A pre-activation within rounding of a relu kink could flip between implementations and change
    # the gradient discontinuously; such fixed numbers would make a flaky test.
    margin = min(float(t.abs().min()) for k, t in pre.items()
                 if not k.startswith(("mu", "logvar", "pool")))
    if cfg["activation"] in ("relu", "leaky_relu") and margin < 1e-5:
        raise SystemExit(f"{case['name']}: a pre-activation is {margin:g} from the kink; "
                         "change the seed")
    if cfg["activation"] == "relu":
        alive = {k: float((t > 0).double().mean()) for k, t in pre.items()
                 if not k.startswith("pool")}
        if min(alive.values()) < 0.2:
            raise SystemExit(f"{case['name']}: too many dead relu units {alive}; change the seed")
    gap = pool_margin(pre)
    if gap is not None and gap < 1e-5:
        raise SystemExit(f"{case['name']}: a max-pool window's two largest values are {gap:g} "
                         "apart; change the seed")
    names = (["params", "input"] + ["stage." + s for s in shapes] +
             ["loss", "grads", "params_after"])
    if variational:
        names += ["eps", "recon", "kl", "eps_2", "loss_2", "recon_2", "kl_2", "params_after_2"]
    elif steps == 2:
        names += ["loss_2", "params_after_2"]
    # Worst float32-vs-float64 error per record, in units of the C test's atol 1e-6 + rtol 1e-5.
    # Adam and RMSprop divide by |g| + eps on the first step, so a gradient near eps makes
    # params_after hypersensitive to rounding; that, or any record whose float32 rounding alone
    # uses up half the tolerance, would make a flaky test.
    worst = {}
    for k in names:
        a, b = rec32[k].double(), rec64[k]
        worst[k] = float(((a - b).abs() / (1e-6 + 1e-5 * b.abs())).max())
    if max(worst.values()) > 0.5:
        raise SystemExit(f"{case['name']}: float32 rounding alone is near the tolerance {worst}; "
                         "change the seed")
    g = rec32["grads"].abs()
    min_grad = float(g[g > 0].min())
    records = [(k, rec32[k].numpy()) for k in names] + [("tensor_shapes", tensor_shapes(cfg).numpy())]
    base = os.path.join(HERE, case["name"])
    with open(base + ".json", "w") as f:
        f.write(json.dumps(cfg, indent=2) + "\n")
    write_bin(base + ".bin", records)
    manifest = [f"case {case['name']}"] + [f"tensor {name}" for name, _ in tensor_names(cfg)]
    manifest += [f"stage {name} {stage_kind(name)} {h} {w} {c}"
                 for name, (h, w, c) in stage_shapes(cfg, shapes).items()]

    summary = " ".join(f"{k}={v:.2f}" for k, v in worst.items() if v > 0.01)
    print(f"{case['name']}: {sum(r[1].size for r in records)} floats, loss "
          f"{float(rec32['loss'][0]):.6f}, min |pre-act| {margin:.2e}, min |grad| {min_grad:.2e}, "
          f"min pool gap {gap if gap is None else f'{gap:.2e}'}; "
          f"f32-vs-f64 error / (1e-6 + 1e-5|ref|): {summary or 'all < 0.01'}")
    return manifest


# --- SSIM (Wang et al. 2004) ---------------------------------------------------------------------
# scikit-image (and scipy) are not installed for /usr/bin/python3 here, so this numpy version
# follows the paper and skimage.metrics.structural_similarity(gaussian_weights=True, sigma=1.5,
# use_sample_covariance=False, data_range=1) as written (where skimage is importable, make_ssim
# cross-checks against it): an 11x11 Gaussian window (sigma 1.5,
# radius 5, as scipy's gaussian_filter with truncate=3.5), K1 = 0.01, K2 = 0.03, the mean of the
# SSIM map over the positions where the whole window fits, per channel, then averaged over
# channels. For an image smaller than 11 in a dimension (skimage refuses those) the window
# shrinks to the largest odd size that fits, the same rule as core/metrics.c.
def ssim_window_size(h, w):
    m = min(h, w, 11)
    return m if m % 2 else m - 1


def gaussian_kernel(size, sigma=1.5):
    r = size // 2
    x = np.arange(-r, r + 1, dtype=np.float64)
    k = np.exp(-0.5 / (sigma * sigma) * x * x)
    return k / k.sum()


def ssim_numpy(a, b):
    """a, b: (H,W,C) arrays; computed in float64."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    h, w, c = a.shape
    size = ssim_window_size(h, w)
    k = gaussian_kernel(size)
    hv, wv = h - size + 1, w - size + 1

    def filt(img):  # 'valid' separable filter of one (H,W) plane
        rows = sum(k[j] * img[:, j:j + wv] for j in range(size))
        return sum(k[i] * rows[i:i + hv, :] for i in range(size))

    c1, c2 = (0.01 * 1.0) ** 2, (0.03 * 1.0) ** 2
    per_channel = []
    for ch in range(c):
        x, y = a[:, :, ch], b[:, :, ch]
        ux, uy = filt(x), filt(y)
        vx = filt(x * x) - ux * ux
        vy = filt(y * y) - uy * uy
        vxy = filt(x * y) - ux * uy
        s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
        per_channel.append(s.mean())
    return float(np.mean(per_channel))


def make_ssim():
    rng = np.random.default_rng(2004)
    yy, xx = np.mgrid[0:28, 0:28]
    # Structured images (a blob and a stripe) and a noisy, shifted copy: an SSIM well inside (0,1).
    digit = np.clip(np.exp(-((yy - 13) ** 2 + (xx - 11) ** 2) / 40.0)
                    + 0.6 * (np.abs(xx - yy) < 3), 0, 1)
    noisy = np.clip(np.roll(digit, 1, axis=1) + rng.normal(0, 0.1, digit.shape), 0, 1)
    rgb_a = rng.uniform(0, 1, (32, 32, 3))
    rgb_b = np.clip(0.7 * rgb_a + 0.15 + rng.normal(0, 0.05, rgb_a.shape), 0, 1)
    small_a = rng.uniform(0, 1, (8, 12, 1))        # window shrinks to 7
    small_b = np.clip(small_a + rng.normal(0, 0.2, small_a.shape), 0, 1)
    tiny_a = rng.uniform(0, 1, (4, 9, 2))          # window shrinks to 3
    tiny_b = np.clip(tiny_a * 0.5 + 0.3, 0, 1)
    pairs = [(digit[:, :, None], noisy[:, :, None]), (rgb_a, rgb_b), (small_a, small_b),
             (tiny_a, tiny_b)]
    # Round to float32 first: the C function sees float32 pixels.
    pairs = [(a.astype(np.float32), b.astype(np.float32)) for a, b in pairs]
    values = [ssim_numpy(a, b) for a, b in pairs]
    shapes = [s for a, _ in pairs for s in a.shape]
    records = [("shapes", shapes),
               ("a", np.concatenate([a.reshape(-1) for a, _ in pairs])),
               ("b", np.concatenate([b.reshape(-1) for _, b in pairs])),
               ("ssim", values)]
    write_bin(os.path.join(HERE, "ssim.bin"), records)
    print("ssim: " + ", ".join(f"{a.shape[0]}x{a.shape[1]}x{a.shape[2]} {v:.6f}"
                               for (a, _), v in zip(pairs, values)))
    try:
        from skimage.metrics import structural_similarity
    except ImportError:
        print("ssim: scikit-image is not importable: no cross-check (the numpy version follows "
              "the paper)")
        return
    for (a, b), v in zip(pairs, values):
        if min(a.shape[:2]) < 11:
            continue  # skimage refuses images smaller than its window
        ref = structural_similarity(a.astype(np.float64), b.astype(np.float64), channel_axis=2,
                                    gaussian_weights=True, sigma=1.5,
                                    use_sample_covariance=False, data_range=1)
        print(f"ssim: {a.shape} numpy - skimage = {v - ref:.3g}")


def main():
    torch.set_num_threads(1)  # one summation order, so reruns give identical bytes
    # What the C test walks by name: each case's tensors in the order of the flat buffer, and its
    # trace stages (name, kind, h, w, c) in the order of ae_stage_info.
    lines = ["# written by make_golden.py: the tensors and trace stages of each case"]
    for case in CASES:
        lines += make_case(case)
    with open(os.path.join(HERE, MANIFEST), "w") as f:
        f.write("\n".join(lines) + "\n")
    make_ssim()


if __name__ == "__main__":
    main()
