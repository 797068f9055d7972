"""Train the angle network by behaviour cloning (section 3.2.2).

    python -m experiments.train_angle --config experiments/configs/angle.yaml [--set train.epochs=3]
    python -m experiments.train_angle --resume runs/angle__angle__0__20261127-071500

Each run lives in ``runs/angle__{name}__{seed}__{time}/`` with its resolved ``config.yaml``,
``command.txt``, ``git.txt``, TensorBoard events (``train/loss``, ``train/lr``,
``eval/angle_error_deg/{family}``), ``checkpoint.pt`` (written atomically after every epoch;
``--resume`` continues from it bit for bit) and ``metrics.json``. The final weights go to
``output`` (the default config writes the shipped ``agents/pretrained/angle_net.pt``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from dataclasses import dataclass, field
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
)
from experiments.runs import run_metadata, save_beside, start_run
from rover_envs.angle_net import save_checkpoint
from rover_envs.landscapes import FAMILY_NAMES


@dataclass
class DataConfig:
    """Behaviour-cloning data: ``agents.angle.dataset.DataSpec`` less the seed, which is the
    experiment's."""

    families: tuple[str, ...] = FAMILY_NAMES
    n_functions: int = 50_000
    steps: int = 10
    grid_size: int = 7
    resolution_range: tuple[float, float] = (0.02, 0.3)
    step_fraction: tuple[float, float] = (0.3, 0.9)
    chunk: int = 5_000


@dataclass
class EvalConfig:
    """Held-out landscapes: drawn from a seed stream that training never uses."""

    n_functions: int = 4_000
    seed_offset: int = 1_000_003


@dataclass
class NetConfig:
    channels: tuple[int, int] = (16, 32)
    hidden: int = 64


@dataclass
class TrainConfig:
    epochs: int = 40
    batch_size: int = 512
    lr: float = 3e-3
    weight_decay: float = 0.0
    threads: int = 0  # 0: all cores


@dataclass
class AngleExperiment:
    name: str = "angle"
    seed: int = 0
    data: DataConfig = field(default_factory=DataConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    net: NetConfig = field(default_factory=NetConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    cache_dir: str = "data"
    runs_dir: str = "runs"
    output: str | None = None  # final weights; None: {run}/angle_net.pt


def data_spec(cfg: AngleExperiment, held_out: bool = False) -> DataSpec:
    """Training data, or the held-out set: every family, its own size and seed stream."""
    spec = DataSpec(**dataclasses.asdict(cfg.data), seed=cfg.seed)
    if not held_out:
        return spec
    return dataclasses.replace(spec, families=FAMILY_NAMES, n_functions=cfg.eval.n_functions,
                               seed=cfg.seed + cfg.eval.seed_offset)  # fmt: skip


def _load_data(spec: DataSpec, cache_dir: str, label: str) -> dict[str, np.ndarray]:
    with tqdm(total=spec.n_functions, desc=f"{label} data", unit="fn", leave=False) as bar:
        return load_or_generate(spec, cache_dir, progress=lambda n: bar.update(n - bar.n))


def train(cfg: AngleExperiment, run_dir: Path, resume: bool = False, quiet: bool = False) -> dict:
    """Train (or resume) one model; returns the held-out metrics."""
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
            tqdm.write(f"epoch {epoch + 1}: held-out angle error (deg) "
                       + ", ".join(f"{k} {v:.2f}" for k, v in errors.items()))  # fmt: skip
        save_checkpoint(ckpt_path, model, arch, optimizer=opt.state_dict(), scheduler=sched.state_dict(),
                        epoch=epoch, step=step)  # fmt: skip
    if not errors:  # resumed a finished run
        errors = mean_angle_error_by_family(model, eval_data, families)
    writer.close()
    metrics = {"held_out_angle_error_deg": errors, "train_states": int(n), "train_tuples": int(2 * n)}
    (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
    meta = run_metadata(cfg, run_dir, **metrics)
    output = Path(cfg.output) if cfg.output else run_dir / "angle_net.pt"
    save_checkpoint(output, model, arch, meta)
    if cfg.output:
        save_beside(cfg, meta, output)
    return metrics


def main(argv: list[str] | None = None) -> dict:
    description = "Train the angle network by behaviour cloning."
    cfg, run_dir, resume = start_run(
        AngleExperiment, "angle", description, "experiments/configs/angle.yaml", argv
    )
    start = time.perf_counter()
    metrics = train(cfg, run_dir, resume=resume)
    minutes = (time.perf_counter() - start) / 60
    print(f"run folder: {run_dir}  ({minutes:.1f} min)")
    print(f"weights: {cfg.output or run_dir / 'angle_net.pt'}")
    print(
        "held-out angle error (deg): "
        + json.dumps({k: round(v, 2) for k, v in metrics["held_out_angle_error_deg"].items()})
    )
    return metrics


if __name__ == "__main__":
    main()
