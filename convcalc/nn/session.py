"""One training run from plain options: what ``convcalc train`` and the example scripts call.

:class:`TrainConfig` holds the options of a run (model, dataset, optimiser,
initialiser, regularisation, negative-image settings, seed); :func:`run`
loads the data (:func:`convcalc.data.load_dataset`), prepares it, builds and
compiles the model, trains it with the test set as validation data (as the seed
homeworks do), and evaluates it on the test set and, when asked, on the
negated test set. It never prints: progress goes to the callbacks given.

Data preparation, in order: the training set is cut to ``limit`` samples
(a stratified subset) when asked; a model whose input is larger than the
images gets them zero-padded (28x28 MNIST to LeNet-5's 32x32, as LeCun et al.
1998 did); ``augment_negative`` negates a random half of each training class
(:func:`convcalc.data.half_negated`, the seed's fix).

Examples
--------
>>> result = run(TrainConfig(model="conv(4, 3) relu pool(2) flatten dense(10) softmax", epochs=1, limit=200))
>>> len(result.history.epochs), 0 <= result.test_accuracy <= 1
(1, True)
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from convcalc import layers as specs
from convcalc.data import half_negated, load_dataset, negate, pad_to, stratified_split
from convcalc.errors import ConvCalcError, invalid
from convcalc.nn import budget
from convcalc.nn.callbacks import Callback, EarlyStopping, History
from convcalc.nn.losses import get_loss
from convcalc.nn.model import Sequential
from convcalc.nn.regularizers import L2
from convcalc.nn.serialize import check_train_state
from convcalc.nn.training import TrainingDiverged, TrainingInterrupted

__all__ = ["TrainConfig", "TrainResult", "run", "resume", "prepare_data", "build_model", "evaluate_saved",
           "describe_loss", "check_memory", "planned_input", "DEFAULT_LR"]

#: Learning rate when none is given: Keras's defaults.
DEFAULT_LR = {"sgd": 0.01, "adam": 0.001}


@dataclass
class TrainConfig:
    """The options of one run (the long options of ``convcalc train``).

    Attributes
    ----------
    model : str
        A preset (``"hw5"``, ``"hw5-2conv"``, ``"lenet5"``) or a spec (``"conv(32,3) relu pool(2) ..."``).
    data : str
        ``"mnist5k"`` (embedded), ``"fashion-mnist"``, ``"mnist"`` or ``"cifar10"``.
    data_dir : str or None
        Where to look for the dataset (see :func:`convcalc.data.load_dataset`).
    epochs, batch_size : int
        Defaults 5 and 32.
    optimizer : {"sgd", "adam"}
    lr : float or None
        Defaults to :data:`DEFAULT_LR` of the optimiser.
    momentum : float
        SGD momentum. Defaults to 0.
    nesterov : bool
        Nesterov momentum. Defaults to False.
    init : str
        Kernel initialiser. Defaults to ``"glorot_uniform"`` (Keras's default).
    l2 : float
        Keras ``L2(l2)`` kernel regularizer on every convolution and dense kernel. Defaults to 0.
    dropout : float
        When > 0, a ``Dropout(dropout)`` layer is inserted before the last dense layer. Defaults to 0.
    early_stopping : int or None
        Stop when ``val_loss`` has not improved for this many epochs. Defaults to None.
    augment_negative : bool
        Negate a random half of each training class. Defaults to False.
    negate_test : bool
        Also report the accuracy on the negated test set. Defaults to False.
    limit : int or None
        Train on a stratified subset of this many samples. Defaults to None (all).
    seed : int
        Initial weights, shuffling, dropout, augmentation and subset. Defaults to 0.
    """

    model: str = "hw5"
    data: str = "mnist5k"
    data_dir: str | None = None
    epochs: int = 5
    batch_size: int = 32
    optimizer: str = "sgd"
    lr: float | None = None
    momentum: float = 0.0
    nesterov: bool = False
    init: str = "glorot_uniform"
    l2: float = 0.0
    dropout: float = 0.0
    early_stopping: int | None = None
    augment_negative: bool = False
    negate_test: bool = False
    limit: int | None = None
    seed: int = 0

    def learning_rate(self) -> float:
        """``lr``, or the optimiser's default."""
        if self.lr is not None:
            return self.lr
        if self.optimizer.lower() not in DEFAULT_LR:
            raise invalid("optimizer", self.optimizer, "one of " + ", ".join(repr(k) for k in DEFAULT_LR))
        return DEFAULT_LR[self.optimizer.lower()]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready options (``lr`` resolved)."""
        return {**asdict(self), "lr": self.learning_rate()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Inverse of :meth:`to_dict`; unknown keys are ignored, a value of the wrong type is refused."""
        if not isinstance(data, dict):
            raise invalid("train_config", type(data).__name__, "a JSON object of training options")
        kinds: dict[str, tuple[type, ...]] = {
            "model": (str,), "data": (str,), "data_dir": (str, type(None)), "epochs": (int,), "batch_size": (int,),
            "optimizer": (str,), "lr": (int, float, type(None)), "momentum": (int, float), "nesterov": (bool,),
            "init": (str,), "l2": (int, float), "dropout": (int, float), "early_stopping": (int, type(None)),
            "augment_negative": (bool,), "negate_test": (bool,), "limit": (int, type(None)), "seed": (int,)}
        names = {f.name for f in fields(cls)}
        for key, value in data.items():
            wanted = kinds.get(key)
            if wanted is not None and (not isinstance(value, wanted) or (isinstance(value, bool)
                                                                         and bool not in wanted)):
                raise invalid(f"train_config.{key}", str(value)[:60], "a " + " or ".join(t.__name__ for t in wanted))
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class TrainResult:
    """What :func:`run` returns."""

    model: Sequential
    history: History
    test_accuracy: float
    test_loss: float
    negated_test_accuracy: float | None = None
    config: TrainConfig = field(default_factory=TrainConfig)
    dataset: str = ""

    def to_dict(self) -> dict[str, Any]:
        """``{"epochs": [...], "test_accuracy": ..., ["negated_test_accuracy": ...], "config": {...}}``."""
        out: dict[str, Any] = {"epochs": self.history.to_dict()["epochs"], "test_accuracy": self.test_accuracy,
                               "test_loss": self.test_loss}
        if self.negated_test_accuracy is not None:
            out["negated_test_accuracy"] = self.negated_test_accuracy
        out["stopped_early"] = self.history.stopped_early
        out["loss_input"] = self.model.loss_input
        out["config"] = self.config.to_dict()
        out["dataset"] = self.dataset
        return out


def describe_loss(model: Sequential) -> str:
    """One line saying what the loss is computed from (:attr:`Sequential.loss_input`), for the output of a run."""
    name = model.loss.name if model.loss is not None else "no loss"
    how = {
        "softmax": "on the final Softmax (computed from the logits before it, fused)",
        "logits": "from logits: the model ends in Dense without Softmax, so the loss applies log-softmax "
                  "itself, as PyTorch's CrossEntropyLoss",
        "probabilities": "on the model's outputs as they are",
    }[model.loss_input]
    return f"loss: {name} {how}"


def _model_shape(config: TrainConfig) -> tuple[int, ...] | None:
    """The input shape the model text states (a preset's, or ``input(...)`` in a spec), if any."""
    from convcalc.spec import load_stack

    return load_stack(config.model, require_shape=False)[1]


def prepare_data(config: TrainConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
    """``(x_train, y_train, x_test, y_test, description)`` ready for the model of ``config``."""
    data = load_dataset(config.data, data_dir=config.data_dir)
    x_train, y_train, x_test, y_test = data.x_train, data.y_train, data.x_test, data.y_test
    if config.limit is not None:
        if isinstance(config.limit, bool) or not isinstance(config.limit, int) or config.limit < 10:
            raise invalid("limit", config.limit, "an int >= 10")
        if config.limit < len(x_train):
            _, keep = stratified_split(y_train, config.limit, seed=config.seed)
            x_train, y_train = x_train[keep], y_train[keep]
    wanted = _model_shape(config)
    if wanted is not None and len(wanted) == 3 and tuple(wanted[1:]) != tuple(x_train.shape[2:]):
        if wanted[1] >= x_train.shape[2] and wanted[2] >= x_train.shape[3]:
            x_train, x_test = pad_to(x_train, wanted[1:]), pad_to(x_test, wanted[1:])
    if config.augment_negative:
        x_train, y_train = half_negated(x_train, y_train, seed=config.seed)
    return x_train, y_train, x_test, y_test, repr(data)


def build_model(config: TrainConfig, input_shape: tuple[int, ...]) -> Sequential:
    """The compiled model of ``config`` for images of ``input_shape`` (channels first)."""
    if isinstance(config.dropout, bool) or not isinstance(config.dropout, (int, float)) or not 0 <= config.dropout < 1:
        raise invalid("dropout", config.dropout, "a number in [0, 1)")
    model = Sequential.from_spec(config.model, input_shape, init=config.init, seed=config.seed,
                                 kernel_regularizer=L2(config.l2) if config.l2 else None)
    if config.dropout:
        layers = list(model.layers)
        dense = [i for i, s in enumerate(layers) if isinstance(s, specs.Dense)]
        if model.graph is not None:
            raise invalid("dropout", config.dropout, "0 for a branching model (write dropout(...) into its spec)")
        if not dense:
            raise invalid("dropout", config.dropout, "0 for a model without a Dense layer")
        layers.insert(dense[-1], specs.Dropout(config.dropout))
        model = Sequential(layers, input_shape, init=config.init, seed=config.seed,
                           kernel_regularizer=model.kernel_regularizer)
    optimizer = config.optimizer.lower()
    options: dict[str, Any] = {"lr": config.learning_rate()}
    if optimizer == "sgd":
        options.update(momentum=config.momentum, nesterov=config.nesterov)
    elif config.momentum or config.nesterov:
        raise invalid("momentum", config.momentum, "0 with Adam (its betas play that role)")
    model.compile(optimizer, "sparse_categorical_crossentropy", ["accuracy"], **options)
    return model


def check_memory(config: TrainConfig, input_shape: tuple[int, ...], samples: int, eval_samples: int,
                 max_memory: int | str | None = None, *, data_bytes: int = 0) -> budget.MemoryEstimate:
    """Estimate the memory of training ``config`` (:func:`convcalc.nn.budget.estimate_memory`) from the specs
    (plus ``data_bytes`` for the dataset) and refuse (``ConvCalcError``) when it exceeds ``max_memory``
    (default: the memory available)."""
    from dataclasses import replace

    from convcalc.spec import load_stack

    limit = budget.parse_size(max_memory) if max_memory is not None else None
    layers, shape = load_stack(config.model, tuple(input_shape))
    estimate = budget.estimate_memory(layers, shape, config.batch_size, optimizer=config.optimizer,
                                      momentum=config.momentum, samples=samples, eval_samples=eval_samples)
    estimate = replace(estimate, data=data_bytes)
    name = config.model if len(config.model) <= 60 else config.model[:57] + "..."
    budget.check_memory(estimate, limit, what=f"Training {name!r}")
    return estimate


def planned_input(config: TrainConfig) -> tuple[tuple[int, ...], int, int] | None:
    """``(input_shape, train samples, test samples)`` of ``config`` from the dataset's standard sizes
    (:data:`convcalc.data.loaders.STANDARD_SIZES`), padded and limited as :func:`prepare_data` will do, before
    anything is loaded; None for an unknown dataset name (:func:`prepare_data` says what is wrong)."""
    from convcalc.data.loaders import STANDARD_SIZES, standard_name

    key = standard_name(config.data)
    if key is None:
        return None
    shape, n_train, n_test = STANDARD_SIZES[key]
    if isinstance(config.limit, int) and not isinstance(config.limit, bool) and config.limit >= 10:
        n_train = min(n_train, config.limit)
    wanted = _model_shape(config)
    if wanted is not None and len(wanted) == 3 and wanted[1] >= shape[1] and wanted[2] >= shape[2]:
        shape = (shape[0], wanted[1], wanted[2])
    return shape, n_train, n_test


def _fit(model: Sequential, config: TrainConfig, arrays: tuple[np.ndarray, ...], callbacks: list[Callback],
         checkpoint: str | os.PathLike[str] | None, resuming: bool, interrupt_path: str | os.PathLike[str] | None,
         dataset: str) -> TrainResult:
    x_train, y_train, x_test, y_test = arrays
    callbacks = list(callbacks)
    if config.early_stopping is not None:
        callbacks.append(EarlyStopping("val_loss", patience=config.early_stopping))
    model.extra = {"train_config": config.to_dict()}
    try:
        history = model.fit(x_train, y_train, config.batch_size, config.epochs, validation_data=(x_test, y_test),
                            callbacks=callbacks, checkpoint=checkpoint, resume=resuming)
    except TrainingInterrupted as stop:
        if stop.checkpoint is None and stop.state is not None and interrupt_path is not None:
            try:
                model.save(interrupt_path, state=stop.state, extra=model.extra)
                stop.checkpoint = interrupt_path
            except ConvCalcError as error:  # e.g. a full disk: say so with the interruption
                stop.history.problems.append(str(error))
        raise
    except TrainingDiverged as error:
        kept = f" The last good checkpoint is kept in '{checkpoint}'." if checkpoint and os.path.exists(checkpoint) else ""
        raise TrainingDiverged(str(error) + kept, error.history, error.epoch, error.batch) from None
    test = model.evaluate(x_test, y_test)
    negated = model.evaluate(negate(x_test), y_test)["accuracy"] if config.negate_test else None
    history.meta = {"config": config.to_dict(), "dataset": dataset, "test_accuracy": test["accuracy"]}
    if negated is not None:
        history.meta["negated_test_accuracy"] = negated
    return TrainResult(model, history, test["accuracy"], test["loss"], negated, config, dataset)


def run(config: TrainConfig, callbacks: list[Callback] | tuple[Callback, ...] = (), *,
        checkpoint: str | os.PathLike[str] | None = None,
        interrupt_path: str | os.PathLike[str] | None = None,
        max_memory: int | str | None = None) -> TrainResult:
    """Train the model ``config`` describes on its dataset and test it.

    Parameters
    ----------
    config : TrainConfig
    callbacks : list of Callback
        Progress reporting and the like.
    checkpoint : path, optional
        Save the model with its resume point here after every epoch and on Ctrl-C.
    interrupt_path : path, optional
        Where to save the resume point on Ctrl-C when ``checkpoint`` is not given.
    max_memory : int or str, optional
        Refuse to train when the memory estimated from the specs (:mod:`convcalc.nn.budget`)
        exceeds this (bytes, or ``"8G"``...); defaults to the memory available on the machine.
        Checked after the data is loaded and before the model is built.

    Raises
    ------
    TrainingDiverged
        NaN/inf loss; the message says where the last good checkpoint is.
    TrainingInterrupted
        Ctrl-C; ``.checkpoint`` is the file to resume from.
    """
    planned = planned_input(config)
    if planned is not None:  # before the data is loaded: its images count too (float32, padded)
        shape, n_train, n_test = planned
        images = (2 * n_train if config.augment_negative else n_train) + n_test
        check_memory(config, shape, n_train, n_test, max_memory, data_bytes=4 * images * math.prod(shape))
    x_train, y_train, x_test, y_test, dataset = prepare_data(config)
    if planned is None or tuple(x_train.shape[1:]) != planned[0]:
        check_memory(config, tuple(x_train.shape[1:]), len(x_train), len(x_test), max_memory)
    model = build_model(config, tuple(x_train.shape[1:]))
    return _fit(model, config, (x_train, y_train, x_test, y_test), list(callbacks), checkpoint, False,
                interrupt_path, dataset)


def resume(path: str | os.PathLike[str], callbacks: list[Callback] | tuple[Callback, ...] = (), *,
           epochs: int | None = None, checkpoint: str | os.PathLike[str] | None = None,
           max_memory: int | str | None = None) -> TrainResult:
    """Continue the run saved in ``path`` (by an interrupted :func:`run`) with its own options.

    ``epochs`` may raise the total number of epochs. The checkpoint keeps being written to
    ``checkpoint`` (defaults to ``path``).
    """
    model = Sequential.load(path)
    saved = model.extra.get("train_config")
    if saved is None:
        raise ConvCalcError(f"'{path}' has no training options; it was not written by convcalc train.")
    if model.resume_state is None:
        raise ConvCalcError(f"'{path}' holds a finished model, not an interrupted run; nothing to resume.")
    check_train_state(model.resume_state, model.resume_state.get("perm"), path)
    try:
        config = TrainConfig.from_dict(saved)
    except ConvCalcError as error:
        raise ConvCalcError(f"'{path}' is a damaged convcalc checkpoint: {error}") from None
    if epochs is not None:
        config.epochs = epochs
    x_train, y_train, x_test, y_test, dataset = prepare_data(config)
    check_memory(config, model.input_shape, len(x_train), len(x_test), max_memory)
    return _fit(model, config, (x_train, y_train, x_test, y_test), list(callbacks),
                checkpoint if checkpoint is not None else path, True, None, dataset)


def evaluate_saved(path: str | os.PathLike[str], data: str = "mnist5k", *, data_dir: str | None = None,
                   negate_images: bool = False) -> dict[str, Any]:
    """Accuracy and loss of the model saved at ``path`` on a dataset's test set (padded to fit if needed)."""
    model = Sequential.load(path)
    dataset = load_dataset(data, data_dir=data_dir)
    x, y = dataset.x_test, dataset.y_test
    shape = model.input_shape
    if len(shape) == 3 and tuple(shape[1:]) != tuple(x.shape[2:]) and shape[1] >= x.shape[2] and shape[2] >= x.shape[3]:
        x = pad_to(x, shape[1:])
    if negate_images:
        x = negate(x)
    if model.loss is None or model.loss.name == "categorical_crossentropy":  # integer labels here
        model.loss, model.metrics = get_loss("sparse_categorical_crossentropy"), ("accuracy",)
    logs = model.evaluate(x, y)
    return {"model": str(path), "dataset": dataset.name, "samples": int(len(x)), "negated": negate_images,
            "accuracy": logs["accuracy"], "loss": logs["loss"]}
