"""Recurrent DDPG pieces, the policy bundle and the learned optimiser's API."""

import numpy as np
import pytest
import torch

from agents.rdpg import RDPG, EpisodeBatch, EpisodeBuffer, RDPGConfig, RecurrentActor, RecurrentCritic
from agents.rover import RoverDescent, RoverPolicy
from rover_envs.angle_net import FrozenAngleNet, build_angle_net
from rover_envs.landscapes import make

ARCH = {"grid_size": 7, "channels": (4, 8), "features": 16, "hidden": 16}


def _buffer(n=12, horizon=6, seed=0):
    rng = np.random.default_rng(seed)
    buf = EpisodeBuffer(capacity=8, horizon=horizon, grid_size=7)
    for k in range(n):
        steps = horizon if k % 3 else 3  # some episodes terminate early
        buf.add(
            rng.random((steps + 1, 1, 7, 7)).astype(np.float32),
            rng.uniform(-0.5, 1, (steps, 2)),
            -rng.random(steps),
            terminated=steps < horizon,
        )
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


def test_an_actor_with_a_move_choice_outputs_it_in_its_own_range():
    torch.manual_seed(0)
    actor, critic = RecurrentActor(**ARCH, action_dim=3), RecurrentCritic(**ARCH, action_dim=3)
    torch.nn.init.zeros_(actor.head[-1].weight)
    with torch.no_grad():
        actor.head[-1].bias.copy_(torch.tensor([-9.0, 9.0, -9.0]))
    a, hidden = actor.act(torch.rand(4, 1, 7, 7), actor.initial(4), torch.ones(4, dtype=torch.bool))
    assert a.shape == (4, 3) and hidden.prev_action.shape == (4, 3)
    torch.testing.assert_close(a, torch.tensor([[-0.5, 1.0, -1.0]]).expand(4, 3))  # the choice reaches -1
    memory = critic.sequence(torch.rand(2, 4, 1, 7, 7), torch.zeros(2, 4, 3))
    assert critic.q(memory, torch.zeros(2, 4, 3)).shape == (2, 4)
    with pytest.raises(ValueError, match="action_dim must be 2"):
        RecurrentActor(**ARCH, action_dim=4)
    with pytest.raises(ValueError, match="actions of 3 entries"):
        EpisodeBuffer(4, 5, 7, action_dim=3).add(np.zeros((3, 1, 7, 7)), np.zeros((2, 2)), np.zeros(2), False)


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
    policy = RoverPolicy(FrozenAngleNet.load(), RecurrentActor(**ARCH), ARCH, {"note": "test"})
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
    assert res.fun <= min(res.history["fun"]) and res.fun == f(res.x) and res.nit == 5  # grid samples too
    assert not res.success and "iterations" in res.message
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
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        opt.minimize(lambda x: 0.0, np.zeros(1))
    with pytest.raises(ValueError, match="finite values"):
        opt.minimize(lambda x: np.nan, [0.0, 0.0])
    for bad in (0, 0.0, -1.0, np.inf, np.nan, "0.1"):
        with pytest.raises(ValueError, match="step_size must be a finite number > 0"):
            opt.minimize(lambda x: 0.0, [0.0, 0.0], step_size=bad)
    with pytest.raises(ValueError, match="resolution must be"):
        opt.minimize(lambda x: 0.0, [0.0, 0.0], resolution=0)
    with pytest.raises(ValueError, match="unknown option"):
        opt.minimize(lambda x: 0.0, [0.0, 0.0], learning_rate=0.1)
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
    metrics = train_ddpg.main(
        [
            "--config",
            "experiments/configs/ddpg_small.yaml",
            "--set",
            f"runs_dir={tmp_path / 'runs'}",
            "--output",
            str(out),
        ]
    )
    summary = metrics["held_out_median_final_normalized_regret"]
    assert set(summary) == {"quadratic", "valley", "saddle", "plateau_cliff"}
    (run_dir,) = (tmp_path / "runs").iterdir()
    for name in ("config.yaml", "command.txt", "git.txt", "checkpoint.pt", "metrics.json", "rover_policy.pt"):
        assert (run_dir / name).is_file()
    assert out.read_bytes() == (run_dir / "rover_policy.pt").read_bytes() and metrics["policy"] == str(out)
    assert out.with_suffix(".yaml").is_file() and out.with_suffix(".json").is_file()
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


# -- the TD target ---------------------------------------------------------------------------------------
def _constant(net, value: float) -> None:
    """Make a critic's Q the constant ``value`` (last layer: zero weights, bias ``value``)."""
    with torch.no_grad():
        net.head[-1].weight.zero_()
        net.head[-1].bias.fill_(value)


def _smooth_l1(x: float) -> float:
    return 0.5 * x * x if abs(x) < 1 else abs(x) - 0.5


def test_td_target_bootstraps_truncation_not_termination_and_ignores_padding():
    torch.manual_seed(0)
    rdpg = RDPG(RecurrentActor(**ARCH), RecurrentCritic(**ARCH), RDPGConfig(gamma=0.9, actor_delay=10))
    _constant(rdpg.critic, 0.5)  # Q(h_t, a_t)
    _constant(rdpg.critic_target, 2.0)  # Q'(h_{t+1}, mu'(h_{t+1}))
    T = 3
    rewards = torch.tensor([[-1.0, -0.5, -0.25], [-3.0, 123.0, 456.0]])  # episode 2: padding after step 1
    batch = EpisodeBatch(
        obs=torch.rand(2, T + 1, 1, 7, 7),
        actions=torch.rand(2, T, 2) - 0.5,
        rewards=rewards,
        terminals=torch.tensor([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]]),  # episode 1 truncated, 2 terminated
        mask=torch.tensor([[1.0, 1.0, 1.0], [1.0, 0.0, 0.0]]),
        labels=torch.zeros(2, T, 2),
        features=torch.zeros(2, T + 1, 0),
    )
    # targets: r + 0.9 * 2 on every step of the truncated episode (its last step too); r alone at the
    # terminal step; nothing from the padded steps
    targets = [-1.0 + 1.8, -0.5 + 1.8, -0.25 + 1.8, -3.0]
    expected = np.mean([_smooth_l1(0.5 - t) for t in targets])
    assert rdpg.update(batch)["losses/critic"] == pytest.approx(expected, rel=1e-6)


# -- SciPy parity and the environment's transition ------------------------------------------------------
class Scripted:
    """An actor in RecurrentActor's interface playing fixed actions (with a move choice)."""

    action_dim = 3

    def __init__(self, seed: int):
        rng = np.random.default_rng(seed)
        self.actions = np.c_[rng.uniform(-0.5, 0.6, (30, 2)), rng.choice([-1.0, 1.0], 30)]

    def initial(self, n):
        return 0

    def act(self, obs, t, start):
        return torch.tensor(self.actions[t : t + 1]), t + 1


@pytest.mark.parametrize("move", ["eq4", "keep", "best_sample", "actor"])
def test_the_optimiser_replays_the_environment_episode(move):
    """Same landscape, start, alpha0, delta0 and move rule: RoverDescent's iterates are the env's
    episode (the shipped actor; a scripted one with move choices for the actor's rule)."""
    import gymnasium as gym

    import rover_envs  # noqa: F401
    from experiments.heldout import actor_policy

    shipped = RoverDescent.pretrained("agents/pretrained/rover_eq4.pt")  # grid-only observation
    if move == "actor":
        scripted = Scripted(seed=1)
        rover = RoverDescent(RoverPolicy(shipped.policy.angle, scripted, ARCH))

        def act(obs, state, start):
            t = 0 if state is None else state
            return scripted.actions[t : t + 1], t + 1

    else:
        rover, act = shipped, actor_policy(shipped.policy.actor)
    f = make("valley", rng=np.random.default_rng(3))
    x0, a0, d0 = np.array([3.0, -2.0]), 0.4, 0.05
    res = rover.minimize(f, x0, step_size=a0, resolution=d0, vectorized=True, move=move)
    env = gym.make("RoverLandscape-v0", direction="angle_net", move=move)
    obs, info = env.reset(seed=0, options={"landscape": f, "theta": x0, "step_size": a0, "resolution": d0})
    state = None
    trajectory = [(info["theta"], info["step_size"], info["resolution"])]
    for t in range(30):
        action, state = act(obs[None], state, np.array([t == 0]))
        obs, _, _, _, info = env.step(action[0])
        trajectory.append((info["theta"], info["step_size"], info["resolution"]))
    np.testing.assert_array_equal(res.history["x"], np.array([x for x, _, _ in trajectory]))
    np.testing.assert_array_equal(res.history["step_size"], [a for _, a, _ in trajectory])
    np.testing.assert_array_equal(res.history["resolution"], [d for _, _, d in trajectory])
    # the same evaluations, except that the env observes a last grid where the optimiser scores the iterate
    assert res.nfev == info["n_evals"] - 49 + 1 == 30 * (49 + (move in ("keep", "best_sample"))) + 1


@pytest.mark.parametrize("move", ["eq4", "best_sample"])
def test_an_actor_with_history_features_replays_the_environment_episode(move):
    """features=True: the env's Dict observation and RoverDescent's own features agree, so an
    actor that reads them drives the same episode in both."""
    import gymnasium as gym

    import rover_envs  # noqa: F401
    from experiments.heldout import actor_policy
    from rover_envs.features import N_FEATURES

    torch.manual_seed(0)
    actor = RecurrentActor(**ARCH, n_features=N_FEATURES)
    with torch.no_grad():  # an untrained actor answers ~0.25 whatever it reads; make it listen
        actor.head[-1].weight.mul_(300.0)
        actor.lstm.weight_ih_l0[:, -N_FEATURES:].mul_(30.0)
    actor.eval()
    from rover_envs.angle_net import FrozenAngleNet

    angle = FrozenAngleNet.load(None)  # the environment's own direction (the shipped policy has its own)
    rover = RoverDescent(RoverPolicy(angle, actor, {**ARCH, "n_features": N_FEATURES}))
    act = actor_policy(actor)
    f = make("valley", rng=np.random.default_rng(3))
    x0, a0, d0 = np.array([3.0, -2.0]), 0.4, 0.05
    res = rover.minimize(f, x0, step_size=a0, resolution=d0, vectorized=True, move=move)
    env = gym.make("RoverLandscape-v0", move=move, features=True)
    obs, info = env.reset(seed=0, options={"landscape": f, "theta": x0, "step_size": a0, "resolution": d0})
    state, trajectory, actions = None, [info["theta"]], []
    for t in range(30):
        action, state = act({k: v[None] for k, v in obs.items()}, state, np.array([t == 0]))
        actions.append(action[0])
        obs, _, _, _, info = env.step(action[0])
        trajectory.append(info["theta"])
    assert np.ptp(np.array(actions)[:, 0]) > 0.03  # the actions vary with what the actor reads
    np.testing.assert_array_equal(res.history["x"], np.array(trajectory))


def test_a_5x5_policy_runs_its_training_horizon_and_replays_the_environment(tmp_path):
    """A policy trained on 5x5 grids over 12 steps: ``minimize`` defaults to its horizon (the
    progress feature t / T means the same as in training) and replays the env's episode."""
    import gymnasium as gym

    import rover_envs  # noqa: F401
    from experiments.heldout import actor_policy
    from rover_envs.features import N_FEATURES

    torch.manual_seed(1)
    arch5 = {**ARCH, "grid_size": 5, "n_features": N_FEATURES}
    angle_arch = {"grid_size": 5, "channels": (4, 8), "hidden": 8}
    net = build_angle_net(**angle_arch)
    torch.save({"arch": angle_arch, "state_dict": net.state_dict()}, tmp_path / "angle5.pt")
    actor = RecurrentActor(**arch5)
    with torch.no_grad():  # make the untrained actor's actions vary with what it reads
        actor.head[-1].weight.mul_(300.0)
    actor.eval()
    meta = {"config": {"env": {"grid_size": 5, "horizon": 12, "move": "best_sample", "features": True}}}
    policy = RoverPolicy(FrozenAngleNet.load(tmp_path / "angle5.pt"), actor, arch5, meta=meta)
    assert policy.horizon == 12 and policy.grid_size == 5
    f = make("valley", rng=np.random.default_rng(3))
    x0, a0, d0 = np.array([3.0, -2.0]), 0.4, 0.05
    res = RoverDescent(policy).minimize(f, x0, step_size=a0, resolution=d0, vectorized=True)
    assert res.nit == 12 and res.nfev == 12 * (25 + 1) + 1  # a grid and the step's end, + the last iterate
    env = gym.make(
        "RoverLandscape-v0",
        grid_size=5,
        horizon=12,
        move="best_sample",
        features=True,
        angle_net_path=str(tmp_path / "angle5.pt"),
    )
    obs, info = env.reset(seed=0, options={"landscape": f, "theta": x0, "step_size": a0, "resolution": d0})
    act, state, trajectory, truncated = actor_policy(actor), None, [info["theta"]], False
    for t in range(12):
        action, state = act({k: v[None] for k, v in obs.items()}, state, np.array([t == 0]))
        obs, _, _, truncated, info = env.step(action[0])
        trajectory.append(info["theta"])
    assert truncated  # the env's own horizon
    np.testing.assert_array_equal(res.history["x"], np.array(trajectory))
    assert RoverDescent(policy).minimize(f, x0, max_iter=3).nit == 3


def test_a_budget_beyond_the_horizon_buys_iterations_unless_max_iter_is_given():
    rover = RoverDescent.pretrained()
    f = make("rastrigin")
    x0 = [3.3, -2.1]
    one = {"finish": "none", "ftol": 0, "restart": "none"}  # one schedule to the end (no convergence test)
    long = rover.minimize(f, x0, max_evals=3001, bounds=f.bounds, vectorized=True, **one)
    assert long.nit > 30 and long.nfev <= 3001 and len(long.history["fun"]) == long.nit + 1
    capped = rover.minimize(
        f, x0, max_evals=3001, max_iter=30, bounds=f.bounds, vectorized=True, initial_samples=0
    )
    assert capped.nit == 30 and capped.nfev == 30 * 50 + 1
    spent = rover.minimize(f, x0, max_evals=3001, max_iter=30, bounds=f.bounds, vectorized=True, **one)
    assert spent.nit == 30 and spent.nfev == 3001  # the shipped default spends the rest on its design
    short = rover.minimize(f, x0, max_evals=1471, bounds=f.bounds, vectorized=True, **one)  # BBOB's budget
    assert short.nit == 29 and "cannot pay" in short.message  # as before: the horizon, cut by the budget


def _log_bowl(x):
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(np.log(x[0]) ** 2 + x[1] ** 2)


def test_nan_on_a_grid_keeps_the_run_going_and_never_is_the_best_point():
    res = RoverDescent.pretrained().minimize(_log_bowl, [0.5, 0.5])
    assert res.nit == 30 and np.isfinite(res.fun) and res.fun < 1e-3 and res.x[0] > 0
    assert res.nfev == 30 * 50 + 1 and res.fun == _log_bowl(res.x)  # best_sample: + the step's end


def test_nan_at_the_iterate_stops_with_the_best_finite_point(tmp_path):
    leftwards = RoverDescent(
        RoverPolicy.load(_policy(tmp_path)), direction=lambda obs, theta: np.array([-1.0, 0.0])
    )
    res = leftwards.minimize(_log_bowl, [0.5, 0.5], step_size=5.0, resolution=0.01, max_iter=10)
    assert res.nit == 1 and "not finite at the iterate" in res.message and not res.success
    assert np.isfinite(res.fun) and res.fun == _log_bowl(res.x) <= _log_bowl([0.5, 0.5])


def test_success_means_the_convergence_criterion_and_scipy_options_map(tmp_path):
    from scipy.optimize import minimize

    opt = RoverDescent.pretrained(_policy(tmp_path))
    res = opt.minimize(lambda x: float(np.sum(x**2)), [1.0, 1.0], step_size=1e-11, resolution=1e-11)
    assert res.success and res.nit == 0 and "xtol" in res.message
    seen = []
    res = minimize(
        make("beale"),
        [1.0, 1.0],
        method=opt.minimize,
        args=(),
        tol=1e-12,
        callback=lambda intermediate_result: seen.append(intermediate_result.nit),
        options={"maxiter": 4, "vectorized": True},
    )
    assert res.nit == 4 == len(seen) and not res.success and res.nfev == 4 * 49 + 1


def test_callback_stop_iteration_and_args(tmp_path):
    opt = RoverDescent.pretrained(_policy(tmp_path))

    def stop(intermediate_result):
        if intermediate_result.nit == 2:
            raise StopIteration

    res = opt.minimize(lambda x, c: float(np.sum((x - c) ** 2)), [0.0, 0.0], args=(3.0,), callback=stop)
    assert res.nit == 2 and res.message == "stopped by callback" and not res.success
    assert res.fun == float(np.sum((res.x - 3.0) ** 2))


def test_open_bounds_use_the_unbounded_rule_per_coordinate(tmp_path):
    opt = RoverDescent.pretrained(_policy(tmp_path))
    a_open, d_open = opt.initial_schedule(np.array([3.0, 4.0]), None)
    assert (a_open, d_open) == pytest.approx((0.055 * 5, 0.022 * 5))
    a_box, _ = opt.initial_schedule(np.zeros(2), np.array([[-1.0, 1.0], [-3.0, 3.0]]))
    assert a_box == pytest.approx(0.055 * 2)
    mixed = np.array([[-1.0, 1.0], [-np.inf, np.inf]])
    assert opt.initial_schedule(np.array([3.0, 4.0]), mixed)[0] == pytest.approx(0.055 * (1 + 5) / 2)
    res = opt.minimize(lambda x: float(np.sum(x**2)), [3.0, 4.0], bounds=[[-1, 1], [None, None]], max_iter=3)
    assert res.history["step_size"][0] == pytest.approx(0.055 * 3) and np.all(
        np.abs(res.history["x"][:, 0]) <= 1
    )


def test_a_budget_below_one_grid_evaluates_x0_and_says_why(tmp_path):
    opt = RoverDescent.pretrained(_policy(tmp_path))
    res = opt.minimize(lambda x: float(np.sum(x**2)), [1.0, 2.0], max_evals=10)
    assert res.nfev == 1 and res.fun == 5.0 and res.x.tolist() == [1.0, 2.0] and res.nit == 0
    assert "cannot pay for an iteration (49)" in res.message and "only x0" in res.message
    res = opt.minimize(lambda x: float(np.sum(x**2)), [1.0, 2.0], max_evals=100)  # a third grid does not fit
    assert res.nfev == 2 * 49 + 1 and res.nit == 2 and "cannot pay" in res.message


@pytest.mark.slow
def test_an_experiment_never_replaces_the_shipped_policy_unless_asked(tmp_path):
    """The default config with overrides (no --output) trains into its run folder only."""
    import hashlib

    from agents.rover import default_policy_path
    from experiments import train_ddpg

    shipped = default_policy_path()
    before = hashlib.sha256(shipped.read_bytes()).hexdigest()
    small = [
        "train.total_episodes=16",
        "train.num_envs=8",
        "train.learning_starts=8",
        "train.batch_episodes=4",
        "train.buffer_episodes=32",
        "env.horizon=5",
        "warm_start.rounds=0",
        "eval.landscapes_per_family=2",
        "agent.hidden=8",
        "agent.features=8",
    ]
    metrics = train_ddpg.main(["--set", f"runs_dir={tmp_path}", *small])  # the default config: ddpg.yaml
    (run_dir,) = tmp_path.iterdir()
    assert metrics["policy"] == str(run_dir / "rover_policy.pt") and (run_dir / "rover_policy.pt").is_file()
    assert hashlib.sha256(shipped.read_bytes()).hexdigest() == before


def test_train_ddpg_uses_the_configured_angle_net_for_direction_encoder_and_policy(tmp_path):
    """agent.angle_net: another network's weights reach the env's direction, the encoders'
    convolutions and the saved policy (so RoverDescent needs no path)."""
    from agents.rover import RoverPolicy
    from experiments import train_ddpg
    from rover_envs.angle_net import default_weights_path

    ckpt = torch.load(default_weights_path(), map_location="cpu", weights_only=True)
    ckpt["state_dict"] = {k: v * 1.5 if v.is_floating_point() else v for k, v in ckpt["state_dict"].items()}
    other = tmp_path / "other_angle.pt"
    torch.save(ckpt, other)
    small = [
        "train.total_episodes=8",
        "train.num_envs=8",
        "train.learning_starts=8",
        "train.batch_episodes=4",
        "env.horizon=3",
        "warm_start.rounds=0",
        "eval.landscapes_per_family=2",
        "agent.hidden=8",
        "agent.features=8",
        f"agent.angle_net={other}",
        "agent.init_from_angle_net=true",
    ]
    cfg_path = "experiments/configs/ddpg_small.yaml"
    train_ddpg.main(["--config", cfg_path, "--set", f"runs_dir={tmp_path / 'runs'}", *small])
    (run_dir,) = (tmp_path / "runs").iterdir()
    policy = RoverPolicy.load(run_dir / "rover_policy.pt")
    for key, value in policy.angle.model.state_dict().items():
        torch.testing.assert_close(value, ckpt["state_dict"][key])
    from experiments.config import load
    from experiments.schemas import DDPGExperiment

    kwargs = train_ddpg.env_kwargs(load(DDPGExperiment, run_dir / "config.yaml"))
    assert kwargs["angle_net_path"] == str(other)


def _members(n: int = 2) -> list:
    out = []
    for seed in range(n):
        torch.manual_seed(seed)
        actor = RecurrentActor(**ARCH)
        with torch.no_grad():  # an untrained actor answers ~0.25 whatever it reads; make them differ
            actor.head[-1].weight.mul_(300.0)
        out.append(actor.eval())
    return out


def test_actor_ensemble_acts_with_the_mean_of_its_members_each_told_that_mean():
    from agents.rdpg import ActorEnsemble, Hidden

    a, b = _members()
    ensemble = ActorEnsemble([a, b])
    assert ensemble.hidden_size == 2 * ARCH["hidden"] and ensemble.n_features == 0
    obs = torch.rand(5, 3, 1, 7, 7)  # 5 steps of 3 streams
    hidden, ha, hb = ensemble.initial(3), a.initial(3), b.initial(3)
    start = torch.ones(3, dtype=torch.bool)
    with torch.no_grad():
        for t in range(5):
            action, hidden = ensemble.act(obs[t], hidden, start)
            xa, sa = a.act(obs[t], ha, start)
            xb, sb = b.act(obs[t], hb, start)
            assert not torch.allclose(xa, xb)  # the members disagree: the mean is not either
            torch.testing.assert_close(action, (xa + xb) / 2)
            torch.testing.assert_close(hidden.prev_action, action)
            ha, hb = Hidden(sa.h, sa.c, action), Hidden(sb.h, sb.c, action)  # told the executed action
            start = torch.tensor([False, False, t == 2])  # one stream restarts mid-way
    assert hidden.h.shape == (1, 3, 2 * ARCH["hidden"])
    with pytest.raises(ValueError, match="at least one"):
        ActorEnsemble([])
    with pytest.raises(ValueError, match="n_features"):
        ActorEnsemble([a, RecurrentActor(**ARCH, n_features=3)])


def test_an_ensemble_of_copies_optimises_exactly_as_its_member_and_round_trips(tmp_path):
    from agents.rdpg import ActorEnsemble

    path = _policy(tmp_path)
    single = RoverPolicy.load(path)
    ensemble = RoverPolicy.ensemble([single, RoverPolicy.load(path)], ["a", "b"])
    ensemble.save(tmp_path / "ensemble.pt")
    loaded = RoverPolicy.load(tmp_path / "ensemble.pt")
    assert isinstance(loaded.actor, ActorEnsemble) and loaded.meta["ensemble"] == ["a", "b"]
    f = make("rosenbrock")
    for x0, kw in (([-1.2, 1.0], {"bounds": f.bounds}), (np.full(4, 1.5), {"seed": 0})):  # 2-D; pairs
        fun = (lambda x: f(np.atleast_2d(x))) if len(x0) == 2 else (lambda x: float(np.sum(np.square(x))))
        one = RoverDescent(single).minimize(fun, x0, max_iter=6, **kw)
        both = RoverDescent(loaded).minimize(fun, x0, max_iter=6, **kw)
        np.testing.assert_array_equal(one.history["x"], both.history["x"])  # (a + a) / 2 == a exactly
        np.testing.assert_array_equal(one.history["step_size"], both.history["step_size"])


def test_an_ensemble_refuses_policies_of_different_recipes(tmp_path):
    path = _policy(tmp_path)
    first, other = RoverPolicy.load(path), RoverPolicy.load(path)
    with pytest.raises(ValueError, match="at least two"):
        RoverPolicy.ensemble([first])
    other.meta = {"config": {"env": {"guard": "border"}}}
    with pytest.raises(ValueError, match=r"b acts under other settings than a \(guard\)"):
        RoverPolicy.ensemble([first, other], ["a", "b"])
    other = RoverPolicy.load(path)
    next(iter(other.angle.model.state_dict().values())).add_(1.0)
    with pytest.raises(ValueError, match="another angle network"):
        RoverPolicy.ensemble([first, other])
