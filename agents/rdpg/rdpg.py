"""Recurrent deterministic policy gradient (Heess et al., 2015) on whole episodes.

Critic: the LSTM reads the history ``(o_0, a_{-1}=0), (o_1, a_0), ...``; ``Q_t = Q(h_t, a_t)``
is regressed on ``r_t + gamma (1 - terminal_t) Q'(h'_{t+1}, mu'(h''_{t+1}))`` with target
networks, back-propagating through time over the episode. Truncation at the horizon is not a
terminal: the last step bootstraps from the final observation, as the issue asks. Actor: the
actor's own LSTM reads the same history; it ascends ``Q(h_t, mu(h_t))`` with the critic's
history features held fixed. Targets follow by Polyak averaging (``tau``).

Two options serve an actor warm-started from a teacher (:mod:`agents.rdpg.warmstart`):
``actor_delay`` trains the critic alone for that many updates first, and ``bc_weight > 0``
adds TD3+BC's regulariser (Fujimoto & Gu, 2021): the actor minimises
``-Q / mean|Q| + bc_weight * ||mu(h_t) - teacher_t||^2``, staying near the teacher where the
critic does not clearly prefer otherwise.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from agents.rdpg.buffer import EpisodeBatch
from agents.rdpg.networks import RecurrentActor, RecurrentCritic


@dataclass
class RDPGConfig:
    """Recurrent DPG's hyper-parameters."""

    gamma: float = 1.0
    """Discount factor (the paper uses 1 over its 30-step episodes)."""
    tau: float = 0.01
    """Polyak rate of the target networks."""
    actor_lr: float = 3e-4
    """Adam learning rate of the actor."""
    critic_lr: float = 1e-3
    """Adam learning rate of the critic."""
    grad_clip: float = 1.0
    """Gradient-norm clip of both networks."""
    actor_delay: int = 0
    """Critic-only updates before the actor starts learning (for a warm-started actor)."""
    bc_weight: float = 0.0
    """TD3+BC: weight of the squared distance to the teacher's labels (0: pure RDPG)."""

    def __post_init__(self):
        if not 0.0 <= self.gamma <= 1.0:
            raise ValueError(f"rdpg.gamma must be in [0, 1]; got {self.gamma}")
        if not 0.0 < self.tau <= 1.0:
            raise ValueError(f"rdpg.tau must be in (0, 1]; got {self.tau}")
        for name in ("actor_lr", "critic_lr", "grad_clip"):
            if not getattr(self, name) > 0:
                raise ValueError(f"rdpg.{name} must be > 0; got {getattr(self, name)}")
        if self.actor_delay < 0 or not self.bc_weight >= 0:
            raise ValueError("rdpg.actor_delay and rdpg.bc_weight must be >= 0")


def _prev_actions(actions: torch.Tensor) -> torch.Tensor:
    """``a_{t-1}`` for ``t = 0..T`` (zeros at t = 0): ``(B, T, 2) -> (B, T + 1, 2)``."""
    return torch.cat([torch.zeros_like(actions[:, :1]), actions], dim=1)


class RDPG:
    """Owns the actor, critic, their targets and optimisers; ``update(batch) -> metrics``."""

    def __init__(self, actor: RecurrentActor, critic: RecurrentCritic, cfg: RDPGConfig):
        self.actor, self.critic, self.cfg = actor, critic, cfg
        self.actor_target = copy.deepcopy(actor).requires_grad_(False)
        self.critic_target = copy.deepcopy(critic).requires_grad_(False)
        self.actor_opt = torch.optim.Adam([p for p in actor.parameters() if p.requires_grad], lr=cfg.actor_lr)
        self.critic_opt = torch.optim.Adam(
            [p for p in critic.parameters() if p.requires_grad], lr=cfg.critic_lr
        )
        self.updates = 0

    def update(self, batch: EpisodeBatch) -> dict[str, float]:
        cfg = self.cfg
        device = next(self.critic.parameters()).device
        batch = EpisodeBatch(*(t.to(device, non_blocking=True) for t in batch))
        prev = _prev_actions(batch.actions)  # (B, T + 1, 2)
        mask = batch.mask
        denom = mask.sum().clamp(min=1.0)
        with torch.no_grad():
            next_actions = self.actor_target.forward_sequence(batch.obs, prev, batch.features)[:, 1:]
            target_memory = self.critic_target.sequence(batch.obs, prev, batch.features)[:, 1:]
            q_next = self.critic_target.q(target_memory, next_actions)
            target = batch.rewards + cfg.gamma * (1.0 - batch.terminals) * q_next
        memory = self.critic.sequence(batch.obs, prev, batch.features)  # (B, T + 1, H)
        q = self.critic.q(memory[:, :-1], batch.actions)
        critic_loss = (F.smooth_l1_loss(q, target, reduction="none") * mask).sum() / denom
        self.critic_opt.zero_grad(set_to_none=True)
        critic_loss.backward()
        torch.nn.utils.clip_grad_norm_(self.critic.parameters(), cfg.grad_clip)
        self.critic_opt.step()

        self.updates += 1
        out = {"losses/critic": critic_loss.item(), "losses/q_mean": (q * mask).sum().item() / denom.item()}
        if self.updates > cfg.actor_delay:  # a warm-started actor waits for a trained critic
            policy_actions = self.actor.forward_sequence(
                batch.obs[:, :-1], prev[:, :-1], batch.features[:, :-1]
            )
            # the critic's gradients from this loss are discarded by its next zero_grad
            q_pi = self.critic.q(memory[:, :-1].detach(), policy_actions)
            actor_loss = -(q_pi * mask).sum() / denom
            if cfg.bc_weight > 0:  # TD3+BC (Fujimoto & Gu, 2021): Q in units of its mean |Q|
                scale = ((q_pi.abs() * mask).sum() / denom).detach().clamp(min=1e-6)
                bc = (((policy_actions - batch.labels) ** 2).sum(-1) * mask).sum() / denom
                actor_loss = actor_loss / scale + cfg.bc_weight * bc
                out["losses/actor_bc"] = bc.item()
            self.actor_opt.zero_grad(set_to_none=True)
            actor_loss.backward()
            torch.nn.utils.clip_grad_norm_(self.actor.parameters(), cfg.grad_clip)
            self.actor_opt.step()
            out["losses/actor"] = actor_loss.item()
        self._soft_update()
        return out

    @torch.no_grad()
    def _soft_update(self) -> None:
        for net, target in ((self.actor, self.actor_target), (self.critic, self.critic_target)):
            for p, tp in zip(net.parameters(), target.parameters()):
                tp.mul_(1.0 - self.cfg.tau).add_(p, alpha=self.cfg.tau)

    def state_dict(self) -> dict:
        return {
            "actor": self.actor.state_dict(),
            "critic": self.critic.state_dict(),
            "actor_target": self.actor_target.state_dict(),
            "critic_target": self.critic_target.state_dict(),
            "actor_opt": self.actor_opt.state_dict(),
            "critic_opt": self.critic_opt.state_dict(),
            "updates": self.updates,
        }

    def sync_targets(self) -> None:
        """Copy the online networks into their targets (after a warm start)."""
        self.actor_target.load_state_dict(self.actor.state_dict())
        self.critic_target.load_state_dict(self.critic.state_dict())

    def load_state_dict(self, state: dict) -> None:
        self.actor.load_state_dict(state["actor"])
        self.critic.load_state_dict(state["critic"])
        self.actor_target.load_state_dict(state["actor_target"])
        self.critic_target.load_state_dict(state["critic_target"])
        self.actor_opt.load_state_dict(state["actor_opt"])
        self.critic_opt.load_state_dict(state["critic_opt"])
        self.updates = int(state.get("updates", 0))
