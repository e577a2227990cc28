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
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))

# Together the cases cover every activation, both losses, all three optimizers, more than one
# channel, non-square inputs and a latent grid of 1 (a single latent unit).
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
]
LEARNING_RATE = 0.01

# (name, kind, in, out) in the order of the flat parameter buffer; kind picks the layout change.
def layers(cfg):
    h, w, c = cfg["input"]["h"], cfg["input"]["w"], cfg["input"]["c"]
    f1, f2 = cfg["filters"]
    flat = (h // 4) * (w // 4) * f2
    latent = cfg["latent_grid"] ** 2
    enc_out = 2 * latent if cfg.get("variational") else latent  # a VAE's mu, then its log sigma^2
    return [("conv1", "conv", c, f1), ("conv2", "conv", f1, f2), ("enc", "dense", flat, enc_out),
            ("dec", "dense", latent, flat), ("convT1", "convT", f2, f2),
            ("convT2", "convT", f2, f1), ("out", "conv", f1, c)]


def activation(name):
    return {"relu": F.relu, "leaky_relu": lambda x: F.leaky_relu(x, 0.01),
            "elu": lambda x: F.elu(x, 1.0), "tanh": torch.tanh}[name]


def init_params(cfg, seed):
    """Fixed numbers in torch's layout, scaled by the fan-in (for a stride-2 transposed conv the
    effective one, about in*9/4 taps; He's gain of 2 for relu, which zeroes half its inputs) so
    activations stay O(1) through seven layers: values fading to zero would check little, and
    values growing large would make float32 rounding alone approach the C test's atol."""
    gen = torch.Generator().manual_seed(seed)
    params = {}
    for name, kind, fan_in_ch, out in layers(cfg):
        if kind == "conv":
            shape, fan_in = (out, fan_in_ch, 3, 3), fan_in_ch * 9
        elif kind == "convT":
            shape, fan_in = (fan_in_ch, out, 3, 3), fan_in_ch * 9 / 4
        else:
            shape, fan_in = (out, fan_in_ch), fan_in_ch
        bound = math.sqrt((6.0 if cfg["activation"] == "relu" else 3.0) / fan_in)
        params[name + ".weight"] = (torch.rand(shape, generator=gen) * 2 - 1) * bound
        # Biases a little positive on average so that, with relu, most units are alive.
        params[name + ".bias"] = torch.rand((out,), generator=gen) * 0.3 - 0.1
    return params, gen


def to_flat_layout(name, kind, tensor):
    """torch layout -> ours: conv (kh,kw,in,out), convT (kh,kw,out,in), dense (in,out)."""
    if name.endswith(".bias"):
        return tensor.reshape(-1)
    if kind in ("conv", "convT"):
        return tensor.permute(2, 3, 1, 0).reshape(-1)
    return tensor.t().reshape(-1)


def flat(cfg, tensors):
    parts = []
    for name, kind, _, _ in layers(cfg):
        for suffix in (".weight", ".bias"):
            parts.append(to_flat_layout(name + suffix, kind, tensors[name + suffix].detach()))
    return torch.cat(parts)


# --- The VAE's noise: core/vae.c's vae_noise, bit for bit up to the last rounding to float32 ---
M64 = (1 << 64) - 1


def mix64(x):
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


class Pcg32:
    """core/rng.h: PCG32 XSH-RR."""

    def __init__(self, seed, stream):
        self.state, self.inc = 0, ((stream << 1) | 1) & M64
        self.next()
        self.state = (self.state + seed) & M64
        self.next()

    def next(self):
        old = self.state
        self.state = (old * 6364136223846793005 + self.inc) & M64
        xorshifted = (((old >> 18) ^ old) >> 27) & 0xFFFFFFFF
        rot = old >> 59
        return ((xorshifted >> rot) | (xorshifted << ((-rot) & 31))) & 0xFFFFFFFF


def noise(seed, step, row, latent):
    """latent standard normals for one image: Box-Muller in double from two 32-bit uniforms."""
    rng = Pcg32(mix64(mix64(((seed << 32) | step) & M64) ^ row), 3)
    out = []
    for k in range(0, latent, 2):
        u1 = (rng.next() + 0.5) * (1.0 / 4294967296.0)
        u2 = (rng.next() + 0.5) * (1.0 / 4294967296.0)
        radius, angle = math.sqrt(-2.0 * math.log(u1)), 6.283185307179586 * u2
        out.append(radius * math.cos(angle))
        if k + 1 < latent:
            out.append(radius * math.sin(angle))
    return out


def batch_noise(cfg, step, n):
    latent = cfg["latent_grid"] ** 2
    rows = [noise(cfg["seed"], step, r, latent) for r in range(n)]
    return torch.tensor(np.array(rows, dtype=np.float32))


def forward(cfg, p, x_nhwc, eps=None):
    """x: (N,H,W,C) NHWC. Returns (logits NHWC, stages NHWC post-activation, pre-activations).
    A VAE decodes z = mu + exp(logvar / 2) * eps, or z = mu without eps; pre["mu"] and
    pre["logvar"] then hold its head."""
    act = activation(cfg["activation"])
    n = x_nhwc.shape[0]
    h4, w4, f2 = cfg["input"]["h"] // 4, cfg["input"]["w"] // 4, cfg["filters"][1]
    nhwc = lambda t: t.permute(0, 2, 3, 1)
    pre, stages = {}, {}
    x = x_nhwc.permute(0, 3, 1, 2)
    pre["conv1"] = F.conv2d(x, p["conv1.weight"], p["conv1.bias"], stride=2, padding=1)
    a1 = act(pre["conv1"])
    pre["conv2"] = F.conv2d(a1, p["conv2.weight"], p["conv2.bias"], stride=2, padding=1)
    a2 = act(pre["conv2"])
    latent = F.linear(nhwc(a2).reshape(n, -1), p["enc.weight"], p["enc.bias"])
    z = latent
    if cfg.get("variational"):
        dim = cfg["latent_grid"] ** 2
        mu, logvar = latent[:, :dim], latent[:, dim:]
        latent = z = mu
        if eps is not None:
            z = mu + torch.exp(0.5 * logvar) * eps
        pre["mu"], pre["logvar"] = mu, logvar
    pre["dense"] = F.linear(z, p["dec.weight"], p["dec.bias"])
    d = act(pre["dense"])
    d_nchw = d.reshape(n, h4, w4, f2).permute(0, 3, 1, 2)
    pre["convT1"] = F.conv_transpose2d(d_nchw, p["convT1.weight"], p["convT1.bias"], stride=2,
                                       padding=1, output_padding=1)
    t1 = act(pre["convT1"])
    pre["convT2"] = F.conv_transpose2d(t1, p["convT2.weight"], p["convT2.bias"], stride=2,
                                       padding=1, output_padding=1)
    t2 = act(pre["convT2"])
    logits = nhwc(F.conv2d(t2, p["out.weight"], p["out.bias"], stride=1, padding=1))
    stages["conv1"], stages["conv2"] = nhwc(a1), nhwc(a2)
    stages["latent"], stages["dense"] = latent, d
    stages["convT1"], stages["convT2"] = nhwc(t1), nhwc(t2)
    stages["output"] = torch.sigmoid(logits)
    return logits, stages, pre


def loss_of(cfg, logits, x):
    # Mean over all n*h*w*c elements; the target is the input image.
    if cfg["loss"] == "bce":
        return F.binary_cross_entropy_with_logits(logits, x, reduction="mean")
    return F.mse_loss(torch.sigmoid(logits), x, reduction="mean")


def kl_of(pre):
    """KL(N(mu, sigma^2) || N(0, 1)) summed over the units, mean over the images (nats)."""
    mu, logvar = pre["mu"], pre["logvar"]
    return (-0.5 * (1 + logvar - mu * mu - logvar.exp())).sum(dim=1).mean()


def vae_loss_of(cfg, logits, x, pre):
    """(L, recon, kl): L = recon + beta * kl / (pixels per image)."""
    recon, kl = loss_of(cfg, logits, x), kl_of(pre)
    pixels = cfg["input"]["h"] * cfg["input"]["w"] * cfg["input"]["c"]
    return recon + cfg["beta"] * kl / pixels, recon, kl


def make_optimizer(cfg, params):
    lr = cfg["learning_rate"]
    if cfg["optimizer"] == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(0.9, 0.999), eps=1e-8)
    if cfg["optimizer"] == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    return torch.optim.RMSprop(params, lr=lr, alpha=0.99, eps=1e-8)


def run(cfg, params, x, dtype):
    p = {k: v.to(dtype).clone().requires_grad_(True) for k, v in params.items()}
    xx = x.to(dtype)
    variational = cfg.get("variational", False)
    # The stages are those of ae_trace: deterministic, z = mu.
    logits, stages, pre = forward(cfg, p, xx)
    records = {"params": flat(cfg, p), "input": xx.reshape(-1)}
    for stage in ("conv1", "conv2", "latent", "dense", "convT1", "convT2", "output"):
        records["stage." + stage] = stages[stage].detach().reshape(-1)
    opt = make_optimizer(cfg, list(p.values()))
    steps = 2 if variational else 1
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
    return records, pre


def tensor_shapes(cfg):
    """Our shapes per tensor, rank-4 padded with zeros, so the C test can tell a layout mix-up
    from a numerical one."""
    out = []
    for name, kind, fin, fout in layers(cfg):
        if kind == "conv":
            w = [3, 3, fin, fout]
        elif kind == "convT":
            w = [3, 3, fout, fin]
        else:
            w = [fin, fout, 0, 0]
        out += w + [fout, 0, 0, 0]
    return torch.tensor(out, dtype=torch.float32)


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
    if case.get("variational"):
        # The config's seed picks the noise; the engine starts at step 0 after ae_set_params.
        cfg.update(variational=True, beta=case["beta"], seed=case["seed"])
    params, gen = init_params(cfg, case["seed"])
    i = cfg["input"]
    x = torch.rand((case["n"], i["h"], i["w"], i["c"]), generator=gen)

    rec32, pre = run(cfg, params, x, torch.float32)
    # The same computation in float64 is near the true value: how far float32 torch is from it
    # says how much of a difference from the engine any float32 implementation may show.
    rec64, _ = run(cfg, params, x, torch.float64)

    # A pre-activation within rounding of a relu kink could flip between implementations and change
    # the gradient discontinuously; such fixed numbers would make a flaky test.
    margin = min(float(t.abs().min()) for k, t in pre.items()
                 if not k.startswith(("mu", "logvar")))
    if cfg["activation"] in ("relu", "leaky_relu") and margin < 1e-5:
        raise SystemExit(f"{case['name']}: a pre-activation is {margin:g} from the kink; "
                         "change the seed")
    if cfg["activation"] == "relu":
        alive = {k: float((t > 0).double().mean()) for k, t in pre.items()}
        if min(alive.values()) < 0.2:
            raise SystemExit(f"{case['name']}: too many dead relu units {alive}; change the seed")
    names = ["params", "input", "stage.conv1", "stage.conv2", "stage.latent", "stage.dense",
             "stage.convT1", "stage.convT2", "stage.output", "loss", "grads", "params_after"]
    if cfg.get("variational"):
        names += ["eps", "recon", "kl", "eps_2", "loss_2", "recon_2", "kl_2", "params_after_2"]
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

    summary = " ".join(f"{k}={v:.2f}" for k, v in worst.items() if v > 0.01)
    print(f"{case['name']}: {sum(r[1].size for r in records)} floats, loss "
          f"{float(rec32['loss'][0]):.6f}, min |pre-act| {margin:.2e}, min |grad| {min_grad:.2e}; "
          f"f32-vs-f64 error / (1e-6 + 1e-5|ref|): {summary or 'all < 0.01'}")


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
    for case in CASES:
        make_case(case)
    make_ssim()


if __name__ == "__main__":
    main()
