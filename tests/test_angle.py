"""Angle network: data generation, loss, training smoke run, frozen provider in the env."""

import dataclasses
import pickle

import gymnasium as gym
import numpy as np
import pytest
import torch

import rover_envs  # noqa: F401
from agents.angle import (
    DataSpec,
    angle_errors_deg,
    contrastive_loss,
    generate,
    load_or_generate,
    save_checkpoint,
)
from rover_envs.angle_net import FrozenAngleNet, build_angle_net, load_angle_net

SMALL = DataSpec(n_functions=60, steps=3, chunk=25, seed=3)


def test_dataset_shapes_labels_and_determinism():
    a, b = generate(SMALL), generate(SMALL)
    n = len(a["grids"])
    assert 0.8 * 180 <= n <= 180  # few states are dropped
    assert a["grids"].shape == (n, 7, 7) and a["grids"].dtype == np.float32
    assert a["grids"].min() >= 0 and a["grids"].max() <= 1
    np.testing.assert_allclose(np.linalg.norm(a["positive"], axis=1), 1, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(a["negative"], axis=1), 1, atol=1e-6)
    assert np.all(np.sum(a["positive"] * a["negative"], axis=1) < 0)  # opposite half-space
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    other = generate(DataSpec(n_functions=60, steps=3, chunk=25, seed=4))
    assert not np.array_equal(other["grids"][:10], a["grids"][:10])
    assert set(np.unique(a["family"])) <= {0, 1, 2, 3}


def test_more_functions_extend_the_data_without_changing_the_first_chunk():
    spec = DataSpec(families=("quadratic", "valley"), n_functions=20, steps=2, chunk=20, seed=1)
    small, large = generate(spec), generate(dataclasses.replace(spec, n_functions=45))
    n = len(small["grids"])
    assert len(large["grids"]) > n
    for key in small:
        np.testing.assert_array_equal(large[key][:n], small[key])


def test_labels_match_the_teacher_on_quadratics():
    data = generate(DataSpec(families=("quadratic",), n_functions=20, steps=2, chunk=20, seed=1))
    # a bowl's best teacher is Newton: it points at the minimiser
    assert data["newton"].all() and len(data["newton"]) > 30


def test_cache_round_trip_and_corrupt_cache(tmp_path):
    data = load_or_generate(SMALL, tmp_path)
    files = list(tmp_path.glob("angle-*.npz"))
    assert len(files) == 1
    again = load_or_generate(SMALL, tmp_path)
    np.testing.assert_array_equal(data["grids"], again["grids"])
    files[0].write_bytes(b"not an npz")
    regenerated = load_or_generate(SMALL, tmp_path)
    np.testing.assert_array_equal(data["grids"], regenerated["grids"])


def test_loss_and_angle_error():
    a = torch.tensor([[1.0, 0.0]])
    neg = torch.tensor([[-1.0, 0.0]])
    good = contrastive_loss(torch.tensor([[20.0, 0.0]]), a, neg)
    bad = contrastive_loss(torch.tensor([[-20.0, 0.0]]), a, neg)
    assert good < 1e-6 < 10 < bad
    err = angle_errors_deg(np.array([[0.0, 3.0], [1.0, 1.0]]), np.array([[1.0, 0.0], [1.0, 0.0]]))
    np.testing.assert_allclose(err, [90.0, 45.0])


def test_net_shapes_and_grid_size_check():
    net = build_angle_net(grid_size=9, channels=(4, 8), hidden=16)
    assert net(torch.zeros(5, 1, 9, 9)).shape == (5, 2)
    with pytest.raises(ValueError, match="grid_size >= 5"):
        build_angle_net(grid_size=3)


def _tiny_weights(path, grid_size=7):
    torch.manual_seed(0)
    arch = {"grid_size": grid_size, "channels": (4, 8), "hidden": 16}
    save_checkpoint(path, build_angle_net(**arch), arch, {"note": "test"})
    return path


def test_missing_and_corrupt_weights_say_how_to_retrain(tmp_path):
    with pytest.raises(FileNotFoundError, match="make train-angle"):
        load_angle_net(tmp_path / "nope.pt")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"garbage")
    with pytest.raises(ValueError, match="make train-angle"):
        load_angle_net(bad)
    with pytest.raises(ValueError, match="make train-angle"):
        gym.make("RoverLandscape-v0", direction="angle_net", angle_net_path=str(bad))


def test_frozen_provider_in_single_and_vector_envs(tmp_path):
    path = _tiny_weights(tmp_path / "net.pt")
    provider = FrozenAngleNet.load(path)
    assert not any(p.requires_grad for p in provider.model.parameters())
    assert not provider.model.training
    kw = {"direction": "angle_net", "angle_net_path": str(path)}
    env = gym.make("RoverLandscape-v0", **kw)
    obs, _ = env.reset(seed=0)
    d = provider(obs[None])
    np.testing.assert_allclose(np.linalg.norm(d, axis=1), 1.0)
    _, _, _, _, info = env.step(np.zeros(2))
    np.testing.assert_allclose(
        np.linalg.norm(info["theta"] - env.unwrapped._trajectory[0]),
        env.unwrapped._engine.alpha[0],
        rtol=1e-9,
    )
    clone = pickle.loads(pickle.dumps(env))
    o1, _r1, *_ = env.step(np.array([0.1, 0.1]))
    o2, _r2, *_ = clone.step(np.array([0.1, 0.1]))
    np.testing.assert_array_equal(o1, o2)
    venv = gym.make_vec("RoverLandscape-v0", num_envs=3, vectorization_mode="vector_entry_point", **kw)
    singles = [gym.make("RoverLandscape-v0", **kw) for _ in range(3)]
    vo, _ = venv.reset(seed=5)
    so = [e.reset(seed=5 + i)[0] for i, e in enumerate(singles)]
    np.testing.assert_array_equal(vo, np.stack(so))
    for _ in range(4):
        vo, _vr, *_ = venv.step(np.zeros((3, 2)))
        outs = [e.step(np.zeros(2)) for e in singles]
        np.testing.assert_allclose(vo, np.stack([o[0] for o in outs]), atol=1e-5)
    with pytest.raises(ValueError, match="trained on 7x7"):
        gym.make("RoverLandscape-v0", grid_size=9, **kw)


@pytest.mark.slow
def test_train_angle_smoke_run_and_resume(tmp_path):
    from experiments import train_angle

    overrides = [f"runs_dir={tmp_path / 'runs'}", f"cache_dir={tmp_path / 'data'}"]
    args = ["--config", "experiments/configs/angle_small.yaml", "--set", *overrides]
    metrics = train_angle.main([*args, "--output", str(tmp_path / "w.pt")])
    errors = metrics["held_out_angle_error_deg"]
    assert set(errors) == {"quadratic", "valley", "saddle", "plateau_cliff"}
    (run_dir,) = (tmp_path / "runs").iterdir()
    for name in ("config.yaml", "command.txt", "git.txt", "checkpoint.pt", "metrics.json", "angle_net.pt"):
        assert (run_dir / name).is_file()
    assert list(run_dir.glob("events.out.tfevents.*"))
    model, ckpt = load_angle_net(tmp_path / "w.pt")
    assert ckpt["meta"]["held_out_angle_error_deg"] == errors
    # the reported errors are those of the shipped weights on the held-out set
    from agents.angle import mean_angle_error_by_family
    from experiments.config import load
    from experiments.schemas import AngleExperiment

    cfg = load(AngleExperiment, run_dir / "config.yaml")
    held_out = load_or_generate(train_angle.data_spec(cfg, held_out=True), tmp_path / "data")
    recomputed = mean_angle_error_by_family(model, held_out, tuple(errors))
    assert recomputed == pytest.approx(errors, abs=1e-4)
    assert (tmp_path / "w.yaml").is_file() and (tmp_path / "w.json").is_file()
    # resuming a finished run changes nothing and reports the same errors
    again = train_angle.main(["--resume", str(run_dir)])
    assert again["held_out_angle_error_deg"] == pytest.approx(errors)


def test_angle_zooms_compares_networks_on_the_same_points(tmp_path):
    from experiments import angle_zooms

    shipped = "agents/pretrained/angle_net.pt"
    out = tmp_path / "zooms.md"
    res = angle_zooms.main(
        ["--net", f"a={shipped}", "--net", f"b={shipped}", "--points", "4", "--out", str(out)]
    )
    assert res["a"] == res["b"]  # same network, same seed: same points, same errors
    for stat in ("median", "mean"):
        assert set(res["a"][stat]) == {*angle_zooms.VALIDATION, *angle_zooms.FUNCTIONS}
        assert all(0 <= v <= 180 for row in res["a"][stat].values() for v in row.values())
    text = out.read_text()
    assert "## Validation, median" in text and "| rastrigin | b |" in text
    with pytest.raises(SystemExit):
        angle_zooms.main(["--net", shipped])


def test_the_generated_training_families_give_data_and_validation_only_ones_are_refused():
    spec = DataSpec(families=("rippled", "ill_conditioned", "multiscale"), n_functions=30, steps=2, chunk=30)
    data = generate(spec)
    assert set(np.unique(data["family"])) == {0, 1, 2} and len(data["grids"]) >= 50  # 30 x 2, few dropped
    assert np.all(np.isfinite(data["positive"])) and np.allclose(np.linalg.norm(data["positive"], axis=1), 1)
    with pytest.raises(ValueError, match="funnels"):
        DataSpec(families=("quadratic", "funnels"))
