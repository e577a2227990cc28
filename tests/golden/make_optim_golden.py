# make_optim_golden.py — reference values from PyTorch for the learning-rate schedules and the
# decoupled weight decay, written to tests/golden/optim.json for test_optim.c.
# Run with Debian's interpreter, which has torch:  /usr/bin/python3 tests/golden/make_optim_golden.py
import json
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def rates(make_scheduler, lr, total):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=lr)
    sched = make_scheduler(opt)
    out = []
    for _ in range(total):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def adamw(lr, wd, steps):
    torch.manual_seed(0)
    p = torch.nn.Parameter(torch.randn(7, dtype=torch.float32))
    start = p.detach().clone()
    grads = [torch.randn(7, dtype=torch.float32) for _ in range(steps)]
    opt = torch.optim.AdamW([p], lr=lr, weight_decay=wd)
    for g in grads:
        p.grad = g.clone()
        opt.step()
    return {"lr": lr, "weight_decay": wd, "start": start.tolist(), "grads": [g.tolist() for g in grads],
            "after": p.detach().tolist()}


def main():
    total, lr = 20, 0.01
    schedules = {
        "cosine": rates(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=total), lr, total),
    }
    for warmup in (0.3, 0.25, 0.5):
        schedules[f"onecycle_{warmup}"] = rates(
            lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=lr, total_steps=total, pct_start=warmup,
                                                          anneal_strategy="cos", cycle_momentum=False), lr, total)
    golden = {
        "made_by": "/usr/bin/python3 tests/golden/make_optim_golden.py (torch " + torch.__version__ + ")",
        "total": total, "lr": lr, "schedules": schedules,
        "adamw": [adamw(0.01, 0.1, 5), adamw(0.001, 0.5, 3)],
    }
    with open(os.path.join(HERE, "optim.json"), "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
