"""Sweeps, the SB3 adapter and trainer, and compare-rl."""

import json
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch
import yaml

from agents.sb3 import GridCNN, GridFeaturesExtractor, RoverVecEnv, policy_kwargs
from experiments import heldout, sweep
from experiments.config import ConfigError, load
from experiments.schemas import SweepConfig
from experiments.sweep import expand

CONFIGS = Path(__file__).resolve().parent.parent / "experiments" / "configs"


def _sweep_file(tmp_path: Path, **fields) -> Path:
    data = {
        "name": "t",
        "base": str(CONFIGS / "ddpg_small.yaml"),
        "runs_dir": str(tmp_path / "runs"),
        "grid": {"env.family": ["quadratic", "all"], "env.reward": ["running_mean", "final"]},
        "seeds": [0],
        **fields,
    }
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


# -- sweep expansion -----------------------------------------------------------------------------------
def test_expand_is_the_grid_product_with_labels_and_groups(tmp_path):
    grid = {
        "landscape": [{"env.family": "all"}, {"label": "noisy", "env.family": "all", "env.noise": 0.1}],
        "env.reward": ["running_mean", "final"],
    }
    path = _sweep_file(tmp_path, grid=grid, seeds=[0, 3], overrides={"train.total_episodes": 16})
    specs = expand(load(SweepConfig, path), str(path))
    assert len(specs) == 2 * 2 * 2
    names = {s.experiment for s in specs}
    assert names == {"t-all-running_mean", "t-all-final", "t-noisy-running_mean", "t-noisy-final"}
    noisy = next(s for s in specs if s.experiment == "t-noisy-final" and s.seed == 3)
    assert noisy.overrides["env.noise"] == 0.1 and noisy.overrides["env.reward"] == "final"
    assert noisy.overrides["train.total_episodes"] == 16 and noisy.overrides["seed"] == 3
    assert noisy.labels == {"landscape": "noisy", "env.reward": "final"}
    assert Path(noisy.sweep_dir).is_absolute() and noisy.sweep_dir.endswith("runs/t")
    cmd = noisy.command(Path("/x/run"), resume=False)
    assert cmd[1:3] == ["-m", "experiments.train_ddpg"] and "--run-dir" in cmd and "env.noise=0.1" in cmd


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"grid": {"env.reward": ["running_mean", "bogus"]}}, "bogus"),
        ({"grid": {"env.familly": ["all"]}}, "familly"),
        ({"grid": {"env.reward": []}}, "non-empty"),
        ({"grid": {"env.reward": ["final", "final"]}}, "distinct"),
        ({"base": "missing.yaml"}, "does not exist"),
        ({"grid": {"env.noise": [-1.0]}}, "noise must be a finite number"),
        ({"grid": {"train.total_episodes": [-5]}}, "train.total_episodes must be >= 0"),
        ({"trainer": "dqn"}, "dqn"),
        ({"gird": {}}, "gird"),
    ],
)
def test_bad_sweep_files_fail_before_any_run(tmp_path, fields, message):
    path = _sweep_file(tmp_path, **fields)
    with pytest.raises(ConfigError, match=message):
        expand(load(SweepConfig, path), str(path))
    assert not (tmp_path / "runs").exists()


# -- held-out evaluation ---------------------------------------------------------------------------------
def test_heldout_fixed_schedule_is_deterministic_and_scored():
    a = heldout.evaluate(None, env={"horizon": 3}, landscapes=4, families=("quadratic", "valley"))
    b = heldout.evaluate(None, env={"horizon": 3}, landscapes=4, families=("quadratic", "valley"))
    assert a == b and set(a) == {"quadratic", "valley"}
    assert a["quadratic"]["alpha_ratio"] == [1.0] * 4  # the fixed schedule never changes alpha
    meds = [a[f]["median_final_normalized_regret"] for f in a]
    assert heldout.log10_score(a) == pytest.approx(np.mean(np.log10(np.maximum(meds, 1e-16))))
    # a budget that cuts the episode short: two steps of a 3-step horizon are a 2-step horizon's
    cut = heldout.evaluate(None, env={"horizon": 3}, landscapes=4, families=("valley",), steps=2)
    two = heldout.evaluate(None, env={"horizon": 2}, landscapes=4, families=("valley",))
    assert cut == two and len(cut["valley"]["alpha_ratio"]) == 3
    with pytest.raises(ValueError, match="steps"):
        heldout.evaluate(None, env={"horizon": 3}, landscapes=2, families=("valley",), steps=4)


def test_heldout_env_keeps_the_training_rules_but_not_its_family_or_ranges():
    from rover_envs.core import EngineConfig

    cfg = EngineConfig(
        family="valley", move="best_sample", noise=1.0, noise_unit="kernel", step_size_range=(0.1, 0.2)
    )
    env = heldout.heldout_env(cfg)
    assert env["move"] == "best_sample" and env["noise_unit"] == "kernel" and env["noise"] == 1.0
    assert not {"family", "step_size_range", "resolution_range"} & set(env)
    assert heldout.heldout_env(cfg, noise=0.0)["noise"] == 0.0
    a = heldout.evaluate(None, env=env, landscapes=3, families=("valley",))
    b = heldout.evaluate(None, env={**env, "move": "eq4"}, landscapes=3, families=("valley",))
    assert a != b  # the move rule reaches the held-out episodes
    with pytest.raises(ValueError, match="sets the family itself"):
        heldout.evaluate(None, env={"family": "valley"})
    # a recipe trained in boxes is validated unbounded: neither box option reaches the episodes
    boxed = heldout.heldout_env(EngineConfig(family="valley", box_fraction=0.5, box_side_fraction=0.3))
    assert not {"box_fraction", "box_side_fraction"} & set(boxed)
    heldout.evaluate(None, env=boxed, landscapes=1, families=("valley",))


# -- SB3 adapter -----------------------------------------------------------------------------------------
def test_rover_vec_env_follows_sb3_conventions_and_matches_the_gymnasium_vector_env():
    n, horizon = 3, 4
    env = RoverVecEnv(n, direction="gradient", family="all", horizon=horizon, seed=5)
    ref = gym.make_vec(
        "RoverLandscape-v0",
        num_envs=n,
        vectorization_mode="vector_entry_point",
        direction="gradient",
        family="all",
        horizon=horizon,
    )
    obs = env.reset()
    ref_obs, ref_info = ref.reset(seed=5)
    regret0 = ref_info["regret"].copy()
    np.testing.assert_array_equal(obs, ref_obs)
    rng = np.random.default_rng(0)
    for t in range(horizon):
        action = rng.uniform(-0.5, 1.0, (n, 2))
        obs, reward, done, infos = env.step(action)
        ref_obs, ref_reward, _, _, ref_info = ref.step(action)
        np.testing.assert_allclose(reward, ref_reward, rtol=1e-6)
        if t < horizon - 1:
            np.testing.assert_array_equal(obs, ref_obs)
            assert not done.any()
    assert done.all()  # same-step autoreset: obs is already the next episode's first grid
    for i, info in enumerate(infos):
        np.testing.assert_array_equal(info["terminal_observation"], ref_obs[i])
        assert info["TimeLimit.truncated"] and info["episode"]["l"] == horizon
        assert info["final_normalized_regret"] == pytest.approx(ref_info["regret"][i] / regret0[i])
    assert not np.array_equal(obs, ref_obs)
    with pytest.raises(ValueError, match="unknown argument"):
        RoverVecEnv(2, familly="all")


def test_rover_vec_env_with_features_gives_dict_observations_like_the_gymnasium_vector_env():
    n, horizon = 2, 3
    kw = dict(direction="gradient", family="all", horizon=horizon, features=True, move="best_sample")
    env = RoverVecEnv(n, seed=3, **kw)
    ref = gym.make_vec("RoverLandscape-v0", num_envs=n, vectorization_mode="vector_entry_point", **kw)
    assert isinstance(env.observation_space, gym.spaces.Dict)
    obs = env.reset()
    ref_obs, _ = ref.reset(seed=3)
    rng = np.random.default_rng(1)
    for _ in range(horizon):
        for key in ("grid", "features"):
            assert obs[key].shape == (n, *env.observation_space[key].shape)
            np.testing.assert_array_equal(obs[key], ref_obs[key])
        action = rng.uniform(-0.5, 1.0, (n, 2))
        obs, _, done, infos = env.step(action)
        ref_obs, *_ = ref.step(action)
    assert done.all()
    for i, info in enumerate(infos):  # one sub-environment's dict, as DummyVecEnv gives
        for key in ("grid", "features"):
            np.testing.assert_array_equal(info["terminal_observation"][key], ref_obs[key][i])
    assert not np.array_equal(obs["features"], ref_obs["features"])  # already the next episode's


def test_sb3_multi_input_policy_learns_on_the_dict_observation():
    from stable_baselines3 import PPO

    env = RoverVecEnv(2, direction="gradient", family="quadratic", horizon=4, features=True, seed=0)
    pk = policy_kwargs(8, (2, 4), dict_obs=True, net_arch=[8])
    model = PPO("MultiInputPolicy", env, n_steps=8, batch_size=8, n_epochs=1, policy_kwargs=pk, seed=0)
    model.learn(16)
    action, _ = model.predict(env.reset(), deterministic=True)
    assert action.shape == (2, 2) and np.isfinite(action).all()
    with pytest.raises(ValueError, match="'grid' and 'features'"):
        GridFeaturesExtractor(gym.spaces.Box(0, 1, (1, 7, 7), np.float32))


def test_grid_cnn_handles_the_small_grid():
    space = gym.spaces.Box(0, 1, (1, 7, 7), np.float32)
    net = GridCNN(space, features_dim=8, channels=(2, 4))
    assert net(torch.rand(5, 1, 7, 7)).shape == (5, 8)
    assert policy_kwargs(8)["normalize_images"] is False


# -- runs: slow smoke tier ----------------------------------------------------------------------------------
@pytest.mark.slow
def test_train_sb3_smoke_and_resume(tmp_path):
    from experiments import train_sb3

    args = ["--config", "experiments/configs/sb3_small.yaml", "--set", f"runs_dir={tmp_path}", "algo=sac"]
    metrics = train_sb3.main(args)
    (run_dir,) = tmp_path.iterdir()
    for name in (
        "config.yaml",
        "command.txt",
        "git.txt",
        "checkpoint.zip",
        "replay_buffer.pkl",
        "metrics.json",
    ):
        assert (run_dir / name).is_file(), name
    assert metrics["env_steps"] >= 400 and metrics["curve"]
    assert list(run_dir.glob("events.out.tfevents.*"))
    again = train_sb3.main(["--resume", str(run_dir)])
    assert again["env_steps"] == metrics["env_steps"]  # nothing left to train: evaluation only
    with pytest.raises(FileExistsError, match="--resume"):
        train_sb3.main([*args, "--run-dir", str(run_dir)])


@pytest.mark.slow
def test_shipped_smoke_sweep_runs_a_2x2_grid_and_summarises(tmp_path, capsys):
    args = ["experiments/configs/sweeps/smoke.yaml", "--set", f"runs_dir={tmp_path}"]
    out = sweep.main([*args, "--publish", str(tmp_path / "published")])
    assert len(out["results"]) == 4 and not out["failures"]
    root = tmp_path / "smoke"
    summary = (root / "summary.md").read_text()
    for family in ("quadratic", "all"):
        for reward in ("running_mean", "final"):
            assert f"| {family} | {reward} | 1 |" in summary
    assert "by env.family (rows) × env.reward (columns)" in summary
    for name in ("summary.md", "summary.csv", "curves.png", "scores.png", "sweep.yaml"):
        assert (tmp_path / "published" / name).is_file()
    capsys.readouterr()
    sweep.main(args)  # everything finished: nothing runs again
    assert "4 runs: 4 finished earlier, 0 to run" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a run that fails: cuda on a machine without it")
def test_local_sweep_isolates_failures_and_resumes_interrupted_runs(tmp_path, capsys):
    path = _sweep_file(tmp_path, grid={"train.device": ["cpu", "cuda"]})
    with pytest.raises(SystemExit, match="1 of 2 runs failed"):
        sweep.main([str(path)])
    root = tmp_path / "runs" / "t"
    done = [d.name for d in root.iterdir() if (d / "metrics.json").is_file()]
    assert len(done) == 1 and "t-cpu__0__" in done[0]
    assert "| cpu | 1 |" in (root / "summary.md").read_text()
    (log,) = (root / "logs").glob("*cuda*.log")
    assert "CUDA" in log.read_text()
    # an interrupted run (checkpoint, no metrics) is resumed; finished runs are skipped
    spec = next(s for s in expand(load(SweepConfig, path)) if s.labels["train.device"] == "cpu")
    finished = spec.finished()
    (finished / "metrics.json").unlink()
    assert sweep.prepare(spec) == (finished, True)
    capsys.readouterr()
    sweep.main([str(path), "--set", 'grid={"train.device": ["cpu"]}'])
    assert "1 runs: 0 finished earlier, 1 to run" in capsys.readouterr().out
    assert json.loads((finished / "metrics.json").read_text())["episodes"] >= 40
    assert "--resume" in (root / "logs" / f"{finished.name}.log").read_text()


@pytest.mark.slow
def test_ray_backend_runs_the_same_runs(tmp_path):
    ray = pytest.importorskip("ray")
    path = _sweep_file(tmp_path, grid={"env.reward": ["running_mean", "final"]})
    try:
        out = sweep.main([str(path), "--backend", "ray", "--workers", "2"])
    finally:
        ray.shutdown()
    assert len(out["results"]) == 2 and not out["failures"]
    root = tmp_path / "runs" / "t"
    runs = [d for d in root.iterdir() if d.name.startswith("RoverLandscape-v0__t-")]
    assert len(runs) == 2 and all((d / "metrics.json").is_file() for d in runs)
    assert "| final | 1 |" in (root / "summary.md").read_text()


@pytest.mark.slow
def test_compare_rl_smoke(tmp_path):
    from experiments import compare_rl

    compare_rl.main(
        ["--config", "experiments/configs/compare_rl_small.yaml", "--set", f"runs_dir={tmp_path}"]
    )
    root = tmp_path / "compare_rl_small"
    summary = (root / "summary.md").read_text()
    for algo in ("rdpg", "ddpg", "td3", "sac", "ppo", "recurrent_ppo"):
        assert f"| {algo} | 1 |" in summary
    assert (root / "curves.png").is_file()
    # every run logs the same chart tags into the one folder, so TensorBoard overlays them
    for run in (d for d in root.iterdir() if d.name.startswith("RoverLandscape-v0__")):
        assert (
            list(run.glob("events.out.tfevents.*"))
            and json.loads((run / "metrics.json").read_text())["curve"]
        )


def test_schedule_actor_drives_the_learned_optimiser_loop():
    from types import SimpleNamespace

    from agents import RoverDescent
    from experiments.evaluation.diagnostics import ScheduleActor
    from rover_envs.landscapes import make

    policy = SimpleNamespace(
        grid_size=7, direction=lambda obs: np.array([[1.0, 0.0]]), actor=ScheduleActor(2)
    )
    f = make("rastrigin")
    res = RoverDescent(policy).minimize(
        f, [0.0, 0.0], max_iter=4, step_size=1.0, resolution=1.0, bounds=f.bounds, vectorized=True
    )
    np.testing.assert_allclose(res.history["step_size"], [1.0, 0.9, 0.81, 0.81 * 0.65, 0.81 * 0.65**2])
    np.testing.assert_allclose(res.history["resolution"], [1.0, 1.0, 1.0, 0.6, 0.36])
    np.testing.assert_allclose(res.history["x"][:, 0], [0.0, 1.0, 1.9, 2.71, 2.71 + 0.81 * 0.65])


def test_rover_vec_env_reset_options():
    env = RoverVecEnv(2, direction="gradient", family="quadratic", seed=0)
    env.set_options({"resolution": 0.1})
    env.reset()
    np.testing.assert_allclose(env._engine.info(slice(None))["resolution"], [0.1, 0.1])
    env.set_options([{"step_size": 0.5}, {"step_size": 0.25}])
    with pytest.raises(ValueError, match="one options dict"):
        env.reset()
    env.reset()  # the rejected options were dropped


def test_command_line_records_a_module_run_as_python_dash_m(monkeypatch):
    import sys
    from types import SimpleNamespace

    from experiments.runs import command_line

    monkeypatch.setattr(sys, "argv", ["/abs/experiments/train_ddpg.py", "--config", "my cfg.yaml"])
    monkeypatch.setitem(
        sys.modules, "__main__", SimpleNamespace(__spec__=SimpleNamespace(name="experiments.train_ddpg"))
    )
    assert command_line() == "python -m experiments.train_ddpg --config 'my cfg.yaml'"
    monkeypatch.setitem(sys.modules, "__main__", SimpleNamespace(__spec__=None))  # a script run
    assert command_line() == "/abs/experiments/train_ddpg.py --config 'my cfg.yaml'"


# -- validation protocols --------------------------------------------------------------------------------
def test_domain_initial_scale_is_the_optimisers_own_rule():
    from agents.rover import RoverDescent
    from rover_envs.landscapes import make

    kwargs = {"family": "ackley", "initial_scale": "domain", "direction": "gradient"}
    env = gym.make(
        "RoverLandscape-v0", step_size_range=(0.055, 0.055), resolution_range=(0.022, 0.022), **kwargs
    )
    _, info = env.reset(seed=3)
    f = make("ackley")
    alpha0, delta0 = RoverDescent.initial_schedule(info["theta"], f.bounds)
    assert info["step_size"] == pytest.approx(alpha0) and info["resolution"] == pytest.approx(delta0)
    # unbounded fields: L0 = distance / rho, rho the distance of two uniform points of [-0.8, 0.8]^2
    venv = gym.make_vec(
        "RoverLandscape-v0",
        num_envs=400,
        vectorization_mode="vector_entry_point",
        family="valley",
        initial_scale="domain",
        step_size_range=(1.0, 1.0),
        resolution_range=(1.0, 1.0),
        direction="gradient",
    )
    _, info = venv.reset(seed=0)
    rho = info["distance"] / info["step_size"]
    assert rho.min() >= 0.02 and rho.max() <= 0.8 * 2 * np.sqrt(2)
    assert 0.6 < np.median(rho) < 0.9  # the median distance of two uniform points in that square


@pytest.mark.slow
def test_validate_scores_every_run_under_every_protocol(tmp_path):
    from experiments import train_ddpg, validate

    for name, move in (("abl-eq4", "eq4"), ("abl-best", "best_sample")):
        train_ddpg.main(
            [
                "--config",
                "experiments/configs/ddpg_small.yaml",
                "--set",
                f"runs_dir={tmp_path}",
                f"name={name}",
                f"env.move={move}",
                "train.total_episodes=8",
            ]
        )
    out = validate.main([str(tmp_path), "--landscapes", "2", "--out", str(tmp_path / "v.md")])
    assert set(out) == {"distance", "deployment"}
    assert set(out["deployment"]) == {"eq4", "best"} and set(out["deployment"]["eq4"][0]) == set(
        validate.FAMILIES
    )
    assert "## Protocol `deployment`" in (tmp_path / "v.md").read_text()
    args = [str(tmp_path), "--landscapes", "4", "--families", "funnels", "--statistic", "solved"]
    solved = validate.main([*args, "--protocols", "deployment", "--out", str(tmp_path / "s.md")])
    for runs in solved["deployment"].values():
        assert set(runs[0]) == {"funnels"} and 0.0 <= runs[0]["funnels"] <= 1.0
        assert runs[0]["funnels"] * 4 == int(runs[0]["funnels"] * 4)  # a fraction of 4 landscapes
    assert "fraction of landscapes solved" in (tmp_path / "s.md").read_text()
    longer = validate.main(
        [str(tmp_path), "--landscapes", "2", "--protocols", "deployment", "--horizon", "40"]
    )
    cut = validate.main([*args[:3], "--protocols", "deployment", "--horizon", "40", "--steps", "1"])
    assert longer["deployment"] != out["deployment"] and set(cut["deployment"]) == {"eq4", "best"}
    fresh = validate.main([str(tmp_path), "--landscapes", "2", "--protocols", "deployment", "--draw", "1"])
    again = validate.main([str(tmp_path), "--landscapes", "2", "--protocols", "deployment", "--draw", "1"])
    assert fresh == again and fresh["deployment"] != out["deployment"]  # other landscapes, reproducibly
    with pytest.raises(SystemExit):
        validate.main([str(tmp_path), "--draw", "-1"])
    # --json: per-run values that experiments.decide reads, one statistic per file
    from experiments import decide

    validate.main([*args, "--protocols", "deployment", "--json", str(tmp_path / "solved.json")])
    validate.main([*args[:5], "--protocols", "deployment", "--json", str(tmp_path / "median.json")])
    record = json.loads((tmp_path / "solved.json").read_text())
    assert set(record["statistics"]["solved"]) == {"eq4 [deployment]", "best [deployment]"}
    assert record["runs"]["eq4 [deployment]"][0].startswith("RoverLandscape-v0__abl-eq4__0__")
    files = [str(tmp_path / "solved.json"), str(tmp_path / "median.json")]
    merged = decide.merge([json.loads(Path(f).read_text()) for f in files])
    assert set(merged["statistics"]) == {"solved", "median"}
    rows = ["--baseline", "eq4 [deployment]", "--candidate", "best [deployment]", "--unpaired"]
    with pytest.raises(SystemExit):  # one run per row: no tolerance to compare against
        decide.main([*files, *rows, "--target", "solved"])


def test_heldout_seed_keeps_draw_zero_and_separates_fresh_draws():
    from experiments.heldout import heldout_seed

    assert heldout_seed(2, 1_000_003) == 1_000_005  # the validation set every earlier choice used
    seeds = {heldout_seed(s, 1_000_003, d) for s in range(3) for d in range(3)}
    assert len(seeds) == 9 and min(seeds) > 2  # no draw meets another or a training seed
    with pytest.raises(ValueError, match="draw"):
        heldout_seed(0, 1_000_003, -1)


def test_bounded_problems_put_minimiser_and_start_inside_their_box_reproducibly():
    from experiments.bounded import MARGIN, WIDTH, problems

    first, again = problems("funnels", 5, 7), problems("funnels", 5, 7)
    for (f, f_star, bounds, x0), (_, f_star2, bounds2, x02) in zip(first, again):
        np.testing.assert_array_equal(bounds, bounds2)
        np.testing.assert_array_equal(x0, x02)
        assert f_star == f_star2
        x_star = np.asarray(f.minimum[0])
        np.testing.assert_allclose(bounds[:, 1] - bounds[:, 0], WIDTH)
        for x in (x_star, x0):
            assert np.all(x >= bounds[:, 0] + MARGIN - 1e-12) and np.all(x <= bounds[:, 1] - MARGIN + 1e-12)
    assert not np.array_equal(problems("funnels", 1, 8)[0][3], first[0][3])  # another seed, another draw


def test_domain_boxes_keep_own_wells_and_translate_the_rest_reproducibly():
    from experiments.bounded import DOMAIN, START, problems

    for family in ("funnels", "quadratic"):
        first, again = problems(family, 5, 7, "domain"), problems(family, 5, 7, "domain")
        for (f, f_star, bounds, x0), (f2, _, _, x02) in zip(first, again):
            np.testing.assert_array_equal(bounds, [[-DOMAIN, DOMAIN], [-DOMAIN, DOMAIN]])
            np.testing.assert_array_equal(x0, x02)
            x_star = np.asarray(f.minimum[0], dtype=float)
            np.testing.assert_array_equal(x_star, f2.minimum[0])
            assert np.all(np.abs(x_star) <= START) and np.all(np.abs(x0) <= START)
            assert float(f(np.atleast_2d(x_star))[0]) == pytest.approx(f_star, abs=1e-9)
    # funnels keep their coordinates: every well centre inside [-3, 3]^2, so inside the box
    funnel = problems("funnels", 1, 7, "domain")[0][0]
    assert not hasattr(funnel, "shift") and np.all(np.abs(funnel.params.c[:, :4]) <= 3.0)
    # the minimiser boxes are a stream of their own: adding the domain did not move them
    assert not np.array_equal(problems("quadratic", 1, 7)[0][3], problems("quadratic", 1, 7, "domain")[0][3])
    with pytest.raises(ValueError, match="unknown box"):
        problems("quadratic", 1, 7, "frame")


def test_side_boxes_put_the_minimiser_beyond_a_side_and_find_the_box_minimum():
    from experiments.bounded import DOMAIN, SIDE_GAP, START, problems

    first, again = problems("rippled", 4, 7, "side"), problems("rippled", 4, 7, "side")
    g = np.linspace(-DOMAIN, DOMAIN, 1201)
    scan = np.stack(np.meshgrid(g, g, indexing="ij"), axis=-1).reshape(-1, 2)
    for (f, f_star, bounds, x0), (_, f_star2, _, x02) in zip(first, again):
        np.testing.assert_array_equal(bounds, [[-DOMAIN, DOMAIN], [-DOMAIN, DOMAIN]])
        np.testing.assert_array_equal(x0, x02)
        assert f_star == f_star2 and np.all(np.abs(x0) <= START)
        beyond = np.abs(np.asarray(f.minimum[0])) - DOMAIN
        assert np.max(beyond) >= SIDE_GAP[0] - 1e-9 and np.max(beyond) <= SIDE_GAP[1] + 1e-9
        assert np.min(beyond) <= START - DOMAIN + 1e-9  # within [-START, START] along the side
        # the reference is the box's minimum: no finer scan finds lower, and it is above the free one
        assert f_star <= float(f(scan).min()) + 1e-12 and f_star > f.minimum[1]


def test_bounded_scores_references_on_the_landscapes_of_their_seeds(tmp_path):
    from experiments import bounded

    args = ["--families", "quadratic", "--landscapes", "2", "--box", "side", "--reference-seeds", "0", "1"]
    out = bounded.main(["--references", "grid_controller", *args, "--out", str(tmp_path / "r.md")])
    assert (
        set(out["median"]) == {"grid_controller [bounds]"}
        and len(out["median"]["grid_controller [bounds]"]) == 2
    )
    assert "beyond a side" in (tmp_path / "r.md").read_text()
    with pytest.raises(SystemExit):
        bounded.main(args)  # neither runs nor references
    domain = [
        "--references",
        "grid_controller",
        "--families",
        "multiscale",
        "--landscapes",
        "2",
        "--box",
        "domain",
    ]
    fresh = bounded.main([*domain, "--draw", "1", "--out", str(tmp_path / "f.md")])
    assert (
        fresh["median"] != bounded.main(domain)["median"]
        and "held-out draw 1" in (tmp_path / "f.md").read_text()
    )
    assert fresh["median"] == bounded.main([*domain, "--draw", "1"])["median"]


@pytest.mark.slow
def test_bounded_scores_each_boundary_rule_and_the_unbounded_reference(tmp_path):
    from experiments import bounded, train_ddpg

    train_ddpg.main(
        [
            "--config",
            "experiments/configs/ddpg_small.yaml",
            "--set",
            f"runs_dir={tmp_path}",
            "name=tiny",
            "train.total_episodes=8",
        ]
    )
    out = bounded.main(
        [str(tmp_path), "--landscapes", "2", "--families", "quadratic", "--out", str(tmp_path / "b.md")]
    )
    rules = ("clip", "reflect", "penalty", "active_penalty")
    rows = {f"tiny [{r}{c}]" for r in rules for c in ("", ", uncapped")}
    assert set(out["median"]) == rows | {"tiny [none]"}
    for row in out["solved"].values():
        assert row[0]["quadratic"] in (0.0, 0.5, 1.0)
    assert "[reflect]" in (tmp_path / "b.md").read_text()
    args = ["--landscapes", "2", "--families", "quadratic", "--box", "domain", "--boundary", "clip"]
    domain = bounded.main([str(tmp_path), *args, "--zoom-cap", "on", "--out", str(tmp_path / "d.md")])
    assert set(domain["median"]) == {"tiny [clip]", "tiny [none]"}
    assert "the domain [-5, 5]^2" in (tmp_path / "d.md").read_text()
    side = bounded.main([str(tmp_path), *args[:4], "--box", "side", "--boundary", "clip", "--zoom-cap", "on"])
    assert set(side["median"]) == {"tiny [clip]"}  # no unbounded row: it would leave the box
    guarded = bounded.main([str(tmp_path), *args, "--zoom-cap", "on", "--guard", "border"])
    assert set(guarded["median"]) == {"tiny [clip]", "tiny [none]"}
    shapes = bounded.main([str(tmp_path), *args, "--zoom-cap", "on", "--metric", "none", "grid_fit_floor"])
    assert set(shapes["median"]) == {
        f"tiny [{r}, {m}]" for r in ("clip", "none") for m in ("none", "grid_fit_floor")
    }
    # on the shipped deployment settings: the run restarts from a design, so abandon can be compared
    abandon = bounded.main(
        [str(tmp_path), *args, "--zoom-cap", "on", "--settings", "shipped", "--abandon", "none", "model"]
    )
    assert set(abandon["median"]) == {
        "tiny [clip, abandon none]",
        "tiny [clip, abandon model]",
        "tiny [none]",
    }
    with pytest.raises(SystemExit):  # on the trained settings no row restarts
        bounded.main([str(tmp_path), *args, "--abandon", "model"])


def test_bounded_metric_rows_set_the_grid_shape_of_every_row():
    from experiments.bounded import with_metrics

    rows = {"clip": {"boundary": "clip"}, "none": {}}
    assert with_metrics(rows, None) == rows
    assert with_metrics(rows, ["grid_fit"]) == {
        "clip, grid_fit": {"boundary": "clip", "metric": "grid_fit"},
        "none, grid_fit": {"metric": "grid_fit"},
    }


def test_bounded_rows_keep_the_unbounded_reference_unbounded_under_every_grid_shape():
    from types import SimpleNamespace

    from experiments import bounded

    seen = []

    def minimize(fun, x0, **kw):
        seen.append(kw)
        return SimpleNamespace(fun=float(fun(x0)[0]))

    rows = bounded.with_metrics(bounded.settings(("clip",), (True,)), ["none", "grid_fit"])
    bounded.evaluate(minimize, 5, rows, ("quadratic",), 1, "domain")
    by_metric = {(kw["metric"], kw.get("boundary")): kw["bounds"] for kw in seen}
    assert by_metric[("grid_fit", None)] is None and by_metric[("none", None)] is None
    assert by_metric[("grid_fit", "clip")].shape == (2, 2)  # the domain box
    seen.clear()
    scaled = bounded.with_resolution_scales({"clip": {"boundary": "clip"}}, [0.022, 0.088])
    assert set(scaled) == {"clip, delta0 0.022 L", "clip, delta0 0.088 L"}
    bounded.evaluate(minimize, 5, scaled, ("quadratic",), 1, "domain")
    assert [kw["resolution"] for kw in seen] == pytest.approx([0.022 * 5.0, 0.088 * 5.0])  # L = 5
    assert bounded.with_resolution_scales(scaled, None) == scaled
    seen.clear()
    both = bounded.with_step_size_scales(bounded.with_resolution_scales({"clip": {}}, [0.088]), [0.055, 0.22])
    assert set(both) == {"clip, delta0 0.088 L, alpha0 0.055 L", "clip, delta0 0.088 L, alpha0 0.22 L"}
    bounded.evaluate(minimize, 5, both, ("quadratic",), 1, "domain")
    assert [v for kw in seen for v in (kw["step_size"], kw["resolution"])] == pytest.approx(
        [0.275, 0.44, 1.1, 0.44]
    )


def test_bounded_initial_design_rows_leave_the_unbounded_reference_once():
    import argparse

    from experiments import bounded

    rows = bounded.settings(("penalty",), (True,))
    assert bounded.with_initial_samples(rows, None) == rows
    assert bounded.with_initial_samples(rows, [0, "spare"]) == {
        "penalty, initial 0": {"boundary": "penalty", "zoom_cap": True, "initial_samples": 0},
        "penalty, initial spare": {"boundary": "penalty", "zoom_cap": True, "initial_samples": "spare"},
        bounded.UNBOUNDED: {"bounds": None},  # no bounds to draw a design in
    }
    assert [bounded.initial_samples_value(v) for v in ("19", "spare", "spare+iteration", "auto")] == [
        19,
        "spare",
        "spare+iteration",
        "auto",
    ]
    with pytest.raises(argparse.ArgumentTypeError, match="neither a count"):
        bounded.initial_samples_value("all")


def test_bounded_restart_rows_and_peaks_in_its_own_coordinates():
    from experiments import bounded

    rows = bounded.with_initial_samples(bounded.settings(("penalty",), (True,)), ["auto"])
    assert bounded.with_restarts(rows, None) == rows
    assert bounded.with_restarts(rows, ["none", "design"]) == {
        "penalty, initial auto, restart none": {
            "boundary": "penalty",
            "zoom_cap": True,
            "initial_samples": "auto",
            "restart": "none",
        },
        "penalty, initial auto, restart design": {
            "boundary": "penalty",
            "zoom_cap": True,
            "initial_samples": "auto",
            "restart": "design",
        },
        bounded.UNBOUNDED: {"bounds": None},
    }
    rows = bounded.with_restarts(rows, ["none", "design"])
    assert bounded.with_lookaheads(rows, None) == rows
    looked = bounded.with_lookaheads(rows, [1, 3])
    assert set(looked) == {
        "penalty, initial auto, restart none",  # only the restarting rows are multiplied
        "penalty, initial auto, restart design, lookahead 1",
        "penalty, initial auto, restart design, lookahead 3",
        bounded.UNBOUNDED,
    }
    assert looked["penalty, initial auto, restart design, lookahead 1"]["restart_lookahead"] == 1
    assert bounded.with_shrink_powers({"penalty": {}}, [1.0, 2.0]) == {
        "penalty, shrink^1": {"shrink_power": 1.0},
        "penalty, shrink^2": {"shrink_power": 2.0},
    }
    assert bounded.with_shrink_below({"penalty": {}}, [-0.4, 0.0]) == {
        "penalty, shrink below -0.4": {"shrink_below": -0.4},
        "penalty, shrink below 0": {"shrink_below": 0.0},
    }
    (kink, zero, _, _), *_ = bounded.problems("kinks", 1, 7, "domain")  # translated like a family
    assert zero == 0.0 and np.all(np.abs(kink.minimum[0]) <= bounded.START)
    (f, f_star, box, x0), *_ = bounded.problems("peaks", 2, 7, "domain")
    assert not isinstance(f, bounded.Translated)  # every well kept inside the domain
    assert np.all(np.abs(f.centres) <= bounded.START) and np.all(np.abs(x0) <= bounded.START)
    assert f_star == f.minimum[1] and np.all(box == [[-bounded.DOMAIN, bounded.DOMAIN]] * 2)


def test_validate_labels_rows_by_variant_unless_two_experiments_share_one():
    from experiments.validate import variant_labels

    names = ["sweep_a-x", "sweep_a-y", "sweep_a-x", "plain", "cmp-recurrent_ppo", "cmp_wide-recurrent_ppo"]
    assert variant_labels(names) == {
        "sweep_a-x": "x",
        "sweep_a-y": "y",
        "plain": "plain",
        "cmp-recurrent_ppo": "cmp-recurrent_ppo",
        "cmp_wide-recurrent_ppo": "cmp_wide-recurrent_ppo",
    }


@pytest.mark.slow
def test_validate_scores_a_stable_baselines3_run_beside_ours(tmp_path):
    """make compare-rl's SB3 runs (a model.zip) are validated like our own runs, features env included."""
    from experiments import train_sb3, validate

    train_sb3.main(
        [
            "--config",
            "experiments/configs/sb3_small.yaml",
            "--set",
            f"runs_dir={tmp_path}",
            "name=cmp-recurrent_ppo",
            "algo=recurrent_ppo",
            "env.features=true",
            "env.move=best_sample",
        ]
    )
    out = validate.main([str(tmp_path), "--landscapes", "2", "--protocols", "deployment"])
    scores = out["deployment"]["recurrent_ppo"][0]
    assert set(scores) == set(validate.FAMILIES) and all(np.isfinite(v) for v in scores.values())
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no finished runs"):
        validate.main([str(tmp_path / "empty")])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("algo", "features", "angle_net"),
    [("recurrent_ppo", True, "agents/pretrained/angle_wide.pt"), ("ppo", False, None)],
)
def test_an_sb3_agent_is_an_optimiser_that_replays_its_environment_episode(
    tmp_path, algo, features, angle_net
):
    """RoverDescent.from_sb3: the model drives the same episode as in the env it was trained on
    (with the run's own angle network), in 2-D, and runs over pairs of coordinates in higher
    dimension."""
    import gymnasium as gym

    import rover_envs  # noqa: F401
    from agents import RoverDescent
    from experiments import heldout, train_sb3
    from rover_envs.landscapes import make

    train_sb3.main(
        [
            "--config",
            "experiments/configs/sb3_small.yaml",
            "--set",
            f"runs_dir={tmp_path}",
            f"algo={algo}",
            f"env.features={str(features).lower()}",
            "env.move=best_sample",
            f"angle_net={angle_net or 'null'}",
        ]
    )
    (run,) = tmp_path.iterdir()
    rover = RoverDescent.from_sb3(run)
    assert rover.policy.move == "best_sample"
    f = make("valley", rng=np.random.default_rng(3))
    x0, a0, d0 = np.array([3.0, -2.0]), 0.4, 0.05
    res = rover.minimize(f, x0, step_size=a0, resolution=d0, vectorized=True)
    act = heldout.sb3_policy(rover.policy.actor.model)
    horizon = rover.policy.horizon  # minimize's default: the run's training horizon
    assert horizon == 10 and len(res.history["x"]) == 11  # sb3_small.yaml's env.horizon
    env = gym.make(
        "RoverLandscape-v0", move="best_sample", features=features, angle_net_path=angle_net, horizon=horizon
    )
    obs, info = env.reset(seed=0, options={"landscape": f, "theta": x0, "step_size": a0, "resolution": d0})
    state, trajectory = None, [info["theta"]]
    for t in range(horizon):
        batched = {k: v[None] for k, v in obs.items()} if features else obs[None]
        action, state = act(batched, state, np.array([t == 0]))
        obs, _, _, _, info = env.step(action[0])
        trajectory.append(info["theta"])
    np.testing.assert_allclose(res.history["x"], np.array(trajectory), rtol=1e-12, atol=1e-15)
    high = rover.minimize(lambda X: np.sum(X**2, axis=1), np.ones(6), vectorized=True, max_iter=3, seed=0)
    assert high.fun <= 6.0 and high.nfev > 3 * 15 * 49
    with pytest.raises(FileNotFoundError, match="not a finished Stable-Baselines3 run"):
        RoverDescent.from_sb3(tmp_path)


@pytest.mark.slow
def test_make_evaluate_runs_end_to_end_on_one_problem(tmp_path):
    """The whole report, its diagnostics (duck-typed schedule policies included) and figures."""
    from experiments import evaluate

    evaluate.main(["--out", str(tmp_path), "--runs", "2", "--problems", "quadratic"])
    text = (tmp_path / "evaluation.md").read_text()
    assert "49 grid samples per iteration + 1 for the step's end point" in text
    assert "No divergence: the best value found is below the start's on 2 of 2 runs, every run" in text
    assert (tmp_path / "fig_schedules.png").is_file() and (tmp_path / "evaluation.csv").is_file()


def _baseline_csv(path: Path, value: float = 1.0) -> Path:
    from experiments.evaluation.runs import BASELINE_NAMES
    from rover_envs.landscapes import FUNCTIONS

    rows = ["problem,optimizer,median_regret_30_iterations,median_regret_equal_evals,hyper"]
    rows += [f"{n},{o},{value},{value},{{}}" for n in FUNCTIONS for o in BASELINE_NAMES]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_seed_spread_rejects_missing_weights_and_baselines(tmp_path):
    from experiments import seed_spread

    with pytest.raises(SystemExit, match="not a policy file"):
        seed_spread.weights_path(tmp_path)
    with pytest.raises(SystemExit, match="make evaluate"):
        seed_spread.baseline_medians(tmp_path / "missing.csv")
    partial = tmp_path / "partial.csv"
    partial.write_text("problem,optimizer,median_regret_30_iterations\nackley,gd,1.0\n")
    with pytest.raises(SystemExit, match="no tuned baseline rows"):
        seed_spread.baseline_medians(partial)


def test_seed_spread_scores_within_2x_basin_and_divergence_per_weights():
    from experiments.seed_spread import report

    rows = {
        "a": {
            "ackley": {"regrets": np.array([1e-9]), "median": 1e-9, "stuck": 0},
            "rastrigin": {"regrets": np.array([0.1, 2.0]), "median": 1.05, "stuck": 1},
        },
        "b": {
            "ackley": {"regrets": np.array([3.0]), "median": 3.0, "stuck": 0},
            "rastrigin": {"regrets": np.array([0.1, 0.2]), "median": 0.15, "stuck": 0},
        },
    }
    baselines = {"ackley": {"gd": 1.0, "cma_es": 1e-3}, "rastrigin": {"gd": 0.5}}
    lines = report(rows, baselines, runs=2)
    assert lines[2] == "| a | **1e-09** | 1.1 | 1 of 2 | 1 of 2 | 3 of 4 |"
    assert lines[3] == "| b | 3 | **0.15** | 1 of 2 | 2 of 2 | 4 of 4 |"
    assert "within 2x on 1-1 of 2 functions" in lines[-1] and "from 1-2 of 2" in lines[-1]


def test_seed_spread_reproduces_its_rows_from_the_same_weights(tmp_path, monkeypatch):
    from experiments import seed_spread

    csv_path = _baseline_csv(tmp_path / "evaluation.csv")
    args = ["agents/pretrained/rover_box.pt", "--baselines", str(csv_path), "--runs", "2"]
    first = seed_spread.main([*args, "--functions", "mccormick", "--out", str(tmp_path / "s.md")])
    second = seed_spread.main([*args, "--functions", "mccormick"])
    assert first == second and (tmp_path / "s.md").read_text().splitlines() == first
    assert first[2].startswith("| agents/pretrained/rover_box.pt | ") and first[2].endswith("2 of 2 |")
    seen = []
    monkeypatch.setattr(seed_spread, "score", lambda rover, *a: seen.append(rover) or {"mccormick": {}})
    monkeypatch.setattr(seed_spread, "report", lambda *a: [])
    seed_spread.main([*args, "--settings", "shipped", "--seek", "none"])
    seed_spread.main([*args, "--settings", "shipped"])
    assert (seen[0].bounded_policy or seen[0].policy).seek == "none"
    assert (seen[1].bounded_policy or seen[1].policy).seek == "grid"  # the settings' own
    with pytest.raises(SystemExit):
        seed_spread.main([*args, "--seek", "bowl"])


def _decide_results(base: list[float], cand: list[float], paired: bool) -> dict:
    """``experiments.bounded --json``'s layout: one family, two rows."""
    runs = [f"run{i}" for i in range(len(base))]
    return {
        "families": ["quadratic"],
        "statistics": {
            s: {"base": [{"quadratic": x} for x in base], "cand": [{"quadratic": x} for x in cand]}
            for s in ("median", "solved")
        },
        "runs": {"base": runs, "cand": runs if paired else [f"other{i}" for i in range(len(cand))]},
    }


def test_decide_computes_the_paired_and_unpaired_tolerances_of_the_rule():
    from experiments.decide import compare, verdict

    base, cand = [-15.0, -15.5, -14.0], [-15.2, -15.9, -14.1]
    paired = compare(_decide_results(base, cand, True), "median", "base", "cand", ("quadratic",), True)
    d = np.array(cand) - np.array(base)
    assert paired.change == pytest.approx(d.mean())
    assert paired.tol == pytest.approx(2 * d.std(ddof=1) / np.sqrt(3))
    assert paired.gain == pytest.approx(-d.mean())  # median: lower is better
    assert verdict(paired, target=True) == ("gain > tol", True)  # 0.233 against 0.115
    unpaired = compare(_decide_results(base, cand, False), "median", "base", "cand", ("quadratic",), False)
    se = np.sqrt(np.var(base, ddof=1) / 3 + np.var(cand, ddof=1) / 3)
    assert unpaired.tol == pytest.approx(2 * se)
    assert verdict(unpaired, target=True) == ("gain < tol", False)  # the seeds' spread swamps it
    solved = compare(
        _decide_results([0.9, 0.8, 0.85], [0.7, 0.6, 0.64], True),
        "solved",
        "base",
        "cand",
        ("quadratic",),
        True,
    )
    assert solved.gain < 0 and verdict(solved, target=False) == ("loss > tol", False)
    with pytest.raises(ValueError, match="same runs"):
        compare(_decide_results(base, cand, False), "median", "base", "cand", ("quadratic",), True)
    # two recipes on the same seeds: each seed's runs paired, whatever order the rows list them in
    recipes = _decide_results(base, cand[::-1], False)
    recipes["runs"] = {
        "base": [f"E__a__{i}__t" for i in range(3)],
        "cand": [f"E__b__{i}__t" for i in (2, 1, 0)],
    }
    by_seed = compare(recipes, "median", "base", "cand", ("quadratic",), True, by_seed=True)
    assert by_seed.change == pytest.approx(paired.change) and by_seed.tol == pytest.approx(paired.tol)
    recipes["runs"]["cand"] = [f"E__b__{i}__t" for i in (0, 1, 3)]
    with pytest.raises(ValueError, match="the same seeds"):
        compare(recipes, "median", "base", "cand", ("quadratic",), True, by_seed=True)
    with pytest.raises(ValueError, match="no row"):
        compare(_decide_results(base, cand, True), "median", "base", "nope", ("quadratic",), True)
    with pytest.raises(ValueError, match="families"):
        compare(_decide_results(base, cand, True), "median", "base", "cand", ("valley",), True)


def test_decide_reads_what_bounded_json_writes(tmp_path):
    from experiments import bounded, decide

    path = tmp_path / "d" / "r.json"
    args = ["--families", "quadratic", "--landscapes", "2", "--box", "domain", "--reference-seeds", "0", "1"]
    bounded.main(["--references", "grid_controller", "nelder_mead", *args, "--json", str(path)])
    record = json.loads(path.read_text())
    assert record["families"] == ["quadratic"] and record["command"].startswith(
        "python -m experiments.bounded"
    )
    assert record["runs"]["grid_controller [bounds]"] == ["grid_controller seed 0", "grid_controller seed 1"]
    rows = ["--baseline", "grid_controller [bounds]", "--candidate", "nelder_mead [bounds]"]
    out = decide.main(
        [str(path), *rows, "--unpaired", "--target", "solved:quadratic", "--out", str(tmp_path / "t.md")]
    )
    assert [c.statistic for c in out["comparisons"]] == ["solved", "median", "solved"]
    text = (tmp_path / "t.md").read_text()
    assert "target: solved" in text and ("**adopted**" in text) == out["adopted"]
    with pytest.raises(SystemExit):  # different runs cannot be paired
        decide.main([str(path), *rows, "--paired", "--target", "median"])
    with pytest.raises(SystemExit):
        decide.main([str(path), *rows, "--unpaired", "--target", "speed"])
    record["families"] = ["valley"]
    with pytest.raises(ValueError, match="different families"):
        decide.merge([json.loads(path.read_text()), record])
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(SystemExit):
        decide.main([str(tmp_path / "bad.json"), *rows, "--unpaired", "--target", "median"])


def test_an_ensemble_of_runs_is_written_by_its_cli_and_scored_paired_against_its_members(tmp_path):
    from agents.rover import RoverPolicy
    from experiments import bounded, decide, ensemble, train_ddpg

    runs = tmp_path / "runs"
    for seed in (0, 1):
        train_ddpg.main(
            [
                "--config",
                "experiments/configs/ddpg_small.yaml",
                "--set",
                f"runs_dir={runs}",
                "name=tiny",
                f"seed={seed}",
                "train.total_episodes=8",
            ]
        )
    out = ensemble.main([str(runs), "--output", str(tmp_path / "shipped" / "ensemble.pt")])
    assert RoverPolicy.load(out).meta["ensemble_seeds"] == [0, 1]
    assert json.loads(out.with_suffix(".json").read_text())["seeds"] == [0, 1]
    assert out.with_suffix(".yaml").is_file()
    with pytest.raises(SystemExit, match="at least two"):
        ensemble.main([str(next(runs.iterdir())), "--output", str(tmp_path / "one.pt")])
    with pytest.raises(SystemExit):
        ensemble.main([str(runs), "--output", str(tmp_path / "ensemble.pth")])
    values = tmp_path / "values.json"
    args = ["--landscapes", "2", "--families", "quadratic", "--box", "domain", "--boundary", "clip"]
    result = bounded.main([str(runs), *args, "--zoom-cap", "on", "--ensemble", "--json", str(values)])
    rows = {"tiny [clip]", "tiny [none]", "tiny [clip, ensemble of 2]", "tiny [none, ensemble of 2]"}
    assert set(result["median"]) == rows and all(len(v) == 2 for v in result["median"].values())
    recorded = json.loads(values.read_text())
    comparison = decide.compare(
        recorded, "solved", "tiny [clip]", "tiny [clip, ensemble of 2]", ("quadratic",), paired=True
    )
    assert comparison.paired and len(comparison.candidate) == 2  # the same runs: a paired comparison
    (sorted(p for p in runs.iterdir() if p.is_dir())[0] / "rover_policy.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(SystemExit, match="unreadable"):
        ensemble.main([str(runs), "--output", str(tmp_path / "broken.pt")])
    assert not (tmp_path / "broken.pt").exists()


def _seed_draw(draw: int, solved: dict[int, float], median: dict[int, float]) -> dict:
    """``experiments.bounded --json``'s layout for one draw: one row of seeds, one family."""
    seeds = list(solved)
    runs = [f"RoverLandscape-v0__guard-guard__{s}__2026120{draw}-000000" for s in seeds]
    row = "guard [penalty]"
    return {
        "draw": draw,
        "families": ["quadratic"],
        "statistics": {
            "solved": {row: [{"quadratic": solved[s]} for s in seeds]},
            "median": {row: [{"quadratic": median[s]} for s in seeds]},
        },
        "runs": {row: runs},
    }


def test_choose_seed_compares_each_seed_with_the_shipped_one_over_draws(tmp_path, capsys):
    from experiments import choose_seed

    # seed 2 solves 0.05 more on every draw, give or take 0.01; seed 1 gains less, and noisily
    solved = [{0: 0.90, 1: 0.93, 2: 0.95}, {0: 0.92, 1: 0.90, 2: 0.96}, {0: 0.91, 1: 0.95, 2: 0.97}]
    median = [{0: -15.0, 1: -15.0, 2: -15.1}, {0: -15.2, 1: -15.1, 2: -15.1}, {0: -15.1, 1: -15.3, 2: -15.2}]
    args = []
    for draw, (s, m) in enumerate(zip(solved, median), start=6):
        path = tmp_path / f"draw{draw}.json"
        record = _seed_draw(draw, s, m)
        record["statistics"]["solved"]["guard [penalty]"].reverse()  # the order of runs does not matter
        record["statistics"]["median"]["guard [penalty]"].reverse()
        record["runs"]["guard [penalty]"].reverse()
        path.write_text(json.dumps(record))
        args += ["--draw", str(path), "guard [penalty]"]
    out = choose_seed.main(args)
    assert out["candidate"] == 2 and out["adopted"]
    target = out["comparisons"][2][0][0]
    d = np.array([0.05, 0.04, 0.06])
    assert target.change == pytest.approx(d.mean()) and target.tol == pytest.approx(
        2 * d.std(ddof=1) / np.sqrt(3)
    )
    assert "seed 2" in capsys.readouterr().out
    # a guarded loss beyond its tol keeps the shipped seed
    worse = [{0: -15.0, 1: -15.0, 2: -14.0}, {0: -15.2, 1: -15.1, 2: -14.1}, {0: -15.1, 1: -15.3, 2: -14.1}]
    for draw, (s, m) in enumerate(zip(solved, worse), start=6):
        (tmp_path / f"draw{draw}.json").write_text(json.dumps(_seed_draw(draw, s, m)))
    assert not choose_seed.main(args)["adopted"]
    (tmp_path / "draw8.json").write_text(json.dumps(_seed_draw(8, {0: 0.9, 1: 0.9}, {0: -15.0, 1: -15.0})))
    with pytest.raises(SystemExit):  # a draw without seed 2
        choose_seed.main(args)
    with pytest.raises(SystemExit):  # one draw gives no tol
        choose_seed.main(args[:3])
    with pytest.raises(SystemExit):
        choose_seed.main([*args[:6], "--baseline-seed", "7"])


def test_bounded_finish_rows_the_only_filter_and_the_resolved_median(tmp_path):
    from experiments import bounded
    from experiments.decide import LOWER_IS_BETTER

    rows = bounded.with_ftols(bounded.with_finishes({"penalty": {}}, ["none", "model"]), [0.0, 1e-16])
    assert rows["penalty, finish model, ftol 1e-16"] == {"finish": "model", "ftol": 1e-16} and len(rows) == 4
    assert bounded.with_finishes(rows, None) == rows and bounded.with_ftols(rows, None) == rows
    kept = bounded.only(rows, ["finish none, ftol 0]", "finish model, ftol 1e-16]"])
    assert set(kept) == {"penalty, finish none, ftol 0", "penalty, finish model, ftol 1e-16"}
    assert bounded.only(rows, None) == rows
    assert bounded.with_restart_distances({"penalty": {}}, [0.1, 0.2]) == {
        "penalty, restart distance 0.1": {"restart_distance": 0.1},
        "penalty, restart distance 0.2": {"restart_distance": 0.2},
    }
    with pytest.raises(ValueError, match="keeps none of the rows"):
        bounded.only(rows, ["restart converged"])
    assert bounded.with_abandons({"penalty": {}, "none": {"bounds": None}}, ["none", "model"]) == {
        "penalty, abandon none": {"abandon": "none"},
        "penalty, abandon model": {"abandon": "model"},
        "none": {"bounds": None},  # the unbounded reference row has no design to restart from
    }
    assert bounded.with_descends({"penalty": {}, "none": {"bounds": None}}, [0, 3]) == {
        "penalty, descend 0": {"descend": 0},
        "penalty, descend 3": {"descend": 3},
        "none": {"bounds": None},  # no bounds, no zoom cap to stall against
    }
    with pytest.raises(SystemExit):
        bounded.main(["--references", "grid_controller", "--descend", "-1"])
    assert bounded.with_descend_ats({"penalty": {}, "none": {"bounds": None}}, [0.5, 0.25]) == {
        "penalty, descend at 0.5": {"descend_at": 0.5},
        "penalty, descend at 0.25": {"descend_at": 0.25},
        "none": {"bounds": None},
    }
    with pytest.raises(SystemExit):
        bounded.main(["--references", "grid_controller", "--descend-at", "1.5"])
    assert bounded.with_explores({"penalty": {}, "none": {"bounds": None}}, [0.0, 0.01]) == {
        "penalty, explore 0": {"explore": 0.0},
        "penalty, explore 0.01": {"explore": 0.01},
        "none": {"bounds": None},  # the unbounded reference row has no design to restart from
    }
    for bad in (["--explore", "-0.1"], ["--explore", "0.01"]):  # the second: references alone restart none
        with pytest.raises(SystemExit):
            bounded.main(["--references", "grid_controller", *bad])
    assert bounded.with_revisits({"penalty": {}, "none": {"bounds": None}}, [0, 1]) == {
        "penalty, revisit 0": {"revisit": 0},
        "penalty, revisit 1": {"revisit": 1},
        "none": {"bounds": None},  # the unbounded reference row has no design to restart from
    }
    for bad in (["--revisit", "-1"], ["--revisit", "1"]):  # the second: references alone restart none
        with pytest.raises(SystemExit):
            bounded.main(["--references", "grid_controller", *bad])
    assert bounded.with_seeks({"penalty": {}, "none": {"bounds": None}}, ["none", "model"]) == {
        "penalty, seek none": {"seek": "none"},
        "penalty, seek model": {"seek": "model"},
        "none": {"bounds": None},  # the unbounded reference row has no design to restart from
    }
    for bad in (["--seek", "bowl"], ["--seek", "model"]):  # the second: references alone restart none
        with pytest.raises(SystemExit):
            bounded.main(["--references", "grid_controller", *bad])
    # the float64 floor: the spread of f within three units in the last place of its minimiser
    bowl = bounded.Translated(lambda x: np.sum(np.atleast_2d(x) ** 2, axis=-1), np.zeros(2))
    bowl.f.minimum = (np.zeros(2), 0.0)
    assert bounded.resolution(bowl, 1.0, "domain") == 1e-16  # exact at its minimiser: the plain floor
    far = bounded.Translated(bowl.f, np.array([3.0, -2.0]))

    class Offset:  # a large f* rounds the values near the minimiser
        minimum = (far.minimum[0], 1e3)

        def __call__(self, x):
            return far(x) + 1e3

    floor = bounded.resolution(Offset(), 1.0, "domain")
    assert floor == 1e-16 or floor >= np.spacing(1e3)  # the spread is whole units in the last place
    cusp = bounded.Translated(lambda x: np.sqrt(np.linalg.norm(np.atleast_2d(x), axis=-1)), np.ones(2))
    cusp.f.minimum = (np.zeros(2), 0.0)
    assert bounded.resolution(cusp, 1.0, "domain") > 1e-9  # sqrt of a few 1e-16
    assert bounded.resolution(cusp, 1.0, "side") == 1e-16  # side boxes: not the landscape's minimum
    assert LOWER_IS_BETTER["resolved"]
    with pytest.raises(SystemExit):  # a distance without a restarting row would compare identical rows
        bounded.main(["--references", "grid_controller", "--restart-distance", "0.1", "0.2"])
    with pytest.raises(SystemExit):  # abandon hands iterations to restarts: refused where none runs
        bounded.main(["--references", "grid_controller", "--abandon", "none", "model"])
    args = ["--references", "grid_controller", "--families", "saddle", "--landscapes", "3", "--box", "domain"]
    out = bounded.main([*args, "--reference-seeds", "0", "--json", str(tmp_path / "v.json")])
    row = "grid_controller [bounds]"
    assert out["resolved"][row][0]["saddle"] >= out["median"][row][0]["saddle"]  # floored higher or equal
    assert "resolved" in (tmp_path / "v.json").read_text()


def test_failures_sorts_unsolved_runs_by_adjacency_and_restarts():
    from scipy.optimize import OptimizeResult

    from experiments import failures
    from experiments.bounded import problems

    (f, f_star, _, x0), *_ = problems("rippled", 1, 3, box="domain")
    lam, x_star = failures.wavelength(f), np.asarray(f.minimum[0], dtype=float)
    assert lam is not None and lam > 0
    neighbour = x_star + np.array([lam, 0.0])
    near = failures.outcome(
        OptimizeResult(
            x=neighbour, fun=float(f(neighbour[None])[0]), message="maximum number of iterations reached"
        ),
        f,
        f_star,
        x0,
    )
    assert not near["solved"] and near["adjacent"] and near["restarts"] == 0
    message = "the grid shows nothing lower to gain (ftol), then 2 restart(s) from the design; budget"
    hit = failures.outcome(OptimizeResult(x=x_star, fun=f_star, message=message), f, f_star, x0)
    assert hit["solved"] and hit["restarts"] == 2
    assert failures.wavelength(problems("peaks", 1, 3, box="domain")[0][0]) is None
    table = failures.mode_table({"rippled": [near, hit]})
    assert table[-1] == "| rippled | 2 | 1 | 1 | 1 | 1 | 0 |"
    assert near["sampled"] is None and failures.adjacent_table({"rippled": [near, hit]})[-1] == (
        "| rippled | 1 | 0 | 0 | – |"  # no samples given, no history, no jumps recorded
    )


def test_failure_oracles_move_to_the_candidate_nearest_the_minimiser():
    from experiments import failures
    from rover_envs.moves import MOVES, MoveInputs, best_sample

    # centre 1.0 at the origin; samples: lowest far away, one below the centre near the minimiser,
    # one above the centre nearest it; the step's end point evaluates to `step_value`
    points = np.array([[[4.0, 0.0], [0.0, 1.0], [0.0, 2.1]]])
    m = MoveInputs(
        np.zeros((1, 2)), np.array([[1.0, 0.0]]), np.array([1.0]), points, np.array([[0.0, 0.5, 3.0]]), None
    )
    minimiser = [np.array([0.0, 2.0])]
    expected = {  # (step fails, step succeeds)
        "fallback": ([0.0, 1.0], [1.0, 0.0]),
        "below": ([0.0, 1.0], [0.0, 1.0]),
        "uphill": ([0.0, 2.1], [0.0, 2.1]),
    }
    for mode, (failed, succeeded) in expected.items():
        with failures.oracle_moves(mode, minimiser):
            for step_value, want in ((2.0, failed), (0.9, succeeded)):
                calls = []

                def evaluate(x, v=step_value, calls=calls):
                    calls.append(x)
                    return np.array([v])

                move = MOVES["best_sample"](m, evaluate)
                np.testing.assert_array_equal(move.theta[0], want)
                assert len(calls) == 1 and move.accepted[0] == (
                    step_value < 1.0
                )  # one evaluation, as best_sample
    assert MOVES["best_sample"] is best_sample
    with pytest.raises(ValueError, match="unknown oracle"):
        with failures.oracle_moves("psychic", minimiser):
            pass


def test_failures_diagnoses_the_shipped_optimiser_reproducibly(tmp_path):
    from agents.rover import RoverDescent
    from experiments import failures

    rover = RoverDescent.pretrained()
    first = failures.diagnose(rover, "multiscale", 2, 7, 300)
    assert first == failures.diagnose(rover, "multiscale", 2, 7, 300)
    assert len(first) == 2 and all(r["wavelength"] is not None for r in first)
    assert all(0 <= r["sampled"] <= r["visited"] for r in first)  # iterates are samples too
    bands = failures.band_table({"multiscale": first})
    traced = failures.diagnose(rover, "multiscale", 2, 7, 300, jumps=True)
    plain = [{k: v for k, v in r.items() if k != "jumps"} for r in traced]
    assert plain == first  # recording changes nothing
    from rover_envs.moves import MOVES, best_sample

    assert MOVES["best_sample"] is best_sample  # the rule is restored
    jumps = [j for r in traced for j in r["jumps"]]
    assert all(isinstance(j["mistake"], bool) and j["gap"] >= 0 for j in jumps)
    assert failures.jump_table({"multiscale": traced})[-1].startswith(f"| multiscale | {len(jumps)} |")
    assert sum(int(line.split("|")[3]) for line in bands[2:]) == 2  # every run in one band
    with pytest.raises(SystemExit):
        failures.main([str(tmp_path)])  # not a run folder
