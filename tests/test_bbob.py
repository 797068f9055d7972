"""Anytime measures and the COCO/BBOB runner (a tiny slice of the suite)."""

import json

import numpy as np
import pytest

from experiments.anytime import COCO_TARGETS, Trace, fraction_reached


def test_trace_records_every_value_and_reads_the_best_at_any_budget():
    trace = Trace(lambda x: np.sum(x, axis=-1))
    trace(np.array([[3.0], [5.0]]))
    trace(np.array([[np.nan], [1.0], [2.0]]))
    np.testing.assert_array_equal(trace.best_at([1, 2, 3, 4, 5, 99]), [3, 3, 3, 1, 1, 1])
    assert np.isinf(Trace(lambda x: x).best_at([1])[0])


def test_fraction_of_problem_target_pairs():
    assert COCO_TARGETS.size == 51 and COCO_TARGETS[0] == 100 and np.isclose(COCO_TARGETS[-1], 1e-8)
    errors = np.array([[1e3, 1e-9], [10.0, 10.0]])  # two problems, two budgets
    reached = fraction_reached(errors)
    np.testing.assert_allclose(reached, [(0 + 6) / 102, (51 + 6) / 102])  # 10 <= 10^2 ... 10^1: 6 targets


def test_bbob_runner_writes_coco_data_and_fractions(tmp_path):
    pytest.importorskip("cocoex")
    from experiments import bbob

    summary = bbob.main(
        [
            "--optimizers",
            "grid_controller",
            "random_search",
            "--functions",
            "1,15",
            "--instances",
            "1",
            "--budget",
            "200",
            "--out",
            str(tmp_path / "out"),
            "--exdata",
            str(tmp_path / "exdata"),
        ]
    )
    fr = summary["fractions"]
    assert set(fr) == {"grid_controller", "random_search"} and summary["budgets"] == [50, 100, 200]
    assert 0 < fr["grid_controller"]["all"][-1] <= 1 and np.isnan(fr["random_search"]["moderate f6-9"][0])
    assert (
        fr["grid_controller"]["separable f1-5"][-1] > fr["random_search"]["separable f1-5"][-1]
    )  # the sphere
    assert np.all(np.diff(fr["grid_controller"]["all"]) >= 0)  # anytime: never falls
    assert fr["grid_controller"]["_problems"] == 2 and "f1_i1" not in fr["grid_controller"]["_not_improved"]
    assert (
        "No divergence (grid_controller): the best value found is below the first start's on"
        in (tmp_path / "out" / "bbob.md").read_text()
    )
    for name in ("grid_controller", "random_search"):  # COCO's own data folders
        assert (tmp_path / "exdata" / name / "bbobexp_f1.info").is_file()
    assert (tmp_path / "out" / "bbob.md").is_file() and (tmp_path / "out" / "bbob_ecdf.png").is_file()


def test_a_rerun_into_any_data_folder_scores_the_same(tmp_path):
    pytest.importorskip("cocoex")
    from experiments import bbob

    args = ["--optimizers", "random_search", "--functions", "1", "--instances", "1-2", "--budget", "60"]
    args += ["--out", str(tmp_path / "out"), "--exdata", str(tmp_path / "coco")]  # not named exdata
    first, second = bbob.main(args), bbob.main(args)  # the second replaces the first's data
    assert json.dumps(first["fractions"]) == json.dumps(second["fractions"])  # NaN: no pairs in a group
    assert [p.name for p in (tmp_path / "coco").iterdir()] == ["random_search"]  # no twin, no staging
    assert (tmp_path / "coco" / "random_search" / "bbobexp_f1.info").is_file()


def test_fopt_comes_from_the_coco_data_header(tmp_path):
    from experiments.bbob import last_fopt

    folder = tmp_path / "data_f3"
    folder.mkdir()
    header = (
        "% f evaluations | g evaluations | best noise-free fitness - Fopt ({}) + sum g_i+ | x1\n1 0 2 3 4\n"
    )
    (folder / "bbobexp_f3_DIM2.dat").write_text(header.format("-6.2e+02") + header.format("+1.5e+01"))
    assert last_fopt(tmp_path, 3) == 15.0


def test_a_policy_file_runs_as_a_named_optimiser_and_bad_names_are_refused(tmp_path):
    pytest.importorskip("cocoex")
    from agents.rover import default_bounded_policy_path
    from experiments import bbob

    args = ["--functions", "1", "--instances", "1", "--budget", "120", "--out", str(tmp_path / "o")]
    args += ["--exdata", str(tmp_path / "exdata")]
    candidate = ["--policy", f"candidate={default_bounded_policy_path()}", "--settings", "shipped"]
    summary = bbob.main(["--optimizers", "rover", *candidate, *args])
    fr = summary["fractions"]
    assert set(fr) == {"rover", "candidate"} and fr["rover"]["all"] == fr["candidate"]["all"]
    with pytest.raises(SystemExit):
        bbob.main([*candidate[:2], "--settings", "tuned", *args])
    with pytest.raises(SystemExit):
        bbob.main([*candidate, "--seek", "bowl", *args])
    for bad in ("rover=x.pt", f"nope={tmp_path / 'missing.pt'}", "candidate"):
        with pytest.raises(SystemExit, match="NEW_NAME=PATH"):
            bbob.main(["--policy", bad, *args])


def test_readings_are_computed_from_the_table():
    from experiments.bbob import GROUPS, readings

    def row(x):
        return {**{g: [x] for g in GROUPS}, "all": [x]}

    fr = {"rover": row(0.5), "rover_eq4": row(0.3), "grid_controller": row(0.6), "random_search": row(0.2)}
    fr["random_search"]["multimodal f15-19"] = [0.9]
    fr["rover"].update(_problems=120, _not_improved=["f5_i2", "f7_i1"])
    text = "\n".join(readings(fr, [1471], 0))
    assert "reaches 0.50 of the pairs at 1471" in text and "(`rover_eq4`) 0.30" in text
    assert "`rover` is below grid_controller (0.60), at or above random_search (0.20)." in text
    assert "rover is below random search in 1 of 5 groups (multimodal f15-19)" in text
    assert "Best overall at 1471 evaluations: grid_controller (0.60)" in text
    assert (
        "No divergence (rover): the best value found is below the first start's on 118 of 120 problems; "
        in text
    )
    assert "not on f5_i2, f7_i1." in text and "No divergence (grid_controller)" not in text
    assert readings({"cma_es": row(0.7)}, [1471], 0) == []


@pytest.mark.slow
def test_an_sb3_run_folder_runs_as_a_named_optimiser(tmp_path):
    pytest.importorskip("cocoex")
    from experiments import bbob, train_sb3

    train_sb3.main(
        ["--config", "experiments/configs/sb3_small.yaml", "--set", f"runs_dir={tmp_path / 'runs'}"]
    )
    (run,) = (tmp_path / "runs").iterdir()
    args = ["--functions", "1", "--instances", "1", "--budget", "120", "--out", str(tmp_path / "o")]
    args += ["--exdata", str(tmp_path / "exdata"), "--optimizers", "random_search"]
    summary = bbob.main([*args, "--policy", f"tiny_ppo={run}"])
    assert set(summary["fractions"]) == {"random_search", "tiny_ppo"}
    with pytest.raises(SystemExit, match="NEW_NAME=PATH"):
        bbob.main([*args, "--policy", f"tiny={tmp_path / 'runs'}"])  # a folder without model.zip
    with pytest.raises(SystemExit, match="Stable-Baselines3 run"):
        bbob.main([*args, "--policy", f"tiny_ppo={run}", "--seek", "none"])  # no restarts to seek from


def test_divergence_is_reported_for_policies_given_on_the_command_line():
    from experiments.bbob import divergence

    fr = {
        "rover": {"_problems": 120, "_not_improved": []},
        "cma_es": {"_problems": 120, "_not_improved": ["f1_i1"]},
        "my_seed1": {"_problems": 120, "_not_improved": ["f3_i4"]},
    }
    lines = divergence(fr)
    assert len(lines) == 2 and "(rover)" in lines[0] and "on 120 of 120 problems." in lines[0]
    assert lines[1].startswith("- No divergence (my_seed1)") and lines[1].endswith("not on f3_i4.")


def test_rover_fine_start_is_the_shipped_optimiser_from_the_default_first_grid():
    from experiments.bbob import OPTIMIZERS

    def fun(x):
        return np.sum((x - 1.0) ** 2, axis=-1)

    kw = {"bounds": np.array([[-5.0, 5.0]] * 2), "max_evals": 200, "vectorized": True}
    starts = {
        n: OPTIMIZERS[n]()(fun, np.zeros(2), **kw).history["resolution"][0]
        for n in ("rover", "rover_fine_start")
    }
    assert starts == pytest.approx({"rover": 0.088 * 5, "rover_fine_start": 0.022 * 5})


def test_rover_no_design_is_the_shipped_optimiser_without_its_initial_design():
    from agents.rover import RoverDescent
    from experiments.bbob import OPTIMIZERS

    def fun(x):
        return np.sum((x - 1.0) ** 2, axis=-1)

    kw = {"bounds": np.array([[-5.0, 5.0]] * 2), "max_evals": 1471, "vectorized": True, "seed": 4}
    runs = {n: OPTIMIZERS[n]()(fun, np.full(2, -3.0), **kw) for n in ("rover", "rover_no_design")}
    assert runs["rover"].nfev <= 1471 and runs["rover_no_design"].nfev == 1451  # 20 spare evaluations
    assert not np.array_equal(runs["rover"].history["x"][0], [-3.0, -3.0])  # a design point was lower
    before = {"shrink_power": 1, "finish": "none", "ftol": 0, "restart": "none", "descend": 0}
    plain = RoverDescent.pretrained().minimize(fun, np.full(2, -3.0), initial_samples=0, **before, **kw)
    np.testing.assert_array_equal(runs["rover_no_design"].history["x"], plain.history["x"])


def test_rover_no_shrink_is_the_shipped_optimiser_at_the_actors_own_shrink():
    from agents.rover import SHIPPED_SHRINK_POWER, RoverDescent
    from experiments.bbob import OPTIMIZERS

    def cone(x):  # a minimum that is not smooth, where the faster zoom shows
        return np.linalg.norm(x - 1.0, axis=-1)

    kw = {"bounds": np.array([[-5.0, 5.0]] * 2), "max_evals": 1471, "vectorized": True, "seed": 4}
    runs = {n: OPTIMIZERS[n]()(cone, np.full(2, -3.0), **kw) for n in ("rover", "rover_no_shrink")}
    assert SHIPPED_SHRINK_POWER == 2.0 and runs["rover"].fun < runs["rover_no_shrink"].fun
    before = {"shrink_power": 1, "finish": "none", "ftol": 0, "restart": "none", "descend": 0}
    own = RoverDescent.pretrained().minimize(cone, np.full(2, -3.0), **before, **kw)
    np.testing.assert_array_equal(runs["rover_no_shrink"].history["x"], own.history["x"])


def test_rover_no_finish_is_the_shipped_optimiser_without_its_model_finish_and_restart():
    from agents.rover import SHIPPED_FINISH, SHIPPED_FTOL, SHIPPED_RESTART, RoverDescent
    from experiments.bbob import OPTIMIZERS
    from rover_envs.landscapes import make

    found = make("peaks", rng=26)  # rival wells: the design holds the global one's basin

    def fun(x):
        return found(np.atleast_2d(x))

    kw = {"bounds": np.array([[-5.0, 5.0]] * 2), "max_evals": 1471, "vectorized": True}  # the fixed design
    runs = {n: OPTIMIZERS[n]()(fun, np.array([3.0, -2.0]), **kw) for n in ("rover", "rover_no_finish")}
    assert (SHIPPED_FINISH, SHIPPED_FTOL, SHIPPED_RESTART) == ("model", 1e-16, "converged")
    assert runs["rover"].fun < runs["rover_no_finish"].fun and "restart(s)" in runs["rover"].message
    one = RoverDescent.pretrained().minimize(
        fun, np.array([3.0, -2.0]), finish="none", ftol=0, restart="none", **kw
    )
    np.testing.assert_array_equal(runs["rover_no_finish"].history["x"], one.history["x"])


def test_rover_near_restart_is_the_shipped_optimiser_restarting_at_the_default_distance():
    from agents.rover import RESTART_DISTANCE, RoverDescent
    from experiments.bbob import OPTIMIZERS
    from rover_envs.landscapes import make

    found = make("peaks", rng=26)

    def fun(x):
        return found(np.atleast_2d(x))

    kw = {"bounds": np.array([[-5.0, 5.0]] * 2), "max_evals": 1471, "vectorized": True}
    near = OPTIMIZERS["rover_near_restart"]()(fun, np.array([3.0, -2.0]), **kw)
    same = RoverDescent.pretrained().minimize(
        fun,
        np.array([3.0, -2.0]),
        restart_distance=RESTART_DISTANCE,
        abandon="none",
        descend=0,
        explore=0,
        seek="none",
        **kw,
    )
    np.testing.assert_array_equal(near.history["x"], same.history["x"])


def test_rover_no_abandon_is_the_shipped_optimiser_running_every_basin_to_its_end():
    from agents.rover import SHIPPED_ABANDON, RoverDescent
    from experiments.bbob import OPTIMIZERS
    from rover_envs.landscapes import make

    found = make("peaks", rng=32)

    def fun(x):
        return found(np.atleast_2d(x))

    kw = {"bounds": np.array([[-5.0, 5.0]] * 2), "max_evals": 1471, "vectorized": True}
    runs = {n: OPTIMIZERS[n]()(fun, np.array([3.0, -2.0]), **kw) for n in ("rover", "rover_no_abandon")}
    same = RoverDescent.pretrained().minimize(
        fun, np.array([3.0, -2.0]), abandon="none", descend=0, explore=0, seek="none", **kw
    )
    np.testing.assert_array_equal(runs["rover_no_abandon"].history["x"], same.history["x"])
    assert SHIPPED_ABANDON == "model" and "(abandon)" in runs["rover"].message
    assert runs["rover"].fun < runs["rover_no_abandon"].fun - 1.0


def test_rover_no_descend_is_the_shipped_optimiser_following_its_actor_through_a_stall():
    from agents.rover import SHIPPED_DESCEND, RoverDescent
    from experiments.bbob import OPTIMIZERS
    from rover_envs.landscapes import make

    found = make("lopsided", rng=11)

    def fun(x):
        return found(np.atleast_2d(x) - np.array([1.3, -0.7]))

    kw = {"bounds": np.array([[-5.0, 5.0]] * 2), "max_evals": 1471, "vectorized": True}
    runs = {n: OPTIMIZERS[n]()(fun, np.array([3.0, -2.0]), **kw) for n in ("rover", "rover_no_descend")}
    same = RoverDescent.pretrained().minimize(
        fun, np.array([3.0, -2.0]), seek="none", descend=0, explore=0, **kw
    )
    np.testing.assert_array_equal(runs["rover_no_descend"].history["x"], same.history["x"])
    assert SHIPPED_DESCEND == 3 and runs["rover"].fun < 1e-2 < 0.1 < runs["rover_no_descend"].fun


def test_rover_descend_half_cap_is_the_shipped_optimiser_halving_only_from_half_the_widest_zoom():
    from agents.rover import DESCEND_AT, SHIPPED_DESCEND_AT, RoverDescent
    from experiments.bbob import OPTIMIZERS
    from rover_envs.landscapes import make

    found = make("lopsided", rng=4)

    def fun(x):
        return found(np.atleast_2d(x) - np.array([1.3, -0.7]))

    kw = {"bounds": np.array([[-5.0, 5.0]] * 2), "max_evals": 1471, "vectorized": True}
    names = ("rover", "rover_descend_half_cap")
    runs = {n: OPTIMIZERS[n]()(fun, np.array([3.0, -2.0]), **kw) for n in names}
    same = RoverDescent.pretrained().minimize(
        fun, np.array([3.0, -2.0]), seek="none", descend_at=DESCEND_AT, **kw
    )
    np.testing.assert_array_equal(runs["rover_descend_half_cap"].history["x"], same.history["x"])
    assert SHIPPED_DESCEND_AT == 0.25 and runs["rover"].fun < 1e-3 < 1e-2 < runs["rover_descend_half_cap"].fun


def test_rover_no_explore_is_the_shipped_optimiser_refining_every_basin_it_finds():
    from agents.rover import SHIPPED_EXPLORE, RoverDescent
    from experiments.bbob import OPTIMIZERS
    from rover_envs.landscapes import make

    found = make("peaks", rng=17)  # the first basin a rival well: parked, the global one found sooner

    def fun(x):
        return found(np.atleast_2d(x))

    kw = {"bounds": np.array([[-5.0, 5.0]] * 2), "max_evals": 1471, "vectorized": True}
    runs = {n: OPTIMIZERS[n]()(fun, np.array([3.0, -2.0]), **kw) for n in ("rover", "rover_no_explore")}
    same = RoverDescent.pretrained().minimize(
        fun, np.array([3.0, -2.0]), seek="none", explore=0, descend_at=0.5, **kw
    )
    np.testing.assert_array_equal(runs["rover_no_explore"].history["x"], same.history["x"])
    regret = {n: run.fun - found.minimum[1] for n, run in runs.items()}
    assert SHIPPED_EXPLORE == 0.01 and regret["rover"] < 1e-12 < 1e-7 < regret["rover_no_explore"]


def test_rover_no_seek_is_the_shipped_optimiser_without_its_hop():
    from agents.rover import SHIPPED_SEEK, RoverDescent
    from experiments.bbob import OPTIMIZERS
    from experiments.bounded import problems

    f, f_star, bounds, x0 = problems("multiscale", 28, 12, box="domain")[27]  # a bowl under ripples

    def fun(x):
        return f(np.atleast_2d(x))

    kw = {"bounds": bounds, "max_evals": 1471, "vectorized": True}
    runs = {n: OPTIMIZERS[n]()(fun, x0, **kw) for n in ("rover", "rover_no_seek")}
    same = RoverDescent.pretrained().minimize(fun, x0, seek="none", **kw)
    np.testing.assert_array_equal(runs["rover_no_seek"].history["x"], same.history["x"])
    assert (
        SHIPPED_SEEK == "grid"
        and runs["rover"].fun - f_star < 1e-12 < 1e-6 < runs["rover_no_seek"].fun - f_star
    )
