"""``Sequential``: a Keras-style model built from layer specs or a branching graph, trained with NumPy.

The model is its spec list: :func:`~convcalc.nn.build.build_module` turns every
:mod:`convcalc.layers` spec into a trainable module for the shape the spec
itself predicts, so :meth:`Sequential.summary` is ``convcalc stack``'s table
and the saved architecture is the spec list as JSON.

A :class:`convcalc.graph.Graph` (a spec with ``res[...]``/``cat[...]`` blocks, the
functional API, a preset) builds the same class: one module per node, run in the
graph's topological order by :class:`convcalc.nn.nodes.NodeRunner` (gradients summed where
a node feeds several), with the same ``fit``/``evaluate``/callbacks/checkpoints/resume.
A plain layer list is the chain case, run through fused steps (:mod:`convcalc.nn.fusion`).
``Model`` is another name for the class (Keras's name for a graph model).

Training (:meth:`Sequential.fit`) follows Keras: mini-batches in a new random
order every epoch (the last batch may be smaller), the reported ``loss`` and
``accuracy`` are means over the epoch's batches as they were trained (sample
weighted), and a kernel regularizer's penalty is part of every reported loss.
Everything random (initial weights, shuffling, dropout) comes from NumPy
generators seeded from ``seed``, so a run repeats exactly.

Examples
--------
>>> import numpy as np
>>> from convcalc.layers import Dense, ReLU, Softmax
>>> rng = np.random.default_rng(0)
>>> x = rng.standard_normal((64, 2)).astype(np.float32)
>>> y = (x[:, 0] > x[:, 1]).astype(np.int64)
>>> model = Sequential([Dense(16), ReLU(), Dense(2), Softmax()], input_shape=(2,), seed=0)
>>> model.compile("sgd", "sparse_categorical_crossentropy", lr=0.5)
>>> history = model.fit(x, y, batch_size=16, epochs=20)
>>> history.epochs[-1]["accuracy"] > 0.9
True
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from convcalc import layers as specs
from convcalc.errors import ConvCalcError, invalid
from convcalc.graph import Graph, Merge
from convcalc.nn import training
from convcalc.nn.activations import Softmax
from convcalc.nn.build import build_modules
from convcalc.nn.callbacks import Callback, History
from convcalc.nn.fusion import graph_plan, plan
from convcalc.nn.init import get_initializer
from convcalc.nn.layers import Dense as DenseModule
from convcalc.nn.losses import CrossEntropy, Loss, get_loss
from convcalc.nn.module import Module
from convcalc.nn.nodes import NodeRunner
from convcalc.nn.optim import Optimizer, get_optimizer
from convcalc.nn.regularizers import Regularizer, get_regularizer
from convcalc.nn.checkpoint import load_model, model_config, save_model

__all__ = ["Sequential", "Model"]

_METRICS = ("accuracy",)


class Sequential:
    """A stack of layers built from specs, with Keras's ``compile``/``fit``/``evaluate``/``predict``.

    Parameters
    ----------
    layers : sequence of convcalc.layers.Layer, or convcalc.graph.Graph
        The layer specs, in order (``convcalc.presets.preset("hw5")[0]``, a parsed spec, ...), or a
        branching graph (``load_stack("... res[...] ...")``, ``convcalc.graph.Model(x, y)``) whose
        output is its last node.
    input_shape : tuple of int
        One sample's shape, channels first: ``(1, 28, 28)``, or ``(F,)`` for dense-only models.
    init : str or callable
        Kernel initialiser for every convolution and dense layer (biases start at zero):
        ``"glorot_uniform"`` (Keras's default), ``"glorot_normal"``, ``"he_normal"``,
        ``"he_uniform"``, ``"ones"``, ``"zeros"``. Defaults to ``"glorot_uniform"``.
    kernel_regularizer : Regularizer, optional
        Applied to every kernel, e.g. ``L2(0.001)``. Defaults to None.
    seed : int
        Seeds the initial weights, the shuffling and the dropout masks. Defaults to 0.
    dtype : str
        ``"float32"`` (the default, for speed) or ``"float64"`` (for gradient checks).
    fuse : bool
        Compute ``Conv2D -> [ReLU ->] MaxPool2D`` blocks in one engine pass and ``ReLU -> MaxPool2D``
        as pool-then-ReLU (same values and gradients, less work; :mod:`convcalc.nn.fusion`).
        ``False`` runs every module as written (for comparisons). Defaults to True.

    Attributes
    ----------
    modules : list of Module
        One trainable module per spec (the model's weights, by index); in a graph, module ``i``
        computes node ``i + 1``.
    graph : convcalc.graph.Graph or None
        The branching graph the model runs, or None for a layer list (a chain).
    steps : list of convcalc.nn.fusion.Step
        What the model runs: its modules, with fused blocks in place of the modules they stand for.
    stop_training : bool
        Set by a callback to end :meth:`fit` after the current epoch.
    resume_state : dict or None
        The interrupted-training position loaded by :meth:`load`; ``fit(resume=True)`` continues from it.
    """

    def __init__(self, layers: Sequence[specs.Layer] | Graph, input_shape: Sequence[int], *,
                 init: str | Callable[..., np.ndarray] = "glorot_uniform",
                 kernel_regularizer: Regularizer | None = None, seed: int = 0, dtype: str = "float32",
                 fuse: bool = True) -> None:
        graph: Graph | None = layers if isinstance(layers, Graph) else None
        if graph is not None and graph.is_chain and not any(isinstance(s, Merge) for s in graph.layers):
            graph = None  # a chain: the fused fast path
        elif graph is None and any(isinstance(s, Merge) for s in layers):
            graph = Graph.chain(list(layers))
        self.graph = graph
        self.layers = list(graph.layers if graph is not None else layers)
        if not self.layers or not all(isinstance(s, specs.Layer) for s in self.layers):
            raise invalid("layers", layers, "a non-empty list of convcalc.layers specs")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise invalid("seed", seed, "an int >= 0")
        if not isinstance(fuse, bool):
            raise invalid("fuse", fuse, "True or False")
        if str(dtype) not in ("float32", "float64"):
            raise invalid("dtype", dtype, "'float32' or 'float64'")
        self.input_shape = tuple(int(v) for v in input_shape)
        self.dtype = np.dtype(str(dtype))
        self.seed = int(seed)
        self.init = init
        get_initializer(init)  # reject unknown names before building anything
        self.kernel_regularizer = get_regularizer(kernel_regularizer)
        init_seq, dropout_seq, shuffle_seq = np.random.SeedSequence(self.seed).spawn(3)
        self.dropout_rng = np.random.default_rng(dropout_seq)
        self.shuffle_rng = np.random.default_rng(shuffle_seq)
        init_rng = np.random.default_rng(init_seq)
        #: ``shapes[i]``: the shape of node ``i`` (0 is the input; in a chain, the input of module ``i``).
        self.modules, self.shapes, reads = build_modules(self.layers, graph, self.input_shape, rng=init_rng,
                                                         dropout_rng=self.dropout_rng, init=init, dtype=self.dtype)
        # fused blocks, decided once (nn/fusion.py); a graph's steps run in topological order (nn/nodes.py)
        self.steps = graph_plan(self.modules, reads, len(self.modules), fuse) if graph is not None else plan(
            self.modules, self.shapes[:-1], fuse)
        self.runner = NodeRunner(self.modules, reads, len(self.modules), self.steps) if graph is not None else None
        self.optimizer: Optimizer | None = None
        self.loss: Loss | None = None
        self.metrics: tuple[str, ...] = ()
        self.stop_training = False
        self.resume_state: dict[str, Any] | None = None
        self.loaded_from: str | None = None  # the file :meth:`load` read, for messages
        self.extra: dict[str, Any] = {}

    # ------------------------------------------------------------------ construction helpers
    @classmethod
    def from_spec(cls, text: str, input_shape: Sequence[int] | None = None, **options: Any) -> Sequential:
        """A model from a preset name (``"hw5"``, ``"hw5-2conv"``, ``"lenet5"``, ...) or spec text.

        ``input_shape`` defaults to the preset's or the one written in the spec.
        """
        from convcalc.spec import load_stack

        layers, shape = load_stack(text, None if input_shape is None else tuple(input_shape), require_shape=False)
        if shape is None:
            raise invalid("input_shape", None, "given (e.g. (1, 28, 28)) when the spec does not state it",
                          "Write input(1x28x28) in the spec or pass input_shape.")
        return cls(layers, shape, **options)

    @property
    def output_shape(self) -> tuple[int, ...]:
        """One sample's output shape."""
        return self.shapes[-1]

    def named_parameters(self) -> dict[str, np.ndarray]:
        """``{"<layer>.<name>": array}`` for every trainable array (the arrays themselves)."""
        return {f"{i}.{k}": v for i, m in enumerate(self.modules) for k, v in m.params.items()}

    def named_buffers(self) -> dict[str, np.ndarray]:
        """``{"<layer>.<name>": array}`` for every non-trainable array."""
        return {f"{i}.{k}": v for i, m in enumerate(self.modules) for k, v in m.buffers.items()}

    def get_weights(self) -> dict[str, np.ndarray]:
        """Copies of every parameter and buffer, keyed by name."""
        return {k: v.copy() for k, v in {**self.named_parameters(), **self.named_buffers()}.items()}

    def set_weights(self, weights: dict[str, np.ndarray]) -> None:
        """Copy ``weights`` (as from :meth:`get_weights`) into the model, in place; shapes must match."""
        current = {**self.named_parameters(), **self.named_buffers()}
        missing = sorted(set(current) - set(weights))
        if missing:
            raise ConvCalcError(f"set_weights: no value for {', '.join(missing)}.")
        for name, array in current.items():
            value = np.asarray(weights[name])
            if value.shape != array.shape:
                raise ConvCalcError(f"set_weights: {name} has shape {array.shape}; got {value.shape}.")
            array[...] = value

    def count_params(self) -> int:
        """Number of trainable scalars."""
        return sum(v.size for v in self.named_parameters().values())

    def summary(self, **options: Any) -> Any:
        """The layer table of ``convcalc stack``: :func:`convcalc.stack.summarize` of this model's specs."""
        from convcalc.stack import summarize

        return summarize(self.graph if self.graph is not None else self.layers, self.input_shape, **options)

    # ------------------------------------------------------------------ compile / inference
    def compile(self, optimizer: str | Optimizer = "sgd", loss: str | Loss = "categorical_crossentropy",
                metrics: Sequence[str] = ("accuracy",), **optimizer_config: Any) -> None:
        """Choose the optimiser, the loss and the metrics.

        Parameters
        ----------
        optimizer : str or Optimizer
            ``"sgd"``, ``"adam"`` or an instance; keyword arguments (``lr=``, ``momentum=``...) configure a named one.
        loss : str or Loss
            ``"categorical_crossentropy"`` (one-hot targets), ``"sparse_categorical_crossentropy"``
            (integer labels), ``"binary_crossentropy"``, ``"mse"``, ``"l1"``, or an instance.
            A cross-entropy after a final Softmax is computed from the logits (fused, stable); after a
            final Dense layer without Softmax it applies log-softmax itself, as PyTorch's
            ``CrossEntropyLoss`` (see :attr:`loss_input`).
        metrics : sequence of str
            ``("accuracy",)`` or ``()``. Defaults to ``("accuracy",)``.
        """
        self.optimizer = get_optimizer(optimizer, **optimizer_config)
        self.loss = get_loss(loss)
        unknown = [m for m in metrics if m not in _METRICS]
        if unknown:
            raise invalid("metrics", list(metrics), "a list of " + ", ".join(repr(m) for m in _METRICS))
        self.metrics = tuple(metrics)

    @property
    def fused(self) -> bool:
        """True when the loss takes the logits: a cross-entropy after a final Softmax."""
        return isinstance(self.loss, CrossEntropy) and isinstance(self.modules[-1], Softmax)

    @property
    def loss_input(self) -> str:
        """What the loss is computed from.

        - ``"softmax"``: a cross-entropy after a final Softmax; the loss takes the logits before
          it (fused, stable), and :meth:`predict` returns probabilities (Keras);
        - ``"logits"``: a cross-entropy after a final Dense layer, without Softmax (as a PyTorch
          model is written): the loss applies log-softmax itself, as ``torch.nn.CrossEntropyLoss``;
          :meth:`predict` returns the logits (their argmax is the class, as with Softmax);
        - ``"probabilities"``: any other loss or ending; the loss takes the outputs as they are.
        """
        if isinstance(self.loss, CrossEntropy):
            if isinstance(self.modules[-1], Softmax):
                return "softmax"
            if isinstance(self.modules[-1], DenseModule):
                return "logits"
        return "probabilities"

    @property
    def from_logits(self) -> bool:
        """True when the loss applies log-softmax to what the modules it runs compute (see :attr:`loss_input`)."""
        return self.loss_input != "probabilities"

    @property
    def loss_stop(self) -> int | None:
        """The modules a training step runs are ``modules[:loss_stop]``: all but a Softmax fused into the loss."""
        return -1 if self.fused else None

    def check_input(self, x: np.ndarray, name: str = "x") -> np.ndarray:
        """``x`` as an array of the model's dtype; a ``ConvCalcError`` naming ``name`` unless it is
        ``(N, *input_shape)``."""
        x = np.asarray(x)
        if x.ndim != len(self.input_shape) + 1 or tuple(x.shape[1:]) != self.input_shape:
            raise ConvCalcError(f"The model expects inputs of shape (N, {', '.join(map(str, self.input_shape))}); "
                                f"{name} has shape {x.shape}.")
        return x.astype(self.dtype, copy=False)

    def modules_to_run(self, stop: int | None = None) -> list[Module]:
        """What computes modules ``[0, stop)``: the fused steps (:mod:`convcalc.nn.fusion`), and a fused block
        that ``stop`` cuts through as its modules one by one."""
        end = len(self.modules) if stop is None else range(len(self.modules))[:stop].stop
        run: list[Module] = []
        for step in self.steps:
            if step.stop <= end:
                run.append(step.module)
            elif step.first < end:
                run.extend(self.modules[step.first:end])
        return run

    def forward(self, x: np.ndarray, training: bool = False, *, stop: int | None = None) -> np.ndarray:
        """Run modules ``[0, stop)`` (all by default) on a batch; in a graph, the value of the node that
        feeds module ``stop`` (the output when every module runs)."""
        if self.runner is not None:
            return self.runner.forward(x, training, range(len(self.modules))[:stop].stop)
        for module in self.modules_to_run(stop):
            x = module.forward(x, training)
        return x

    def backward(self, dout: np.ndarray, *, stop: int | None = None) -> np.ndarray | None:
        """Gradients of modules ``[0, stop)`` (in their ``grads``) from ``dout``, the gradient of what the
        last ``forward(x, True, stop=stop)`` returned; returns the input's gradient (None when the modules
        reading the input have ``input_grad = False``, as the model builds them)."""
        if self.runner is not None:
            return self.runner.backward(dout, range(len(self.modules))[:stop].stop)
        for module in reversed(self.modules_to_run(stop)):
            dout = module.backward(dout)
        return dout

    def predict(self, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """The model's outputs for ``x`` (probabilities when it ends in Softmax), in batches."""
        x = self.check_input(x)
        outs = [self.forward(x[i:i + batch_size]) for i in range(0, len(x), batch_size)]
        return np.concatenate(outs) if outs else np.zeros((0, *self.output_shape), self.dtype)

    def evaluate(self, x: np.ndarray, y: np.ndarray, batch_size: int = 256) -> dict[str, float]:
        """``{"loss": ..., "accuracy": ...}`` on ``(x, y)``; the loss includes the regularizer's penalty (Keras)."""
        if self.loss is None:
            raise ConvCalcError("Call compile(optimizer, loss) before evaluate.")
        return training.evaluate(self, self.check_input(x), np.asarray(y), batch_size)

    def _need_compiled(self) -> None:
        if self.loss is None or self.optimizer is None:
            raise ConvCalcError("Call compile(optimizer, loss) before fit or evaluate.")

    # ------------------------------------------------------------------ training
    def fit(self, x: np.ndarray, y: np.ndarray, batch_size: int = 32, epochs: int = 1, *,
            validation_data: tuple[np.ndarray, np.ndarray] | None = None, validation_split: float = 0.0,
            callbacks: Sequence[Callback] = (), shuffle: bool = True, seed: int | None = None,
            checkpoint: str | os.PathLike[str] | None = None, resume: bool = False) -> History:
        """Train for ``epochs`` epochs of mini-batch gradient descent; see :mod:`convcalc.nn.training`.

        Parameters
        ----------
        x, y : ndarray
            Inputs ``(N, *input_shape)`` and targets (integer labels or one-hot, as the loss wants).
        batch_size : int
            Samples per step. Defaults to 32 (Keras).
        epochs : int
            Train until this many epochs are done (counting those before a resume). Defaults to 1.
        validation_data : (x_val, y_val), optional
            Evaluated after every epoch (``val_loss``, ``val_accuracy``).
        validation_split : float
            Hold out this last fraction of ``(x, y)`` (before shuffling, as Keras) instead. Defaults to 0.
        callbacks : sequence of Callback
            Progress, :class:`EarlyStopping`, :class:`ModelCheckpoint`...
        shuffle : bool
            New random order every epoch. Defaults to True.
        seed : int, optional
            Reseed the shuffling and dropout streams; defaults to continuing the model's own (from its ``seed``).
        checkpoint : path, optional
            Save the model with its resume point here after every epoch and on Ctrl-C.
        resume : bool
            Continue from :attr:`resume_state` (set by :meth:`load`), bit for bit as if never interrupted;
            the state of the callbacks that keep one (``EarlyStopping``, ``ModelCheckpoint``) is part of
            the resume point and goes back into the callbacks of the same class and order.

        Returns
        -------
        History

        Raises
        ------
        TrainingDiverged
            When the loss becomes NaN or infinite; the weights are put back as they were at the end of
            the last good epoch (and ``checkpoint``, if any, still holds that epoch).
        TrainingInterrupted
            On Ctrl-C (a ``KeyboardInterrupt``), after saving ``checkpoint`` at the last finished batch.
        """
        self._need_compiled()
        return training.fit(self, x, y, batch_size=batch_size, epochs=epochs, validation_data=validation_data,
                            validation_split=validation_split, callbacks=list(callbacks), shuffle=shuffle,
                            seed=seed, checkpoint=checkpoint, resume=resume)

    # ------------------------------------------------------------------ persistence
    def config(self) -> dict[str, Any]:
        """The JSON architecture: input shape, specs (and a graph's nodes), dtype, initialiser name, seed,
        compile settings (:func:`convcalc.nn.checkpoint.model_config`)."""
        return model_config(self)

    def save(self, path: str | os.PathLike[str], *, state: dict[str, Any] | None = None,
             extra: dict[str, Any] | None = None) -> None:
        """Write architecture, weights and optimiser state to one ``.npz``, atomically
        (:func:`convcalc.nn.checkpoint.save_model`).

        ``state`` is a resume point (written by :meth:`fit` itself); ``extra`` any JSON-ready metadata.
        """
        save_model(self, path, state=state, extra=extra)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Sequential:
        """Rebuild a model saved by :meth:`save`: architecture, weights, compile settings, optimiser state
        (:func:`convcalc.nn.checkpoint.load_model`, which checks a damaged or hostile file first).

        The model's ``extra`` metadata is in ``model.extra`` and an interrupted training's
        position in :attr:`resume_state`.
        """
        return load_model(cls, path)

    def __repr__(self) -> str:
        if self.graph is not None:
            return f"Sequential(graph of {len(self.layers)} nodes, input_shape={self.input_shape})"
        inner = ", ".join(s.describe() for s in self.layers)
        return f"Sequential([{inner}], input_shape={self.input_shape})"


#: Keras's name for a model built from a graph: the same class (a layer list is the chain case).
Model = Sequential
