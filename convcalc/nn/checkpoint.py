"""Saving and loading a whole model: the layout of :mod:`convcalc.nn.serialize` filled from a model.

:func:`save_model` writes a model's architecture (its :meth:`~convcalc.nn.Sequential.config`),
weights, buffers, optimiser state and an optional resume point; :func:`load_model` rebuilds it,
after checking what a damaged or hostile file could get wrong before anything large is built:
the layers may not declare more parameters than the file holds values
(:func:`~convcalc.nn.serialize.check_declared_sizes`), every weight must be there, and a resume
point must be one training could continue from (:func:`~convcalc.nn.serialize.check_train_state`).
Every problem is one :class:`~convcalc.ConvCalcError` naming the file.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np

from convcalc.errors import ConvCalcError
from convcalc.graph import Graph, Node
from convcalc.nn.regularizers import get_regularizer
from convcalc.nn.serialize import (check_declared_sizes, check_train_state, read_archive, spec_from_dict, spec_to_dict,
                                   write_archive)

if TYPE_CHECKING:  # pragma: no cover
    from convcalc.nn.model import Sequential

__all__ = ["save_model", "load_model", "model_config"]


def model_config(model: Sequential) -> dict[str, Any]:
    """See :meth:`convcalc.nn.Sequential.config`; ``"graph"`` lists a branching model's nodes after the input
    (name, input nodes, scope), None for a layer list."""
    init = model.init if isinstance(model.init, str) else "custom"
    reg = model.kernel_regularizer
    compiled = None
    if model.optimizer is not None and model.loss is not None:
        compiled = {"optimizer": model.optimizer.name, "optimizer_config": model.optimizer.config(),
                    "loss": model.loss.name, "metrics": list(model.metrics),
                    "kernel_regularizer": reg.config() if reg is not None else None}
    graph = None if model.graph is None else [{"name": n.name, "inputs": list(n.inputs), "scope": list(n.scope)}
                                              for n in model.graph.nodes[1:]]
    return {"input_shape": list(model.input_shape), "layers": [spec_to_dict(s) for s in model.layers],
            "graph": graph, "dtype": model.dtype.name, "init": init, "seed": model.seed, "compile": compiled,
            "kernel_regularizer": reg.config() if reg is not None else None}


def save_model(model: Sequential, path: str | os.PathLike[str], *, state: dict[str, Any] | None = None,
               extra: dict[str, Any] | None = None) -> None:
    """See :meth:`convcalc.nn.Sequential.save`."""
    arrays = {f"param/{k}": v for k, v in model.named_parameters().items()}
    arrays.update({f"buffer/{k}": v for k, v in model.named_buffers().items()})
    meta = model.config()
    if model.optimizer is not None:
        opt = model.optimizer.state_dict()
        meta["optimizer_iterations"] = opt["iterations"]
        for name, slots in opt["state"].items():
            arrays.update({f"opt/{name}/{slot}": a for slot, a in slots.items()})
    meta["train_state"] = None
    if state is not None:
        meta["train_state"] = {k: v for k, v in state.items() if k != "perm"}
        if state.get("perm") is not None:
            arrays["state/perm"] = state["perm"]
    meta["extra"] = extra or {}
    write_archive(path, meta, arrays)


def load_model(cls: type[Sequential], path: str | os.PathLike[str]) -> Sequential:
    """See :meth:`convcalc.nn.Sequential.load`; ``cls`` is the model class to build."""
    meta, arrays = read_archive(path)
    try:
        layers: Any = [spec_from_dict(d) for d in meta["layers"]]
        if meta.get("graph") is not None:  # a branching model: its nodes (Graph checks their order)
            nodes = [Node(0, "input", None, ())]
            for index, (node, op) in enumerate(zip(meta["graph"], layers, strict=True), start=1):
                nodes.append(Node(index, str(node["name"]), op, tuple(int(i) for i in node["inputs"]),
                                  tuple(str(s) for s in node.get("scope", ()))))
            layers = Graph(tuple(nodes))
        stored = {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith(("param/", "buffer/"))}
        check_declared_sizes(layers, meta["input_shape"], stored)
        # weights are overwritten below, so skip drawing random ones
        model = cls(layers, meta["input_shape"], init="zeros", seed=meta["seed"], dtype=meta["dtype"],
                    kernel_regularizer=get_regularizer(meta.get("kernel_regularizer")))
        model.init = meta["init"]
        missing = sorted(({f"param/{k}" for k in model.named_parameters()}
                          | {f"buffer/{k}" for k in model.named_buffers()}) - set(arrays))
        if missing:
            raise ConvCalcError(f"it lacks the weights {', '.join(missing[:3])}"
                                + (" ..." if len(missing) > 3 else ""))
        model.set_weights(stored)
        compiled = meta.get("compile")
        if compiled:
            model.compile(compiled["optimizer"], compiled["loss"], compiled["metrics"],
                          **compiled["optimizer_config"])
            state: dict[str, dict[str, np.ndarray]] = {}
            for key, value in arrays.items():
                if key.startswith("opt/"):
                    name, slot = key[4:].rsplit("/", 1)
                    state.setdefault(name, {})[slot] = value
            model.optimizer.load_state_dict({"iterations": meta.get("optimizer_iterations", 0), "state": state})
        extra = meta.get("extra", {})
        train_state = meta.get("train_state")
        if train_state is not None:  # a damaged resume point makes the whole file damaged
            check_train_state(train_state, arrays.get("state/perm"), path)
    except KeyError as error:
        raise ConvCalcError(f"'{path}' is a damaged convcalc model: it lacks {error}.") from None
    except (TypeError, ValueError, AttributeError, IndexError, OverflowError) as error:
        if isinstance(error, ConvCalcError) and str(error).startswith(f"'{path}'"):
            raise
        raise ConvCalcError(f"'{path}' is a damaged convcalc model: {error}.") from None
    model.extra = extra if isinstance(extra, dict) else {}
    model.loaded_from = str(path)
    if train_state:
        model.resume_state = dict(train_state)
        model.resume_state["perm"] = arrays.get("state/perm")
    return model
