"""Train the angle network by behaviour cloning (section 3.2.2).

    python -m experiments.train_angle --config experiments/configs/angle.yaml [--set train.epochs=3]
    python -m experiments.train_angle --resume runs/angle__angle__0__20261127-071500

Each run lives in ``runs/angle__{name}__{seed}__{time}/`` with its resolved ``config.yaml``,
``command.txt``, ``git.txt``, TensorBoard events (``train/loss``, ``train/lr``,
``eval/angle_error_deg/{family}``), ``checkpoint.pt`` (written atomically after every epoch;
``--resume`` continues from it bit for bit), ``metrics.json`` and the final ``angle_net.pt``.
The weights replace the shipped ``agents/pretrained/angle_net.pt`` only when asked to
(``--output``, which ``make train-angle`` passes).
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.tensorboard import SummaryWriter
from tqdm import tqdm

from agents.angle import (
    DataSpec,
    build_angle_net,
    contrastive_loss,
    load_or_generate,
    mean_angle_error_by_family,
    save_checkpoint,
)
from experiments.runs import cli, publish_weights, run_metadata, start_run
from experiments.schemas import AngleExperiment
from rover_envs.angle_net import WEIGHTS_NAME
from rover_envs.landscapes import FAMILY_NAMES


def data_spec(cfg: AngleExperiment, held_out: bool = False) -> DataSpec:
    """Training data, or the held-out set: every family, its own size and seed stream."""
    if not held_out:
        return cfg.data
    return dataclasses.replace(
        cfg.data,
        families=FAMILY_NAMES,
        n_functions=cfg.eval.n_functions,
        seed=cfg.data.seed + cfg.eval.seed_offset,
    )


def _load_data(spec: DataSpec, cache_dir: str, label: str) -> dict[str, np.ndarray]:
    with tqdm(total=spec.n_functions, desc=f"{label} data", unit="fn", leave=False) as bar:
        return load_or_generate(spec, cache_dir, progress=lambda n: bar.update(n - bar.n))


def train(
    cfg: AngleExperiment, run_dir: Path, resume: bool = False, quiet: bool = False, output: Path | None = None
) -> dict:
    """Train (or resume) one model; returns the held-out metrics (``metrics["weights"]``: where
    the weights are: the run folder, and ``output`` when given)."""
    torch.set_num_threads(cfg.train.threads or os.cpu_count() or 1)
    train_data = _load_data(data_spec(cfg), cfg.cache_dir, "train")
    eval_data = _load_data(data_spec(cfg, held_out=True), cfg.cache_dir, "held-out")
    arch = {"grid_size": cfg.data.grid_size, "channels": tuple(cfg.net.channels), "hidden": cfg.net.hidden}
    torch.manual_seed(cfg.seed)
    model = build_angle_net(**arch)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.train.lr, weight_decay=cfg.train.weight_decay)
    grids = torch.from_numpy(train_data["grids"][:, None])
    pos, neg = torch.from_numpy(train_data["positive"]), torch.from_numpy(train_data["negative"])
    n, bs = len(grids), cfg.train.batch_size
    per_epoch = (n + bs - 1) // bs
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=cfg.train.lr, total_steps=cfg.train.epochs * per_epoch
    )
    start_epoch, step = 0, 0
    ckpt_path = run_dir / "checkpoint.pt"
    if resume and ckpt_path.is_file():
        ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=True)
        model.load_state_dict(ckpt["state_dict"])
        opt.load_state_dict(ckpt["optimizer"])
        sched.load_state_dict(ckpt["scheduler"])
        start_epoch, step = int(ckpt["epoch"]) + 1, int(ckpt["step"])
    writer = SummaryWriter(str(run_dir))
    families = FAMILY_NAMES
    errors: dict[str, float] = {}
    for epoch in range(start_epoch, cfg.train.epochs):
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(cfg.seed * 1000 + epoch))
        bar = tqdm(range(0, n, bs), desc=f"epoch {epoch + 1}/{cfg.train.epochs}", leave=False, disable=quiet)
        for i in bar:
            b = perm[i : i + bs]
            loss = contrastive_loss(model(grids[b]), pos[b], neg[b])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            if step % 50 == 0:
                writer.add_scalar("train/loss", loss.item(), step)
                writer.add_scalar("train/lr", sched.get_last_lr()[0], step)
                bar.set_postfix(loss=f"{loss.item():.4f}")
        errors = mean_angle_error_by_family(model, eval_data, families)
        for fam, err in errors.items():
            writer.add_scalar(f"eval/angle_error_deg/{fam}", err, step)
        if not quiet:
            tqdm.write(
                f"epoch {epoch + 1}: held-out angle error (deg) "
                + ", ".join(f"{k} {v:.2f}" for k, v in errors.items())
            )
        save_checkpoint(
            ckpt_path,
            model,
            arch,
            optimizer=opt.state_dict(),
            scheduler=sched.state_dict(),
            epoch=epoch,
            step=step,
        )
    if not errors:  # resumed a finished run
        errors = mean_angle_error_by_family(model, eval_data, families)
    writer.close()
    metrics = {"held_out_angle_error_deg": errors, "train_states": int(n), "train_tuples": int(2 * n)}
    (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
    meta = run_metadata(cfg, run_dir, **metrics)
    save_checkpoint(run_dir / WEIGHTS_NAME, model, arch, meta)
    metrics["weights"] = str(publish_weights(run_dir / WEIGHTS_NAME, output, cfg, meta))
    return metrics


def main(argv: list[str] | None = None) -> dict:
    description = "Train the angle network by behaviour cloning."
    run = start_run(
        AngleExperiment,
        "angle",
        description,
        "experiments/configs/angle.yaml",
        argv,
        output_help="also write the weights here (make train-angle: the shipped "
        "agents/pretrained/angle_net.pt)",
    )
    start = time.perf_counter()
    metrics = train(run.cfg, run.dir, resume=run.resume, output=run.output)
    minutes = (time.perf_counter() - start) / 60
    print(f"run folder: {run.dir}  ({minutes:.1f} min)")
    print(f"weights: {metrics['weights']}")
    print(
        "held-out angle error (deg): "
        + json.dumps({k: round(v, 2) for k, v in metrics["held_out_angle_error_deg"].items()})
    )
    return metrics


if __name__ == "__main__":
    cli(main)
