"""How saddle-like is the saddle family? Two readings of appendix 6.1 (``results/saddle_reading.md``)

    python -m experiments.saddle_reading [--draws 2000] [--out results/saddle_reading.md]

The appendix puts one conditioning point in each quadrant of [-1, 1]^2, with values of
alternating sign of magnitude ~3, and draws the kernel's eigenvalues from N(10, 2): length
scales of ~3, larger than the points' spacing. The built family (``build_saddle``) takes this
literally. The GP interpolant must then bend by ~6 over less than one length scale, so the Gram
matrix is nearly singular, the weights ``w = K^-1 v`` are large, and the interpolant keeps
rising along one diagonal and falling along the other: the minima lie far outside the points'
square and far below their values.

The alternative reading places the points in the quadrants of [-l, l]^2, with l the kernel's
mean length scale (the same draws, each point scaled by l): the points are one length scale
apart, as in the paper's Figure 3 where the saddle's minima sit near the conditioning points.
This script compares the two readings on the same draws: median (and 95th percentile) of the
largest |w|, the distance from the origin to the global minimiser in units of l, and f*.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from experiments.runs import cli, print_report
from rover_envs.landscapes.families import _ALTERNATING, _QUADRANTS, _lengths, build_saddle, truncated_normal
from rover_envs.landscapes.fields import gp_fields
from rover_envs.landscapes.minimum import field_minimum

TWO_PI = 2.0 * np.pi


def scaled_saddle(u: np.ndarray):
    """The alternative reading: ``build_saddle``'s points scaled by the mean length scale."""
    lengths = _lengths(u[:, 13:15])
    ell = lengths.mean(axis=1)
    points = _QUADRANTS * u[:, 0:8].reshape(-1, 4, 2) * ell[:, None, None]
    sign = np.where(u[:, 8] < 0.5, -1.0, 1.0)
    values = sign[:, None] * _ALTERNATING * truncated_normal(u[:, 9:13], 3.0, 1.0)
    return gp_fields(points, values, lengths, TWO_PI * u[:, 15])


def measure(draws: int, seed: int = 9_000_011) -> dict[str, dict[str, float]]:
    u = np.random.default_rng(seed).random((draws, 16))
    ell = _lengths(u[:, 13:15]).mean(axis=1)
    out = {}
    for label, params in (("as built", build_saddle(u)), ("points x length scale", scaled_saddle(u))):
        x_star, f_star = field_minimum(params)
        w = np.abs(params.w).max(axis=1)
        out[label] = {
            "w_median": float(np.median(w)),
            "w_p95": float(np.percentile(w, 95)),
            "x_star_over_l": float(np.median(np.linalg.norm(x_star, axis=1) / ell)),
            "f_star": float(np.median(f_star)),
        }
    return out


def report(results: dict, draws: int) -> str:
    lines = [
        "# The saddle family: two readings of appendix 6.1",
        "",
        f"`python -m experiments.saddle_reading`: {draws} draws, the same uniform numbers for both "
        "readings; medians unless stated. l: the kernel's mean length scale (~3); the conditioning "
        "values have magnitude ~3.",
        "",
        "| reading | largest abs weight | 95th percentile | distance of x* from the origin / l | f* |",
        "|---|---:|---:|---:|---:|",
        *[
            f"| {k} | {r['w_median']:.3g} | {r['w_p95']:.3g} | {r['x_star_over_l']:.2f} | {r['f_star']:.3g} |"
            for k, r in results.items()
        ],
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=Path("results/saddle_reading.md"))
    args = parser.parse_args(argv)
    results = measure(args.draws)
    text = report(results, args.draws)
    print_report(text, args.out)
    return results


if __name__ == "__main__":
    cli(main)
