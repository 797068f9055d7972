"""Summaries of a set of runs (a sweep, a comparison): tables and plots over seeds.

Each run contributes its ``metrics.json`` (see :mod:`experiments.heldout`): the held-out median
final normalised regret per family, the ``log10_score``, the training curve and wall-clock
seconds. :func:`aggregate` groups runs by their grid labels and writes ``summary.md`` /
``summary.csv`` (mean +- std over seeds of log10 regrets, per combination and per held-out
family, and a pivot of the first two axes), ``curves.png`` and ``scores.png``.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from experiments import config as cfgmod
from experiments.heldout import FLOOR


def _mean_std(xs: Sequence[float]) -> tuple[float, float]:
    a = np.asarray(xs, dtype=float)
    return float(a.mean()), float(a.std(ddof=1)) if len(a) > 1 else 0.0


def _fmt(xs: Sequence[float], digits: int = 2) -> str:
    m, s = _mean_std(xs)
    return f"{m:.{digits}f} ± {s:.{digits}f}" if len(xs) > 1 else f"{m:.{digits}f}"


def group_results(results: Sequence[tuple[Any, dict]]) -> dict[tuple, list[dict]]:
    """``{(label, label, ...): [metrics of each seed]}`` in grid order."""
    groups: dict[tuple, list[dict]] = {}
    for spec, out in results:
        groups.setdefault(tuple(spec.labels.values()), []).append({"seed": spec.seed, **out["metrics"]})
    return groups


def aggregate(
    sweep_dir: str | Path,
    axes: Sequence[str],
    results: Sequence[tuple[Any, dict]],
    title: str,
    plot: bool = True,
) -> str:
    """Write ``summary.md``, ``summary.csv`` (and plots) into ``sweep_dir``; return the markdown."""
    sweep_dir = Path(sweep_dir)
    groups = group_results(results)
    families = list(next(iter(groups.values()))[0]["trained"]) if groups else []
    lines = [
        f"# {title}",
        "",
        "Held-out evaluation: per family, the median over landscapes of the final normalised "
        "regret regret_T / regret_0; cells are log10 of it, mean ± std over seeds (lower is "
        "better; -16 is the floor). *score* averages the families.",
        "",
    ]
    head = [*axes, "seeds", "score", *families, "fixed schedule", "train min"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    rows = []
    for key, runs in groups.items():
        fam_logs = {f: [_log_regret(r, f) for r in runs] for f in families}
        fixed = [r["fixed_schedule_log10_score"] for r in runs if "fixed_schedule_log10_score" in r]
        minutes = [r.get("train_seconds", float("nan")) / 60 for r in runs]
        cells = [
            *key,
            str(len(runs)),
            _fmt([r["log10_score"] for r in runs]),
            *(_fmt(fam_logs[f]) for f in families),
            _fmt(fixed) if fixed else "–",
            _fmt(minutes, 1),
        ]
        lines.append("| " + " | ".join(cells) + " |")
        for r in runs:
            rows.append(
                {
                    **dict(zip(axes, key)),
                    "seed": r["seed"],
                    "score": r["log10_score"],
                    **{f: r["trained"][f]["median_final_normalized_regret"] for f in families},
                    "train_seconds": r.get("train_seconds"),
                    "env_steps": r.get("env_steps"),
                }
            )
    if len(axes) >= 2 and groups:
        a0 = list(dict.fromkeys(k[0] for k in groups))
        a1 = list(dict.fromkeys(k[1] for k in groups))
        lines += [
            "",
            f"Score (mean ± std over seeds) by {axes[0]} (rows) × {axes[1]} (columns):",
            "",
            "| " + " | ".join([axes[0], *a1]) + " |",
            "|" + "---|" * (len(a1) + 1),
        ]
        for v0 in a0:
            cells = []
            for v1 in a1:
                runs = [r for k, rs in groups.items() if k[:2] == (v0, v1) for r in rs]
                cells.append(_fmt([r["log10_score"] for r in runs]) if runs else "–")
            lines.append("| " + " | ".join([v0, *cells]) + " |")
    if rows:
        with open(sweep_dir / "summary.csv", "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    if plot and groups:
        plot_curves(groups, sweep_dir / "curves.png", title)
        plot_scores(groups, families, sweep_dir / "scores.png", title)
        lines += ["", "![learning curves](curves.png)", "", "![held-out scores](scores.png)"]
    text = "\n".join(lines) + "\n"
    (sweep_dir / "summary.md").write_text(text)
    return text


def plot_curves(groups: dict[tuple, list[dict]], path: Path, title: str) -> None:
    """Median final normalised regret of recent training episodes vs env steps, mean over seeds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for key, runs in groups.items():
        curves = [np.asarray(r["curve"], dtype=float) for r in runs if r.get("curve")]
        if not curves:
            continue
        steps = np.linspace(max(c[0, 0] for c in curves), min(c[-1, 0] for c in curves), 100)
        logs = np.stack([np.interp(steps, c[:, 0], np.log10(np.maximum(c[:, 2], FLOOR))) for c in curves])
        (line,) = ax.plot(steps, logs.mean(0), label="-".join(key))
        if len(curves) > 1:
            ax.fill_between(steps, logs.min(0), logs.max(0), color=line.get_color(), alpha=0.15)
    ax.set_xlabel("environment steps")
    ax.set_ylabel("log10 median final normalised regret\n(training episodes)")
    _finish(fig, ax, path, title)


def plot_scores(groups: dict[tuple, list[dict]], families: list[str], path: Path, title: str) -> None:
    """Held-out log10 median final normalised regret per family, mean ± std over seeds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = list(groups)
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(keys) + 2), 4))
    width = 0.8 / max(len(families), 1)
    for j, fam in enumerate(families):
        vals = [[_log_regret(r, fam) for r in groups[k]] for k in keys]
        ax.bar(
            np.arange(len(keys)) + j * width,
            [np.mean(v) for v in vals],
            width,
            yerr=[np.std(v) for v in vals],
            label=fam,
            capsize=2,
        )
    ticks = np.arange(len(keys)) + 0.4 - width / 2
    ax.set_xticks(ticks, ["-".join(k) for k in keys], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("held-out log10 median\nfinal normalised regret")
    _finish(fig, ax, path, title)


def _log_regret(run: dict, family: str) -> float:
    """log10 of a run's held-out median final normalised regret on ``family`` (floored)."""
    return float(np.log10(max(run["trained"][family]["median_final_normalized_regret"], FLOOR)))


def _finish(fig, ax, path: Path, title: str) -> None:
    import matplotlib.pyplot as plt

    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def publish(sweep_dir: str | Path, dest: str | Path, config: tuple[str, Any] | None = None) -> Path:
    """Copy a sweep's summary (markdown, csv, plots) into ``dest``, e.g. results/, and write its
    ``config`` (``(file name, sweep or comparison config)``) there, its paths relative to ``dest``
    so that the published file runs as it is."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("summary.md", "summary.csv", "curves.png", "scores.png"):
        if (Path(sweep_dir) / name).is_file():
            shutil.copy2(Path(sweep_dir) / name, dest / name)
    if config is not None:
        cfgmod.dump(config[1], dest / config[0])
    return dest
