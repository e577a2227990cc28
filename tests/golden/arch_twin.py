# arch_twin.py — the PyTorch twin of AeVP's model for any config (README "Architectures"): its layer
# list, parameter layouts, forward pass, losses and the VAE's noise. Shared by make_golden.py and
# tests/interop/interop.py; not a trainer and not the exported script (web/lib/torch-export.js).
#
# Parameters are a dict {tensor name: tensor in PyTorch's layout}; the flat buffer and the model
# files hold them in AeVP's layout, in the order of layers().
import math

import numpy as np
import torch
import torch.nn.functional as F


def depth(cfg):
    return len(cfg["filters"])


def kernel(cfg):
    return cfg.get("kernel_size", 3)


def sizes(cfg):
    """[(h, w)] of s_0..s_D: each encoder stage halves the size, rounding up."""
    out = [(cfg["input"]["h"], cfg["input"]["w"])]
    for _ in range(depth(cfg)):
        h, w = out[-1]
        out.append(((h + 1) // 2, (w + 1) // 2))
    return out


def latent_dim(cfg):
    return cfg["latent_grid"] ** 2


def attends(cfg, where):
    return cfg.get("attention", "none") in (where, "both")


def layers(cfg):
    """(name, kind, in, out) of every parameter layer, in the order of the flat parameter buffer
    (and of the initialiser's draws); kind is conv, convT or dense and picks the layout change.
    An attention block is its four C x C linears q, k, v, o."""
    filters, c, d = cfg["filters"], cfg["input"]["c"], depth(cfg)
    res = cfg.get("res_blocks", 0)
    channels = [c] + list(filters)
    out = []

    def blocks(prefix, width):
        for j in range(1, res + 1):
            out.extend([(f"{prefix}.res{j}.a", "conv", width, width),
                        (f"{prefix}.res{j}.b", "conv", width, width)])

    def attention(name, width):
        out.extend((f"{name}.{p}", "dense", width, width) for p in "qkvo")

    for i in range(1, d + 1):
        out.append((f"conv{i}", "conv", channels[i - 1], channels[i]))
        blocks(f"enc{i}", channels[i])
    low_h, low_w = sizes(cfg)[d]
    flat = low_h * low_w * filters[-1]
    if attends(cfg, "encoder"):
        attention("attn_enc", filters[-1])
    enc_out = 2 * latent_dim(cfg) if cfg.get("variational") else latent_dim(cfg)
    out += [("enc", "dense", flat, enc_out), ("dec", "dense", latent_dim(cfg), flat)]
    if attends(cfg, "decoder"):
        attention("attn_dec", filters[-1])
    for k in range(1, d + 1):
        # stage k takes stage k-1's f_{D-k+2} channels (the bottleneck's f_D for k = 1)
        c_in, c_out = channels[min(d, d - k + 2)], channels[d - k + 1]
        blocks(f"dec{k}", c_in)
        up = "convT" if cfg.get("upsample", "transpose") == "transpose" else "up"
        out.append((f"{up}{k}", "convT" if up == "convT" else "conv", c_in, c_out))
    out.append(("out", "conv", filters[0], c))
    return out


def torch_shape(cfg, kind, fin, fout):
    k = kernel(cfg)
    return {"conv": (fout, fin, k, k), "convT": (fin, fout, k, k), "dense": (fout, fin)}[kind]


def our_shape(cfg, kind, fin, fout):
    k = kernel(cfg)
    return {"conv": [k, k, fin, fout], "convT": [k, k, fout, fin], "dense": [fin, fout]}[kind]


def init_params(cfg, seed):
    """Fixed numbers in torch's layout, scaled by the fan-in (for a stride-2 transposed conv the
    effective one, about in*k*k/4 taps; He's gain of 2 for relu, which zeroes half its inputs) so
    activations stay O(1) through the layers: values fading to zero would check little, and
    values growing large would make float32 rounding alone approach the C test's atol."""
    gen = torch.Generator().manual_seed(seed)
    k = kernel(cfg)
    params = {}
    for name, kind, fan_in_ch, out in layers(cfg):
        shape = torch_shape(cfg, kind, fan_in_ch, out)
        if kind == "conv":
            fan_in = fan_in_ch * k * k
        elif kind == "convT":
            fan_in = fan_in_ch * (k * k) / 4
        else:
            fan_in = fan_in_ch
        bound = math.sqrt((6.0 if cfg["activation"] == "relu" else 3.0) / fan_in)
        params[name + ".weight"] = (torch.rand(shape, generator=gen) * 2 - 1) * bound
        # Biases a little positive on average so that, with relu, most units are alive.
        params[name + ".bias"] = torch.rand((out,), generator=gen) * 0.3 - 0.1
    return params, gen


def to_our_layout(kind, name, tensor):
    """torch layout -> ours (same shape as the model file's): conv (kh,kw,in,out), convT
    (kh,kw,out,in) — both weight.permute(2,3,1,0) — dense (in,out)."""
    t = tensor.detach()
    if name.endswith(".bias"):
        return t
    if kind in ("conv", "convT"):
        return t.permute(2, 3, 1, 0).contiguous()
    return t.t().contiguous()


def to_torch_layout(kind, name, ours):
    t = torch.as_tensor(np.array(ours, dtype=np.float32))
    if name.endswith(".bias"):
        return t
    if kind in ("conv", "convT"):
        return t.permute(3, 2, 0, 1).contiguous()
    return t.t().contiguous()


def tensor_names(cfg):
    return [(layer + suffix, kind) for layer, kind, _, _ in layers(cfg)
            for suffix in (".weight", ".bias")]


def flat(cfg, tensors):
    return torch.cat([to_our_layout(kind, name, tensors[name]).reshape(-1)
                      for name, kind in tensor_names(cfg)])


def activation(name):
    return {"relu": F.relu, "leaky_relu": lambda x: F.leaky_relu(x, 0.01),
            "elu": lambda x: F.elu(x, 1.0), "tanh": torch.tanh}[name]


def forward(cfg, p, x_nhwc, eps=None):
    """x: (N,H,W,C). Returns (logits NHWC, stages, pre): stages by the engine's stage names, in
    its order, each NHWC (an attention's weights as (N, h, w, P), channel q the query); pre holds
    every value ahead of a nonlinearity (for the kink check), pooled maps under "pool<i>" (for the
    tie check), and a VAE's head as "mu" and "logvar". A VAE decodes z = mu + exp(logvar/2) * eps,
    or z = mu without eps."""
    act = activation(cfg["activation"])
    n, d, pad = x_nhwc.shape[0], depth(cfg), kernel(cfg) // 2
    size = sizes(cfg)
    nhwc = lambda t: t.permute(0, 2, 3, 1)
    conv = lambda t, name, stride=1: F.conv2d(t, p[name + ".weight"], p[name + ".bias"],
                                              stride=stride, padding=pad)
    pre, stages = {}, {}

    def blocks(prefix, x):
        for j in range(1, cfg.get("res_blocks", 0) + 1):
            name = f"{prefix}.res{j}"
            pre[name + ".a"] = conv(x, name + ".a")
            pre[name] = x + conv(act(pre[name + ".a"]), name + ".b")
            x = act(pre[name])
            stages[name] = nhwc(x)
        return x

    def attention(name, x):
        c, h, w = x.shape[1], x.shape[2], x.shape[3]
        rows = nhwc(x).reshape(n, h * w, c)
        lin = lambda t, q: F.linear(t, p[f"{name}.{q}.weight"], p[f"{name}.{q}.bias"])
        weights = torch.softmax(lin(rows, "q") @ lin(rows, "k").transpose(1, 2) / math.sqrt(c),
                                dim=2)
        y = rows + lin(weights @ lin(rows, "v"), "o")
        stages[name] = y.reshape(n, h, w, c)
        # value at (key, q) = A[q][key]: the key positions are the map, the query the channel
        stages[name + ".weights"] = weights.transpose(1, 2).reshape(n, h, w, h * w)
        return stages[name].permute(0, 3, 1, 2)

    x = x_nhwc.permute(0, 3, 1, 2)
    for i in range(1, d + 1):
        name = f"conv{i}"
        if cfg.get("downsample", "stride") == "stride":
            pre[name] = conv(x, name, stride=2)
            x = act(pre[name])
        else:
            pre[name] = conv(x, name)
            pre[f"pool{i}"] = act(pre[name])
            x = F.max_pool2d(pre[f"pool{i}"], 2, stride=2, ceil_mode=True)
        stages[name] = nhwc(x)
        x = blocks(f"enc{i}", x)
    if attends(cfg, "encoder"):
        x = attention("attn_enc", x)
    latent = F.linear(nhwc(x).reshape(n, -1), p["enc.weight"], p["enc.bias"])
    z = latent
    if cfg.get("variational"):
        dim = latent_dim(cfg)
        mu, logvar = latent[:, :dim], latent[:, dim:]
        latent = z = mu
        if eps is not None:
            z = mu + torch.exp(0.5 * logvar) * eps
        pre["mu"], pre["logvar"] = mu, logvar
    stages["latent"] = latent
    pre["dense"] = F.linear(z, p["dec.weight"], p["dec.bias"])
    stages["dense"] = act(pre["dense"])
    (low_h, low_w), low_c = size[d], cfg["filters"][-1]
    x = stages["dense"].reshape(n, low_h, low_w, low_c).permute(0, 3, 1, 2)
    if attends(cfg, "decoder"):
        x = attention("attn_dec", x)
    for k in range(1, d + 1):
        x = blocks(f"dec{k}", x)
        (out_h, out_w), (in_h, in_w) = size[d - k], size[d - k + 1]
        if cfg.get("upsample", "transpose") == "transpose":
            name = f"convT{k}"
            pre[name] = F.conv_transpose2d(
                x, p[name + ".weight"], p[name + ".bias"], stride=2, padding=pad,
                output_padding=(out_h - 2 * in_h + 1, out_w - 2 * in_w + 1))
        else:
            name = f"up{k}"
            pre[name] = conv(F.interpolate(x, size=(out_h, out_w), mode="nearest"), name)
        x = act(pre[name])
        stages[name] = nhwc(x)
    logits = nhwc(conv(x, "out"))
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
    rows = [noise(cfg["seed"], step, r, latent_dim(cfg)) for r in range(n)]
    return torch.tensor(np.array(rows, dtype=np.float32))
