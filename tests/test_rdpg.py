"""Recurrent DDPG pieces, the policy bundle and the learned optimiser's API."""

import numpy as np
import pytest
import torch

from agents.rdpg import RDPG, EpisodeBuffer, RDPGConfig, RecurrentActor, RecurrentCritic
from agents.rover import RoverDescent, RoverPolicy
from rover_envs.angle_net import build_angle_net, load_angle_net
from rover_envs.landscapes import make

ARCH = {"grid_size": 7, "channels": (4, 8), "features": 16, "hidden": 16}


def _buffer(n=12, horizon=6, seed=0):
    rng = np.random.default_rng(seed)
    buf = EpisodeBuffer(capacity=8, horizon=horizon, grid_size=7)
    for k in range(n):
        steps = horizon if k % 3 else 3  # some episodes terminate early
        buf.add(rng.random((steps + 1, 1, 7, 7)).astype(np.float32), rng.uniform(-0.5, 1, (steps, 2)),
                -rng.random(steps), terminated=steps < horizon)  # fmt: skip
    return buf


def test_buffer_ring_padding_and_batch():
    buf = _buffer()
    assert buf.size == 8 and buf.next == 12 % 8
    batch = buf.sample(5, np.random.default_rng(0))
    assert batch.obs.shape == (5, 7, 1, 7, 7) and batch.actions.shape == (5, 6, 2)
    for m, t in zip(batch.mask, batch.terminals):
        steps = int(m.sum())
        assert steps in (3, 6) and torch.all(m[:steps] == 1)
        assert t.sum() == (1.0 if steps == 3 else 0.0) and (steps == 6 or t[steps - 1] == 1)
    with pytest.raises(ValueError, match="horizon"):
        buf.add(np.zeros((9, 1, 7, 7)), np.zeros((8, 2)), np.zeros(8), False)


def test_actor_range_and_explicit_hidden_state():
    torch.manual_seed(0)  # the test must not depend on which tests ran before
    actor = RecurrentActor(**ARCH)
    torch.nn.init.normal_(actor.head[-1].weight, std=10.0)
    obs = torch.rand(4, 1, 7, 7)
    hidden = actor.initial(4)
    a1, h1 = actor.act(obs, hidden, torch.ones(4, dtype=torch.bool))
    assert a1.shape == (4, 2) and a1.min() >= -0.5 and a1.max() <= 1.0
    a2, _ = actor.act(obs, h1, torch.zeros(4, dtype=torch.bool))
    a3, _ = actor.act(obs, h1, torch.ones(4, dtype=torch.bool))  # episode start forgets the past
    torch.testing.assert_close(a3, a1)
    assert not torch.allclose(a2, a1)
    # stepping equals the sequence pass
    seq_obs = torch.rand(2, 5, 1, 7, 7)
    prev = torch.zeros(2, 5, 2)
    h = actor.initial(2)
    acts = []
    for t in range(5):
        a, h = actor.act(seq_obs[:, t], h, torch.full((2,), t == 0))
        acts.append(a)
        if t < 4:
            prev[:, t + 1] = a
    torch.testing.assert_close(
        actor.forward_sequence(seq_obs, prev), torch.stack(acts, 1), atol=1e-5, rtol=1e-5
    )


def test_update_reduces_critic_loss_and_moves_targets_slowly():
    torch.manual_seed(0)
    rdpg = RDPG(RecurrentActor(**ARCH), RecurrentCritic(**ARCH), RDPGConfig(tau=0.05, critic_lr=3e-3))
    batch = _buffer().sample(8, np.random.default_rng(1))
    before = [p.clone() for p in rdpg.critic_target.parameters()]
    losses = [rdpg.update(batch)["losses/critic"] for _ in range(60)]
    assert losses[-1] < 0.5 * losses[0]
    moved = sum((p - b).abs().sum() for p, b in zip(rdpg.critic_target.parameters(), before))
    online = sum((p - b).abs().sum() for p, b in zip(rdpg.critic.parameters(), before))
    assert 0 < moved < online


def test_encoder_initialised_from_angle_net_and_frozen():
    torch.manual_seed(0)
    angle = build_angle_net(channels=(4, 8), hidden=16).eval()
    actor = RecurrentActor(**ARCH)
    actor.encoder.load_angle_convolutions(angle, freeze=True)
    assert not actor.encoder.conv[0].weight.requires_grad
    x = torch.rand(3, 1, 7, 7)
    torch.testing.assert_close(actor.encoder.conv[:4](x), angle[:6](x), atol=1e-5, rtol=1e-5)


def _policy(tmp_path):
    torch.manual_seed(0)
    angle, ckpt = load_angle_net()
    policy = RoverPolicy(angle, ckpt["arch"], RecurrentActor(**ARCH), ARCH, {"note": "test"})
    path = tmp_path / "policy.pt"
    policy.save(path)
    return path


def test_rover_descent_api_counts_budget_bounds(tmp_path):
    opt = RoverDescent.pretrained(_policy(tmp_path))
    f = make("rosenbrock")
    calls = []

    def fun(x):
        calls.append(1)
        return float(f(x))

    res = opt.minimize(fun, [-1.2, 1.0], bounds=f.bounds, max_iter=5)
    assert res.nfev == len(calls) == 5 * 49 + 1
    assert res.history["x"].shape == (6, 2) and res.history["step_size"].shape == (6,)
    assert res.fun == min(res.history["fun"]) and res.nit == 5
    calls.clear()
    res = opt.minimize(fun, [-1.2, 1.0], bounds=f.bounds, max_evals=120)
    assert len(calls) <= 120 and "budget" in res.message
    batched = opt.minimize(f, [-1.2, 1.0], bounds=f.bounds, max_iter=5, vectorized=True)
    np.testing.assert_allclose(
        batched.history["x"], opt.minimize(f, [-1.2, 1.0], bounds=f.bounds, max_iter=5).history["x"]
    )
    res = opt.minimize(f, [0.0, 0.0], step_size=0.01, resolution=1e-3, max_iter=2, vectorized=True)
    assert res.history["step_size"][0] == 0.01 and res.history["resolution"][0] == 1e-3


def test_rover_descent_errors(tmp_path):
    opt = RoverDescent.pretrained(_policy(tmp_path))
    with pytest.raises(ValueError, match="2-D"):
        opt.minimize(lambda x: 0.0, np.zeros(3))
    with pytest.raises(ValueError, match="finite values"):
        opt.minimize(lambda x: np.nan, [0.0, 0.0])
    with pytest.raises(FileNotFoundError, match="make train-ddpg"):
        RoverDescent.pretrained(tmp_path / "missing.pt")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"junk")
    with pytest.raises(ValueError, match="make train-ddpg"):
        RoverDescent.pretrained(bad)


@pytest.mark.slow
def test_train_ddpg_smoke_and_resume(tmp_path):
    from experiments import train_ddpg

    out = tmp_path / "policy.pt"
    metrics = train_ddpg.main(["--config", "experiments/configs/ddpg_small.yaml", "--set",
                               f"runs_dir={tmp_path / 'runs'}", f"output={out}"])  # fmt: skip
    summary = metrics["held_out_median_final_normalized_regret"]
    assert set(summary) == {"quadratic", "valley", "saddle", "plateau_cliff"}
    (run_dir,) = (tmp_path / "runs").iterdir()
    for name in ("config.yaml", "command.txt", "git.txt", "checkpoint.pt", "metrics.json"):
        assert (run_dir / name).is_file()
    assert metrics["episodes"] >= 40 and metrics["updates"] > 0
    res = RoverDescent.pretrained(out).minimize(make("beale"), [1.0, 1.0], max_iter=3, vectorized=True)
    assert res.nit == 3
    again = train_ddpg.main(["--resume", str(run_dir)])
    assert again["episodes"] == metrics["episodes"] and again["updates"] == metrics["updates"]


def test_direction_override_replaces_the_angle_net(tmp_path):
    policy = RoverPolicy.load(_policy(tmp_path))
    opt = RoverDescent(policy, direction=lambda obs, theta: np.array([1.0, 0.0]))
    res = opt.minimize(make("beale"), [0.0, 0.0], max_iter=1, step_size=0.5, resolution=0.1, vectorized=True)
    np.testing.assert_allclose(res.history["x"][1], [0.5, 0.0])
