"""PyTorch as the oracle for branching models: 24 random graphs with adds and concats.

Each graph (convolutions, batch norm, ReLU, max/average pools, residual blocks with identity or
projection shortcuts, concatenation blocks with 2-3 branches, plain two-branch adds, a global
average pool or a flatten, a dense head) is declared once with convcalc's functional API and built
as a PyTorch module in this file, node by node, from the same initial weights. In float64 the
training-mode outputs, the loss, the input's and every parameter's gradient, two SGD steps with momentum 0.9 (the
weights after each), the batch-norm running statistics and the eval-mode outputs after training
agree to 1e-9.
"""

from __future__ import annotations

import numpy as np
import pytest

from convcalc import layers as L
from convcalc.graph import Add, Concat, Input, Merge, Model
from convcalc.nn import Sequential

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

TOL = dict(rtol=1e-9, atol=1e-9)


# --------------------------------------------------------------------------- random graphs
def _conv_bn(x, c, k, rng, relu=True):
    y = L.BatchNorm2D()(L.Conv2D(c, k, padding=k // 2, bias=bool(rng.integers(2)))(x))
    return L.ReLU()(y) if relu else y


def random_graph(seed: int):
    """A random graph with at least one add and one concat; returns (graph, input shape, classes)."""
    rng = np.random.default_rng(seed)
    shape = (int(rng.integers(1, 4)), int(rng.integers(6, 10)), int(rng.integers(6, 10)))
    x = Input(shape)
    c = int(rng.integers(2, 6))
    y = _conv_bn(x, c, 3, rng)
    size = min(shape[1:])
    kinds = list(rng.permutation(["res", "cat", "add", "pool", "res", "cat"]))[:int(rng.integers(3, 6))]
    for must in ("res", "cat"):
        if must not in kinds:
            kinds.append(must)
    for kind in kinds:
        if kind == "res":  # He et al.'s basic block; a projection shortcut when the width changes
            out = int(rng.choice([c, c + 2]))
            body = _conv_bn(_conv_bn(y, out, 3, rng), out, 3, rng, relu=False)
            short = y if out == c else L.BatchNorm2D()(L.Conv2D(out, 1, bias=False)(y))
            y, c = L.ReLU()(Add()(body, short)), out
        elif kind == "cat":  # Inception: 1x1, 3x3, a stride-1 pool, maybe the input itself
            w1, w3 = int(rng.integers(1, 4)), int(rng.integers(1, 4))
            branches = [(L.Conv2D(w1, 1)(y), w1), (_conv_bn(y, w3, 3, rng), w3)]
            if rng.integers(2):
                branches.append((L.MaxPool2D(3, stride=1, padding=1)(y), c))
            if rng.integers(2):
                branches.append((y, c))
            order = rng.permutation(len(branches))
            y = Concat()([branches[i][0] for i in order])
            c = sum(w for _, w in branches)
        elif kind == "add":  # two convolutions of the same input, summed
            out = int(rng.integers(2, 6))
            y = L.ReLU()(Add()(L.Conv2D(out, 3, padding=1)(y), L.Conv2D(out, 1)(y)))
            c = out
        elif kind == "pool" and size >= 4:
            y = (L.MaxPool2D(2) if rng.integers(2) else L.AvgPool2D(2))(y)
            size //= 2
    classes = int(rng.integers(2, 5))
    head = L.GlobalAvgPool2D()(y) if rng.integers(2) else L.Flatten()(y)
    return Model(x, L.Dense(classes)(head)), shape, classes


# --------------------------------------------------------------------------- the PyTorch twin
class TorchGraph(torch.nn.Module):
    """The graph as a PyTorch module: one submodule per node, run in the node order, merges as + and cat."""

    def __init__(self, model: Sequential) -> None:
        super().__init__()
        self.nodes = model.graph.nodes
        self.ops = torch.nn.ModuleList()
        for node in self.nodes[1:]:
            self.ops.append(self._module(node.op, model.shapes[node.inputs[0]]))

    @staticmethod
    def _module(spec, in_shape):
        nn = torch.nn
        if isinstance(spec, L.Conv2D):
            return nn.Conv2d(in_shape[0], spec.filters, spec.kernel_size, spec.stride, spec.padding, spec.dilation,
                             spec.groups, bias=spec.bias, dtype=torch.float64)
        if isinstance(spec, L.BatchNorm2D):
            return nn.BatchNorm2d(in_shape[0], dtype=torch.float64)
        if isinstance(spec, L.Dense):
            return nn.Linear(in_shape[0], spec.units, bias=spec.bias, dtype=torch.float64)
        if isinstance(spec, L.MaxPool2D):
            return nn.MaxPool2d(spec.pool_size, spec.stride, spec.padding)
        if isinstance(spec, L.AvgPool2D):
            return nn.AvgPool2d(spec.pool_size, spec.stride, spec.padding)
        if isinstance(spec, L.ReLU):
            return nn.ReLU()
        if isinstance(spec, L.Flatten):
            return nn.Flatten()
        if isinstance(spec, L.GlobalAvgPool2D):
            return nn.AdaptiveAvgPool2d(1)
        assert isinstance(spec, Merge), spec
        return nn.Identity()

    def forward(self, x):
        values = [x]
        for node, op in zip(self.nodes[1:], self.ops):
            ins = [values[j] for j in node.inputs]
            if isinstance(node.op, Add):
                out = ins[0]
                for other in ins[1:]:
                    out = out + other
            elif isinstance(node.op, Concat):
                out = torch.cat(ins, dim=1)
            elif isinstance(node.op, L.GlobalAvgPool2D):
                out = torch.flatten(op(ins[0]), 1)
            else:
                out = op(ins[0])
            values.append(out)
        return values[-1]

    def load_from(self, model: Sequential) -> dict[str, torch.Tensor]:
        """Copy the model's parameters and buffers in; returns ``{our name: torch parameter}``."""
        named = {}
        with torch.no_grad():
            for i, (op, module) in enumerate(zip(self.ops, model.modules)):
                for k, v in {**module.params, **module.buffers}.items():
                    target = getattr(op, k)
                    target.copy_(torch.from_numpy(v.copy()))
                    named[f"{i}.{k}"] = target
        return named


SEEDS = list(range(24))


@pytest.mark.parametrize("seed", SEEDS)
def test_random_graph_matches_pytorch_outputs_gradients_and_sgd_steps(seed):
    graph, shape, classes = random_graph(seed)
    assert any(isinstance(n.op, Add) for n in graph.nodes) and any(isinstance(n.op, Concat) for n in graph.nodes)
    ours = Sequential(graph, shape, seed=seed, dtype="float64", init="he_normal")
    ours.compile("sgd", "sparse_categorical_crossentropy", lr=0.05, momentum=0.9)
    theirs = TorchGraph(ours)
    tensors = theirs.load_from(ours)
    theirs.train()
    opt = torch.optim.SGD(theirs.parameters(), lr=0.05, momentum=0.9)
    rng = np.random.default_rng(100 + seed)
    params = ours.named_parameters()
    for module in ours.modules:  # the input's gradient too (the model leaves it out by default)
        if hasattr(module, "input_grad"):
            module.input_grad = True
    for step in range(2):
        x = rng.standard_normal((6, *shape))
        y = rng.integers(0, classes, 6)
        out = ours.forward(x, True, stop=ours.loss_stop)
        loss, d = ours.loss.from_logits(out, y)
        dx = ours.backward(d, stop=ours.loss_stop)
        grads = {f"{i}.{k}": g for i, m in enumerate(ours.modules) for k, g in m.grads.items()}
        opt.zero_grad()
        tx = torch.tensor(x, requires_grad=True)
        t_out = theirs(tx)
        t_loss = torch.nn.functional.cross_entropy(t_out, torch.from_numpy(y))
        t_loss.backward()
        np.testing.assert_allclose(out, t_out.detach().numpy(), **TOL)
        assert abs(loss - t_loss.item()) < 1e-9
        np.testing.assert_allclose(dx, tx.grad.numpy(), **TOL)
        assert grads.keys() == params.keys()
        for name in params:
            np.testing.assert_allclose(grads[name], tensors[name].grad.numpy(), **TOL, err_msg=f"step {step} {name}")
        ours.optimizer.step(params, grads)
        opt.step()
        for name, value in {**params, **ours.named_buffers()}.items():
            np.testing.assert_allclose(value, tensors[name].detach().numpy(), **TOL, err_msg=f"after step {step} {name}")
    theirs.eval()
    x = rng.standard_normal((4, *shape))
    np.testing.assert_allclose(ours.predict(x), theirs(torch.from_numpy(x)).detach().numpy(), **TOL)


def test_the_random_graphs_cover_what_they_claim():
    kinds = set()
    for seed in SEEDS:
        graph, _, _ = random_graph(seed)
        kinds |= {type(n.op).__name__ for n in graph.nodes[1:]}
        kinds |= {"shared" for n in graph.nodes if sum(n.index in m.inputs for m in graph.nodes) > 1}
    assert {"Conv2D", "BatchNorm2D", "ReLU", "MaxPool2D", "AvgPool2D", "Add", "Concat", "GlobalAvgPool2D", "Flatten",
            "Dense", "shared"} <= kinds
    # the models run fused batch norm + ReLU steps (nn/fusion.graph_plan), so the PyTorch check above covers them
    fused = [type(s.module).__name__ for seed in SEEDS[:3]
             for s in Sequential(random_graph(seed)[0], random_graph(seed)[1], dtype="float64").steps]
    assert "BatchNormReLU" in fused and "BatchNorm" in fused
