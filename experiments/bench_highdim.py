"""``make bench`` (second part): wall-clock of Rover Descent in high dimension.

The paper reports "up to a minute" per run for d > 50. This times ``RoverDescent.minimize`` with
the shipped policy on an L2-regularised logistic regression (cross-entropy, ``LOGISTIC_L2``) of
a random linear task: inputs N(0, I), labels from a random hyperplane with 10% flipped, 100
samples, ``x0 = 0``, 100 iterations, ``pairs=RandomPairs(10)`` (the paper's k = 10), the loss
``vectorized`` (all grids of an iteration in one matrix product). Then the paper's Iris network
(``experiments.evaluate_highd.iris_task``: a 4-10-10-3 tanh MLP, d = 193, float32,
:class:`agents.torch_objective.ModuleObjective`) with ``PerDimension(1)``, 100 iterations
(``--no-iris`` skips it). Best of ``--repeats`` runs, one torch thread. Prints a table and, with
``--out``, writes JSON.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np
import torch

from agents import RoverDescent
from agents.pairs import PerDimension, RandomPairs

LOGISTIC_L2 = 1e-3


def logistic_task(d: int, samples: int, seed: int):
    """``(loss, x0)``: the vectorised loss ``(m, d) -> (m,)`` of a random linear task."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(samples, d))
    w = rng.normal(size=d)
    y = (X @ w > 0).astype(float)
    flip = rng.random(samples) < 0.1
    y[flip] = 1.0 - y[flip]
    sign = 2.0 * y - 1.0

    def loss(P):
        P = np.atleast_2d(P)
        margins = (P @ X.T) * sign  # (m, samples)
        return np.logaddexp(0.0, -margins).mean(axis=1) + 0.5 * LOGISTIC_L2 * np.sum(P * P, axis=1)

    return loss, np.zeros(d)


def _timed_row(rover, task: str, loss, x0, pairs, iterations: int, repeats: int) -> dict:
    times, res = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        res = rover.minimize(loss, x0, vectorized=True, max_iter=iterations, pairs=pairs, seed=0)
        times.append(time.perf_counter() - start)
    return {
        "task": task,
        "iterations": iterations,
        "pairs": repr(pairs),
        "seconds": min(times),
        "nfev": int(res.nfev),
        "loss_start": float(loss(x0)[0]),
        "loss_end": float(res.fun),
    }


def run(dims: list[int], iterations: int, k: int, repeats: int, iris: bool = True) -> dict:
    torch.set_num_threads(1)
    rover = RoverDescent.pretrained()
    rows = []
    for d in dims:
        loss, x0 = logistic_task(d, 100, seed=d)
        rows.append(
            _timed_row(
                rover, f"logistic regression d={d}", loss, x0, RandomPairs(min(k, d)), iterations, repeats
            )
        )
    if iris:
        from experiments.evaluate_highd import iris_task

        obj, _ = iris_task(0)
        rows.append(
            _timed_row(rover, "Iris network d=193", obj, obj.x0, PerDimension(1), iterations, repeats)
        )
    return {"machine": platform.processor() or platform.machine(), "rows": rows}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", nargs="+", type=int, default=[10, 20, 50])
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-iris", action="store_true", help="skip the Iris network row")
    parser.add_argument("--out", help="write the results as JSON to this file")
    args = parser.parse_args(argv)
    result = run(args.dims, args.iterations, args.k, args.repeats, iris=not args.no_iris)
    print(f"{'task':26s} {'pairs':18s} {'iters':>5s} {'seconds':>8s} {'nfev':>9s} {'loss start -> end':>22s}")
    for r in result["rows"]:
        print(
            f"{r['task']:26s} {r['pairs']:18s} {r['iterations']:5d} {r['seconds']:8.3f} {r['nfev']:9d} "
            f"{r['loss_start']:10.4f} -> {r['loss_end']:.4g}"
        )
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(result, fh, indent=2)
    return result


if __name__ == "__main__":
    main()
