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
:meth:`ModuleObjective.gradient` gives autograd's gradient for the derivative-based baselines).
When such an MLP starts with a Linear layer and every row of ``P`` is one vector changed in at
most ``SPARSE_MAX`` coordinates -- the pair grids of an iteration of Rover Descent in high
dimension -- ``obj(P)`` takes a sparse path (``obj.sparse``): the activations at that vector
once, then per row only what its few changed weights touch (a rank-K correction of the next
layer, dense from there on), the same losses to rounding; tanh goes through NumPy's SIMD tanh
and a plain cross-entropy through one class-major log-softmax (both several times faster than
the generic PyTorch calls on this project's CPU). Together 2x faster than the direct form on
the Iris network's grids (``make bench``),
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


def _tanh_(h: torch.Tensor) -> torch.Tensor:
    """``tanh`` in place; on a contiguous CPU tensor through NumPy's SIMD tanh (on this
    project's CPU 10x faster than ``torch.tanh_``, the same values to rounding)."""
    if h.device.type == "cpu" and h.is_contiguous() and h.dtype in (torch.float32, torch.float64):
        a = h.numpy()
        np.tanh(a, out=a)
        return h
    return torch.tanh_(h)


IN_PLACE = {nn.Tanh: _tanh_, nn.ReLU: torch.relu_, nn.Sigmoid: torch.sigmoid_}
"""Activations applied in place to the form's own intermediate activations (no copy)."""


def _activate(layer: nn.Module, h: torch.Tensor) -> torch.Tensor:
    """An elementwise activation on the forms' own activations ``h``: in place where it can be."""
    return IN_PLACE[type(layer)](h) if type(layer) in IN_PLACE else layer(h)


def _plain_cross_entropy(loss_fn) -> bool:
    """``F.cross_entropy`` or an ``nn.CrossEntropyLoss`` with its defaults (mean over samples, no
    class weights, no label smoothing)."""
    if loss_fn is nn.functional.cross_entropy:
        return True
    return (
        isinstance(loss_fn, nn.CrossEntropyLoss)
        and loss_fn.weight is None
        and loss_fn.reduction == "mean"
        and loss_fn.label_smoothing == 0.0
    )


def batched_loss(loss_fn, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """``loss_fn(outputs[b].T, targets)`` for every ``b`` of class-major ``(B, classes,
    samples)`` outputs: a plain cross-entropy with class-index targets as one log-softmax over
    the classes axis (``vmap`` over a last axis of a few classes is several times slower), any
    other loss under ``vmap`` on ``(samples, classes)`` slices."""
    if (
        _plain_cross_entropy(loss_fn)
        and targets.ndim == 1
        and not targets.is_floating_point()
        and bool((targets >= 0).all())
    ):
        B, _, S = outputs.shape
        return nn.functional.cross_entropy(outputs, targets.expand(B, S), reduction="none").mean(dim=1)
    return vmap(loss_fn, in_dims=(0, None))(outputs.transpose(1, 2), targets)


SPARSE_MAX = 8
"""A batch whose vectors each differ from a common reference in at most this many coordinates
(the grids of Rover Descent over pairs: two) takes the sparse path of a plain MLP."""


def sparse_deviations(P: np.ndarray, max_nonzero: int = SPARSE_MAX):
    """``(reference, columns, deltas, valid)`` when every row of ``P`` is a common reference
    vector changed in at most ``max_nonzero`` coordinates, else None. The reference takes, per
    coordinate, the value of the majority of rows (the iterate, for Rover Descent's grids):
    ``P[b] = reference`` except ``P[b, columns[b, k]] = reference[columns[b, k]] + deltas[b, k]``
    where ``valid[b, k]`` (rows with fewer changes are padded)."""
    B = P.shape[0]
    if B < 2:
        return None
    ref = P[0].copy()
    nonzero = P != ref
    minority = nonzero.sum(axis=0) * 2 >= B
    if minority.any():
        ref[minority] = np.median(P[:, minority], axis=0)
        nonzero[:, minority] = P[:, minority] != ref[minority]
    counts = nonzero.sum(axis=1)
    K = int(counts.max())
    if K > max_nonzero:
        return None
    rows, cols = np.divmod(np.flatnonzero(nonzero), P.shape[1])
    pos = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
    K = max(K, 1)
    columns, deltas, valid = np.zeros((B, K), np.int64), np.zeros((B, K)), np.zeros((B, K), bool)
    columns[rows, pos], deltas[rows, pos], valid[rows, pos] = cols, P[rows, cols] - ref[cols], True
    return ref, columns, deltas, valid


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


class _SparseMLP:
    """Losses of a plain MLP (``_is_plain_mlp``, a Linear first) at a reference vector changed
    in a few coordinates per row: the activations at the reference are computed once; a row
    whose first changed parameter lies in layer ``l`` starts from the reference's input to
    ``l``, where its change touches at most K units ("rows" state: K rows of the layer's
    output), and the next layer adds the rank-K correction of those units; from there on the
    activations are dense, one shared-weight matrix product per layer plus a scatter of the
    row's own changed weights. Exact up to floating-point rounding."""

    def __init__(self, module: nn.Sequential, sizes: list[int]):
        self.stages: list[tuple[nn.Linear, list[nn.Module]]] = []
        for m in module:
            if isinstance(m, nn.Linear):
                self.stages.append((m, []))
            else:
                self.stages[-1][1].append(m)
        layer, row, col = [], [], []
        for index, (lin, _) in enumerate(self.stages):
            out, inp = lin.out_features, lin.in_features
            layer += [index] * (out * inp)
            row += np.repeat(np.arange(out), inp).tolist()
            col += np.tile(np.arange(inp), out).tolist()
            if lin.bias is not None:
                layer += [index] * out
                row += list(range(out))
                col += [-1] * out
        assert len(layer) == sum(sizes)
        self.layer, self.row, self.col = (torch.tensor(v, dtype=torch.int64) for v in (layer, row, col))

    @staticmethod
    def _activate(acts: list[nn.Module], h: torch.Tensor) -> torch.Tensor:
        for a in acts:
            h = _activate(a, h)
        return h

    def _weights(self, ref: torch.Tensor):
        out, start = [], 0
        for lin, _ in self.stages:
            o, i = lin.out_features, lin.in_features
            W = ref[start : start + o * i].reshape(o, i)
            start += o * i
            b = None
            if lin.bias is not None:
                b, start = ref[start : start + o], start + o
            out.append((W, b))
        return out

    def losses(self, obj, ref, columns, deltas, valid) -> torch.Tensor:
        weights = self._weights(ref)
        # per stage, at the reference, unit-major (units, samples): the input with a row of ones
        # appended (what a bias entry multiplies), the pre- and the post-activation
        ins, pre, post = [], [], []
        h = obj.inputs.T.contiguous()
        ones = torch.ones(1, h.shape[1], dtype=h.dtype)
        for (W, b), (_, acts) in zip(weights, self.stages):
            ins.append(torch.cat([h, ones]))
            z = torch.addmm(b[:, None], W, h) if b is not None else W @ h
            pre.append(z)
            h = self._activate(acts, z.clone())
            post.append(h)
        n_stages = len(self.stages)
        layer = torch.where(valid, self.layer[columns], n_stages)
        first = layer.min(dim=1).values
        result = torch.empty(len(columns), dtype=ref.dtype)
        unchanged = first == n_stages
        if unchanged.any():
            result[unchanged] = batched_loss(obj.loss_fn, post[-1][None], obj.targets)
        for start in range(n_stages):
            idx = torch.nonzero(first == start).flatten()
            for k in range(0, len(idx), obj.chunk):
                part = idx[k : k + obj.chunk]
                result[part] = self._group(
                    obj, weights, ins, pre, post, start, columns[part], deltas[part], layer[part]
                )
        return result

    @staticmethod
    def _rows(a: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        """``a[index]`` for a 2-D ``a`` and a ``(B, K)`` index: ``(B, K, a.shape[1])``."""
        return a.index_select(0, index.reshape(-1)).view(*index.shape, a.shape[1])

    def _group(self, obj, weights, ins, pre, post, start, columns, deltas, layer) -> torch.Tensor:
        B, K = columns.shape
        S = pre[0].shape[1]
        row, col = self.row[columns], self.col[columns]
        bias = col < 0
        # the first changed layer: its input is the reference's, so only the rows R of its
        # output that the vector's entries touch change; V holds their full values
        here = layer == start
        x = ins[start]
        cidx = torch.where(bias, x.shape[0] - 1, col).masked_fill_(~here, 0)
        contrib = self._rows(x, cidx).mul_((deltas * here)[:, :, None])  # (B, K, S)
        R = row.masked_fill(~here, 0)
        same = (R[:, :, None] == R[:, None, :]) & here[:, None, :]
        V = torch.baddbmm(self._rows(pre[start], R), same.to(deltas.dtype), contrib)
        V = self._activate(self.stages[start][1], V)
        dense = None  # (B, units, S) once every unit may differ
        earlier = torch.tril(torch.ones(K, K, dtype=torch.bool), diagonal=-1)
        for stage in range(start + 1, len(self.stages)):
            W, b = weights[stage]
            here = layer == stage
            cidx = col.masked_fill(bias | ~here, 0)
            if dense is None:  # rows R of the input changed to V: a rank-K correction
                base = post[stage - 1]
                D = V - self._rows(base, R)
                D.mul_(~((R[:, :, None] == R[:, None, :]) & earlier).any(dim=2)[:, :, None])
                z = torch.baddbmm(pre[stage].expand(B, -1, -1), W.T[R].transpose(1, 2), D)
                at_col = torch.baddbmm(
                    self._rows(base, cidx), (cidx[:, :, None] == R[:, None, :]).to(D.dtype), D
                )
            else:
                z = torch.matmul(W, dense)
                if b is not None:
                    z.add_(b[:, None])
                at_col = torch.gather(dense, 1, cidx[:, :, None].expand(-1, -1, S))
            if here.any():
                add = at_col.masked_fill_(bias[:, :, None], 1.0).mul_((deltas * here)[:, :, None])
                z.scatter_add_(1, row.masked_fill(~here, 0)[:, :, None].expand(-1, -1, S), add)
            dense = self._activate(self.stages[stage][1], z)
        if dense is None:  # only the last layer changed: its rows R, over the reference output
            dense = post[-1].expand(B, -1, -1).clone()
            dense.scatter_(1, R[:, :, None].expand(-1, -1, S), V)
        return batched_loss(obj.loss_fn, dense, obj.targets)


class ModuleObjective:
    """``loss_fn(module(inputs), targets)`` as a function of the module's flat parameters."""

    def __init__(
        self,
        module: nn.Module,
        loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
        inputs: torch.Tensor,
        targets: torch.Tensor,
        chunk: int = 4096,
        sparse: bool = True,
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
        self.sparse = sparse and self.fast and isinstance(next(iter(module)), nn.Linear)
        """Whether batches of few-coordinate changes of one vector take the sparse path (the
        ``sparse`` argument, for a plain MLP that starts with a Linear layer)."""
        self._sparse = _SparseMLP(module, self.sizes) if self.sparse else None

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
                h = _activate(layer, h)
        return batched_loss(self.loss_fn, h, self.targets)

    @torch.no_grad()
    def __call__(self, P) -> np.ndarray:
        P = np.asarray(P, dtype=float)
        if P.ndim == 1:
            P = P[None]
        if P.ndim != 2 or P.shape[1] != self.dim:
            raise ValueError(f"expected parameter vectors of shape (m, {self.dim}); got {P.shape}")
        found = sparse_deviations(P) if self._sparse is not None else None
        if found is not None:
            ref, columns, deltas, valid = found
            losses = self._sparse.losses(
                self,
                torch.as_tensor(ref, dtype=self.dtype),
                torch.from_numpy(columns),
                torch.as_tensor(deltas, dtype=self.dtype),
                torch.from_numpy(valid),
            )
            return losses.double().numpy()
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
