"""``make bench`` (second part): wall-clock of Rover Descent in high dimension.

The paper reports "up to a minute" per run for d > 50. This times ``RoverDescent.minimize`` with
the shipped policy on the logistic regression of ``make evaluate-highd``
(``experiments.evaluate_highd.logistic_task``: scikit-learn's ``make_classification``, 200
samples, cross-entropy + 1e-3 L2, the loss in float64 NumPy), first dataset, ``x0 = 0``, 100
iterations, ``pairs=RandomPairs(10)`` (the paper's k = 10), the loss ``vectorized`` (all grids
of an iteration in one call). Then the paper's Iris network (``evaluate_highd.iris_task``: a
4-10-10-3 tanh MLP, d = 193, float32, :class:`agents.torch_objective.ModuleObjective`, whose
sparse path evaluates the pair grids from the iterate's cached activations) with
``PerDimension(1)``, 100 iterations, and again with the sparse path off (``dense``: every grid
point a full forward pass in the direct batched form; ``--no-iris`` skips both). Best of
``--repeats`` runs, one thread (torch's and NumPy's BLAS, ``threadpoolctl``). Each row also
gives the seconds spent inside the loss and the rest (Rover Descent's own work: grids, angle
net, actor, bookkeeping). Prints a table and, with ``--out``, writes JSON.
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


def _timed_row(rover, task: str, loss, x0, pairs, iterations: int, repeats: int) -> dict:
    best, res = None, None
    for _ in range(repeats):
        inside = [0.0]

        def timed_loss(P, inside=inside):
            t0 = time.perf_counter()
            values = loss(P)
            inside[0] += time.perf_counter() - t0
            return values

        start = time.perf_counter()
        res = rover.minimize(timed_loss, x0, vectorized=True, max_iter=iterations, pairs=pairs, seed=0)
        seconds = time.perf_counter() - start
        if best is None or seconds < best[0]:
            best = (seconds, inside[0])
    return {
        "task": task,
        "iterations": iterations,
        "pairs": repr(pairs),
        "seconds": best[0],
        "loss_seconds": best[1],
        "rover_seconds": best[0] - best[1],
        "nfev": int(res.nfev),
        "loss_start": float(np.atleast_1d(loss(x0))[0]),
        "loss_end": float(res.fun),
    }


def run(dims: list[int], iterations: int, k: int, repeats: int, iris: bool = True) -> dict:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return _run(dims, iterations, k, repeats, iris)


def _run(dims: list[int], iterations: int, k: int, repeats: int, iris: bool) -> dict:
    torch.set_num_threads(1)
    from experiments.evaluate_highd import iris_task, logistic_task

    rover = RoverDescent.pretrained()
    rows = []
    for d in dims:
        loss = logistic_task(d, 0)
        rows.append(
            _timed_row(
                rover,
                f"logistic regression d={d}",
                loss,
                np.zeros(d),
                RandomPairs(min(k, d)),
                iterations,
                repeats,
            )
        )
    if iris:
        for sparse in (True, False):
            obj, _ = iris_task(0, sparse=sparse)
            task = "Iris network d=193" + ("" if sparse else " dense")
            rows.append(_timed_row(rover, task, obj, obj.x0, PerDimension(1), iterations, repeats))
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
    print(
        f"{'task':26s} {'pairs':18s} {'iters':>5s} {'seconds':>8s} {'in loss':>8s} {'rover':>7s} "
        f"{'nfev':>9s} {'loss start -> end':>22s}"
    )
    for r in result["rows"]:
        print(
            f"{r['task']:26s} {r['pairs']:18s} {r['iterations']:5d} {r['seconds']:8.3f} "
            f"{r['loss_seconds']:8.3f} {r['rover_seconds']:7.3f} {r['nfev']:9d} "
            f"{r['loss_start']:10.4f} -> {r['loss_end']:.4g}"
        )
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(result, fh, indent=2)
    return result


if __name__ == "__main__":
    main()
