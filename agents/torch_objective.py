"""A PyTorch model's loss as a vectorised function of its flat parameter vector, for
``RoverDescent.minimize`` in high dimension (and any zeroth-order optimiser).

>>> import torch
>>> from torch import nn
>>> from agents.torch_objective import ModuleObjective
>>> net = nn.Sequential(nn.Linear(4, 10), nn.ReLU(), nn.Linear(10, 3))
>>> X, y = torch.randn(30, 4), torch.randint(0, 3, (30,))
>>> obj = ModuleObjective(net, nn.functional.cross_entropy, X, y)
>>> obj.dim, obj(obj.x0[None]).shape
(83, (1,))

``obj(P)`` takes ``(m, d)`` parameter vectors and returns ``(m,)`` losses in one batched forward
pass (``torch.func.functional_call`` under ``torch.func.vmap``, in chunks of ``chunk`` vectors;
for an ``nn.Sequential`` of ``nn.Linear`` layers and elementwise activations on 2-D inputs, a
direct batched form instead -- the first layer one matrix product for all vectors, the others
``baddbmm`` on feature-major activations -- the same losses 2-3x faster, ``obj.fast``;
:meth:`ModuleObjective.gradient` gives autograd's gradient for the derivative-based baselines),
so ``minimize(obj, obj.x0, vectorized=True, pairs=Blocks(obj.groups(), l))`` evaluates all the
grids of an iteration together. :meth:`ModuleObjective.groups` gives the coordinates of each
layer (a module's weight and bias together) for the paper's per-layer block strategy
(:class:`agents.pairs.Blocks`); :meth:`ModuleObjective.load` writes a vector back into the model.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, vmap

ELEMENTWISE = (
    nn.Tanh,
    nn.ReLU,
    nn.Sigmoid,
    nn.Identity,
    nn.LeakyReLU,
    nn.ELU,
    nn.GELU,
    nn.SiLU,
    nn.Softplus,
)
"""Activations the direct batched MLP form applies as they are (elementwise, any shape)."""
IN_PLACE = {nn.Tanh: torch.tanh_, nn.ReLU: torch.relu_, nn.Sigmoid: torch.sigmoid_}
"""Activations applied in place to the form's own intermediate activations (no copy)."""


def _is_plain_mlp(module: nn.Module, inputs: torch.Tensor) -> bool:
    """An ``nn.Sequential`` of ``nn.Linear`` (at least one) and ``ELEMENTWISE`` activations,
    every parameter trainable, on ``(samples, features)`` inputs."""
    if not isinstance(module, nn.Sequential) or inputs.ndim != 2:
        return False
    layers = list(module)
    if not any(isinstance(m, nn.Linear) for m in layers):
        return False
    if not all(isinstance(m, (nn.Linear, *ELEMENTWISE)) for m in layers):
        return False
    return all(p.requires_grad for p in module.parameters())


class ModuleObjective:
    """``loss_fn(module(inputs), targets)`` as a function of the module's flat parameters."""

    def __init__(
        self,
        module: nn.Module,
        loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
        inputs: torch.Tensor,
        targets: torch.Tensor,
        chunk: int = 4096,
    ):
        if chunk < 1:
            raise ValueError(f"chunk must be >= 1; got {chunk}")
        self.module, self.loss_fn, self.chunk = module, loss_fn, int(chunk)
        self.inputs, self.targets = inputs, targets
        self.names = [n for n, p in module.named_parameters() if p.requires_grad]
        if not self.names:
            raise ValueError("the module has no trainable parameters")
        params = dict(module.named_parameters())
        self.shapes = [params[n].shape for n in self.names]
        self.sizes = [int(np.prod(s)) for s in self.shapes]
        self.dtype = params[self.names[0]].dtype
        self.x0 = torch.cat([params[n].detach().reshape(-1) for n in self.names]).double().numpy()
        self.fast = _is_plain_mlp(module, inputs)
        """Whether ``obj(P)`` uses the direct batched MLP form (else ``vmap``)."""
        self._batched = self._mlp_losses if self.fast else vmap(self._loss)

    @property
    def dim(self) -> int:
        return len(self.x0)

    def _unflatten(self, flat: torch.Tensor) -> dict[str, torch.Tensor]:
        out, start = {}, 0
        for name, shape, size in zip(self.names, self.shapes, self.sizes):
            out[name] = flat[start : start + size].reshape(shape)
            start += size
        return out

    def _loss(self, flat: torch.Tensor) -> torch.Tensor:
        output = functional_call(self.module, self._unflatten(flat), (self.inputs,))
        return self.loss_fn(output, self.targets)

    def _mlp_losses(self, flat: torch.Tensor) -> torch.Tensor:
        """Losses of ``(B, d)`` parameter vectors of a plain MLP: activations kept feature-major
        ``(B, units, samples)``, so the first layer is one ``(B units, in) @ (in, samples)``
        product and the others one ``baddbmm`` each."""
        B, start = flat.shape[0], 0
        h = None
        for layer in self.module:
            if isinstance(layer, nn.Linear):
                out, inp = layer.out_features, layer.in_features
                W = flat[:, start : start + out * inp]
                start += out * inp
                bias = None
                if layer.bias is not None:
                    bias = flat[:, start : start + out, None]
                    start += out
                if h is None:
                    h = (W.reshape(B * out, inp) @ self.inputs.T).reshape(B, out, -1)
                    h = h.add_(bias) if bias is not None else h
                elif bias is not None:
                    h = torch.baddbmm(bias, W.reshape(B, out, inp), h)
                else:
                    h = torch.bmm(W.reshape(B, out, inp), h)
            elif h is None:  # an activation before the first layer: on (a view of) the inputs
                h = layer(self.inputs.T.expand(B, -1, -1))
            else:
                h = IN_PLACE[type(layer)](h) if type(layer) in IN_PLACE else layer(h)
        return vmap(self.loss_fn, in_dims=(0, None))(h.transpose(1, 2), self.targets)

    @torch.no_grad()
    def __call__(self, P) -> np.ndarray:
        P = np.asarray(P, dtype=float)
        if P.ndim == 1:
            P = P[None]
        if P.ndim != 2 or P.shape[1] != self.dim:
            raise ValueError(f"expected parameter vectors of shape (m, {self.dim}); got {P.shape}")
        flat = torch.as_tensor(P, dtype=self.dtype)
        losses = [self._batched(flat[k : k + self.chunk]) for k in range(0, len(flat), self.chunk)]
        return torch.cat(losses).double().numpy()

    def gradient(self, x) -> np.ndarray:
        """The loss's gradient at one flat vector (autograd; for the derivative-based baselines'
        ``jac=``)."""
        flat = torch.as_tensor(np.asarray(x, dtype=float).reshape(-1), dtype=self.dtype)
        return torch.func.grad(self._loss)(flat).double().numpy()

    def groups(self) -> list[np.ndarray]:
        """Coordinates per layer: the parameters of each submodule that owns some (a layer's
        weight and bias together), in parameter order."""
        owner = [name.rsplit(".", 1)[0] if "." in name else "" for name in self.names]
        groups: dict[str, list[int]] = {}
        start = 0
        for key, size in zip(owner, self.sizes):
            groups.setdefault(key, []).extend(range(start, start + size))
            start += size
        return [np.array(g) for g in groups.values()]

    @torch.no_grad()
    def load(self, x) -> nn.Module:
        """Write the flat vector ``x`` into the module's parameters; returns the module."""
        x = np.asarray(x, dtype=float).reshape(-1)
        if x.size != self.dim:
            raise ValueError(f"expected {self.dim} parameters; got {x.size}")
        params = dict(self.module.named_parameters())
        for name, value in self._unflatten(torch.as_tensor(x, dtype=self.dtype)).items():
            params[name].copy_(value)
        return self.module
