"""How loud is the paper's noise, read literally? (``results/noise_levels.md``)

    python -m experiments.noise_levels [--starts 2000] [--out results/noise_levels.md]

Appendix 6.1 samples every training loss from the GP posterior of eq. 12 with the normalised
kernel of eq. 11, ``k(x, x') = |2 pi S|^{-1/2} exp(-1/2 (x - x')^T S^{-1} (x - x'))``. The
posterior mean does not depend on the constant ``|2 pi S|^{-1/2}`` (it cancels in ``k^T K^{-1}
v``), but the posterior variance is proportional to it:

    Var[f(x) | v] = |2 pi S|^{-1/2} (1 - k~(x)^T K~^{-1} k~(x)),

with ``k~`` the unnormalised kernel. In 2-D ``|2 pi S|^{1/2} = 2 pi sqrt(det S)``, so one unit of
the environment's ``noise_unit="kernel"`` is the prior standard deviation ``(2 pi)^{-1/2}
det(S)^{-1/4}`` (valleys: ``det S ~ 10 x 1500``, a standard deviation ~0.04; saddles and
plateaus: ``det S ~ 10 x 10``, ~0.13), shrinking to 0 at the conditioning points. Bowls have no GP
and no noise. This script measures, per family, that unit against the field's amplitude (the
unit of ``noise_unit="amplitude"``) and the signal-to-noise ratio of the first grid an episode
sees: the noiseless grid's range (max - min) over the noise's standard deviation at its centre,
at the environment's default initial resolution and zoomed out 10x and 100x.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from experiments.runs import cli, print_report
from rover_envs.env import build_engine
from rover_envs.grid import grid_points
from rover_envs.landscapes.fields import kernel_prior_std

FAMILIES = ("valley", "saddle", "plateau_cliff")
ZOOMS = (1, 10, 100)


def measure(family: str, starts: int, seed: int = 5_000_011) -> dict:
    """Literal-noise statistics of ``starts`` episode starts of ``family`` (noiseless draws)."""
    engine = build_engine(starts, "gradient", family=family)
    engine.reset_slots(range(starts), [np.random.default_rng([seed, i]) for i in range(starts)])
    params = engine.batch.params
    unit = kernel_prior_std(params)
    centre = engine.batch.noise_scales(engine.theta[:, None, :], "kernel")[:, 0]
    out = {"unit_over_amplitude": np.median(unit / params.amp), "snr_below_1": {}}
    for zoom in ZOOMS:
        points = grid_points(engine.theta, zoom * engine.delta, engine.n).reshape(starts, -1, 2)
        values = engine.batch.values(points)
        snr = np.ptp(values, axis=1) / np.maximum(centre, 1e-300)
        out["snr_below_1"][zoom] = float(np.mean(snr < 1.0))
    return out


def report(results: dict[str, dict], starts: int) -> str:
    lines = [
        '# The paper\'s GP noise read literally (`noise_unit="kernel"`, `noise=1`)',
        "",
        f"`python -m experiments.noise_levels`: {starts} episode starts per family (the environment's "
        "default initial alpha and delta). Unit: eq. 11's prior standard deviation over the field's "
        "amplitude (median). SNR: the noiseless first grid's range over the noise's standard deviation "
        "at the iterate; cells give the fraction of starts with SNR < 1 at the default resolution "
        "delta0 and zoomed out.",
        "",
        "| family | unit / amplitude | " + " | ".join(f"SNR < 1 at {z}x delta0" for z in ZOOMS) + " |",
        "|---|---:|" + "---:|" * len(ZOOMS),
    ]
    for fam, r in results.items():
        cells = " | ".join(f"{r['snr_below_1'][z]:.0%}" for z in ZOOMS)
        lines.append(f"| {fam} | {r['unit_over_amplitude']:.3f} | {cells} |")
    lines += [
        "",
        "Bowls (and the rippled bowls) have no GP: no noise under this reading. The amplitude unit's "
        "`noise = 0.1` is 1 / (unit / amplitude) times the literal level: "
        + ", ".join(f"{fam} {0.1 / r['unit_over_amplitude']:.1f}x" for fam, r in results.items())
        + " (medians).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=Path("results/noise_levels.md"))
    args = parser.parse_args(argv)
    results = {fam: measure(fam, args.starts) for fam in FAMILIES}
    text = report(results, args.starts)
    print_report(text, args.out)
    return results


if __name__ == "__main__":
    cli(main)
