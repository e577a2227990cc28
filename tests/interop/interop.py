# interop.py — AeVP model files and PyTorch, both ways: run by tests/test_interop.c with the
# interpreter that has torch (Debian's python3-torch). Not a converter for users, and not run by hand
# as part of a build: it works in the directory the C test gives it.
#
#     /usr/bin/python3 tests/interop/interop.py DIR
#
# (a) Reads DIR/aevp.safetensors (written by ae_save), builds the same model in PyTorch with
#     tests/golden/arch_twin.py's forward() (through make_golden), runs DIR/aevp_input.f32 through it and compares with
#     AeVP's reconstructions in DIR/aevp_output.f32 (|difference| <= 1e-5, else exit 1); the same
#     for a VAE in DIR/aevp_vae*, decoding z = mu, and a deep residual + attention model in
#     DIR/aevp_deep*.
# (b) Trains a PyTorch model for a few steps on random data and writes it in AeVP's layout and
#     metadata to DIR/torch.safetensors, with an input batch and PyTorch's reconstructions
#     (torch_input.f32, torch_output.f32) for the C test to reproduce after ae_load; the same for
#     a deep residual + attention model as DIR/torch_deep*.
#
# The .f32 files are raw little-endian float32 images, NHWC. The safetensors format is read and
# written with struct and json: the safetensors package is not needed.
import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden"))
import make_golden  # noqa: E402  (the model, its layers and its layouts: one definition)

TOLERANCE = 1e-5

# The model PyTorch trains in (b): different from the C side's on purpose (activation, loss,
# optimizer, shape), so that the two directions together cover more of the config.
TORCH_CONFIG = dict(filters=[5, 3], latent_grid=2, activation="leaky_relu", loss="bce",
                    optimizer="adam", learning_rate=0.01, batch_size=4, epochs=1, seed=1,
                    input=dict(h=16, w=12, c=2))
# A deep model too: 3 stride-2 stages with transposed convs, a residual block per stage and
# attention in the encoder and the decoder (the C side's deep model uses max-pool and nearest).
TORCH_DEEP_CONFIG = dict(filters=[4, 6, 5], res_blocks=1, attention="both", latent_grid=3,
                         activation="elu", loss="mse", optimizer="rmsprop", learning_rate=0.005,
                         batch_size=4, epochs=1, seed=2, input=dict(h=14, w=10, c=1))
TRAIN_STEPS = 5


def read_safetensors(path):
    """-> (metadata dict, {name: float32 numpy array in the file's shape})."""
    with open(path, "rb") as f:
        blob = f.read()
    (header_len,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + header_len].decode("utf-8"))
    data = blob[8 + header_len:]
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        assert entry["dtype"] == "F32", (name, entry["dtype"])
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(entry["shape"])
    return metadata, tensors


def write_safetensors(path, metadata, tensors):
    """tensors: {name: numpy array}, written F32 little-endian, in name order, header padded with
    spaces so the data starts 8-aligned (as the safetensors library does)."""
    header = {"__metadata__": metadata}
    chunks, offset = [], 0
    for name in sorted(tensors):
        raw = np.ascontiguousarray(tensors[name], dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def to_torch_layout(kind, name, ours):
    """ours: conv (kh,kw,in,out), convT (kh,kw,out,in), dense (in,out) -> PyTorch's
    Conv2d (out,in,kh,kw), ConvTranspose2d (in,out,kh,kw), Linear (out,in)."""
    t = torch.from_numpy(np.array(ours, dtype=np.float32))
    if name.endswith(".bias"):
        return t
    if kind in ("conv", "convT"):
        return t.permute(3, 2, 0, 1).contiguous()
    return t.t().contiguous()


def to_our_layout(kind, name, t):
    t = t.detach()
    if name.endswith(".bias"):
        return t.numpy()
    if kind in ("conv", "convT"):
        return t.permute(2, 3, 1, 0).contiguous().numpy()
    return t.t().contiguous().numpy()


def read_images(path, cfg):
    i = cfg["input"]
    x = np.fromfile(path, dtype="<f4")
    return torch.from_numpy(x.astype(np.float32).reshape(-1, i["h"], i["w"], i["c"]))


def reconstruct(cfg, params, x):
    with torch.no_grad():
        _, stages, _ = make_golden.forward(cfg, params, x)
    return stages["output"]


def check_aevp_file(folder, prefix="aevp"):
    metadata, tensors = read_safetensors(os.path.join(folder, prefix + ".safetensors"))
    assert metadata["format"] == "aevp" and metadata["format_version"] == "1", metadata
    cfg = json.loads(metadata["config"])
    # The shapes PyTorch's own modules have, from make_golden's initialiser: the permutation must
    # land on exactly these.
    expected, _ = make_golden.init_params(cfg, 0)
    params = {}
    for layer, kind, _, _ in make_golden.layers(cfg):
        for name in (layer + ".weight", layer + ".bias"):
            params[name] = to_torch_layout(kind, name, tensors.pop(name))
            assert params[name].shape == expected[name].shape, (name, params[name].shape)
    assert not tensors, f"tensors this model does not have: {sorted(tensors)}"
    x = read_images(os.path.join(folder, prefix + "_input.f32"), cfg)
    want = read_images(os.path.join(folder, prefix + "_output.f32"), cfg)
    got = reconstruct(cfg, params, x)
    diff = float((got - want).abs().max())
    print(f"interop (a): AeVP file -> PyTorch: {x.shape[0]} images of {tuple(x.shape[1:])}, "
          f"config {metadata['config']}: max |difference| {diff:.3g} (tolerance {TOLERANCE:g})")
    return diff <= TOLERANCE


def write_torch_file(folder, cfg=TORCH_CONFIG, prefix="torch"):
    params, gen = make_golden.init_params(cfg, 7)
    start = {k: v.clone() for k, v in params.items()}
    params = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    optimizer = make_golden.make_optimizer(cfg, list(params.values()))
    i = cfg["input"]
    data = torch.rand((TRAIN_STEPS * cfg["batch_size"], i["h"], i["w"], i["c"]), generator=gen)
    losses = []
    for step in range(TRAIN_STEPS):
        x = data[step * cfg["batch_size"]:(step + 1) * cfg["batch_size"]]
        optimizer.zero_grad()
        logits, _, _ = make_golden.forward(cfg, params, x)
        loss = make_golden.loss_of(cfg, logits, x)
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    ours = {}
    for layer, kind, _, _ in make_golden.layers(cfg):
        for name in (layer + ".weight", layer + ".bias"):
            ours[name] = to_our_layout(kind, name, params[name])
    metadata = {"format": "aevp", "format_version": "1",
                "config": json.dumps(cfg, separators=(",", ":")), "dataset": "random",
                "producer": f"PyTorch {torch.__version__}, tests/interop/interop.py",
                "summary": f"{TRAIN_STEPS} steps, loss {losses[0]:.5f} -> {losses[-1]:.5f}"}
    write_safetensors(os.path.join(folder, prefix + ".safetensors"), metadata, ours)
    x = torch.rand((3, i["h"], i["w"], i["c"]), generator=gen)
    out = reconstruct(cfg, {k: v.detach() for k, v in params.items()}, x)
    x.numpy().astype("<f4").tofile(os.path.join(folder, prefix + "_input.f32"))
    out.numpy().astype("<f4").tofile(os.path.join(folder, prefix + "_output.f32"))
    # Random images have no structure to learn, so the loss barely moves; the weights must.
    moved = max(float((params[k].detach() - start[k]).abs().max()) for k in params)
    print(f"interop (b): PyTorch trained {TRAIN_STEPS} steps (loss {losses[0]:.5f} -> "
          f"{losses[-1]:.5f}, weights moved up to {moved:.3g}) and wrote {prefix}.safetensors with "
          "3 images for AeVP to reproduce")


def main():
    if len(sys.argv) != 2:
        print("usage: interop.py DIR (holding aevp.safetensors, aevp_input.f32, aevp_output.f32)",
              file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    folder = sys.argv[1]
    ok = check_aevp_file(folder)
    if os.path.exists(os.path.join(folder, "aevp_vae.safetensors")):
        ok = check_aevp_file(folder, "aevp_vae") and ok
    if os.path.exists(os.path.join(folder, "aevp_deep.safetensors")):
        ok = check_aevp_file(folder, "aevp_deep") and ok
    write_torch_file(folder)
    write_torch_file(folder, TORCH_DEEP_CONFIG, "torch_deep")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
