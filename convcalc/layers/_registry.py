"""The layer registry: every layer type declares, next to its class, how the spec language and the
trainer reach it.

A layer type lives in one module of :mod:`convcalc.layers`. Its class answers the
numeric questions (``output_shape``, ``param_count``, ``macs``, ``macs_under`` for
every counting convention, ``activation_size``, ``rf_step``, ``describe``); the
:func:`register` decorator on the class declares the rest:

- ``names``: its names in the spec language, normalised (lower case, no underscores,
  no ``nn.``/``layers.`` prefix): Keras's, PyTorch's and the short ones;
- ``positional``: the positional order of those names (Keras's order for Keras and
  short names), and ``name_positional`` for a name whose framework orders them otherwise
  (Keras's ``BatchNormalization(axis, ...)``);
- ``torch_names`` and ``torch_positional``: PyTorch's exact spellings (``Conv2d``,
  ``LazyConv2d``, ...), which take PyTorch's positional order, starting with the
  input channels/features (checked against the real shape);
- ``defaults``: values the spec fills in when a name leaves them out (Keras's
  ``pool_size=2``);
- ``trains``: the dotted path of the :mod:`convcalc.nn` module that trains it, or
  ``None`` with ``not_trained`` saying why;
- ``activation``: whether Keras's ``activation='...'`` strings may name it;
- ``extra_args`` and ``adapt``: spec arguments that are not fields, and the hook
  that turns them (with the name as written) into the class and fields to build,
  e.g. Keras's ``ReLU(max_value=6)`` into :class:`ReLU6`.

:mod:`convcalc.spec.names` builds the vocabulary from :data:`REGISTRY`;
:mod:`convcalc.layers.conventions` asks each layer for its count;
``tests/test_registry.py`` fails when a registered layer lacks any piece (see
``docs/adding-a-layer.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

from convcalc.errors import ConvCalcError

#: The counting conventions a layer answers itself (``flops`` is twice ``torchvision``).
LAYER_CONVENTIONS = ("torchvision", "torchinfo", "fvcore", "ptflops", "thop")


def unknown_convention(layer: object, convention: str) -> ConvCalcError:
    """The error for a convention a layer does not know (never a silent 0)."""
    return ConvCalcError(f"{type(layer).__name__} does not say how convention {convention!r} counts it; "
                         f"known: {', '.join(LAYER_CONVENTIONS)}")


@dataclass(frozen=True)
class LayerInfo:
    """What the spec language and the trainer need to know about one layer class."""

    cls: type
    names: tuple[str, ...]
    positional: tuple[str, ...] = ()
    torch_names: tuple[str, ...] = ()
    torch_positional: tuple[str, ...] | None = None
    defaults: dict[str, Any] = field(default_factory=dict)
    trains: str | None = None
    not_trained: str = ""
    summary: str = ""
    extra_args: tuple[str, ...] = ()
    adapt: Callable[[str, dict[str, Any]], tuple[type, dict[str, Any]]] | None = None
    activation: bool = False
    name_positional: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The class name, e.g. ``"Conv2D"``."""
        return self.cls.__name__


#: Class name -> :class:`LayerInfo`, in registration order.
REGISTRY: dict[str, LayerInfo] = {}
#: Bumped on every change of :data:`REGISTRY`, so the spec vocabulary knows to rebuild itself.
VERSION = [0]

T = TypeVar("T", bound=type)


def normal(name: str) -> str:
    """A spec name as the vocabulary stores it: last dotted part, lower case, no underscores.

    >>> normal("tf.keras.layers.Conv2D"), normal("max_pool")
    ('conv2d', 'maxpool')
    """
    return name.rsplit(".", 1)[-1].lower().replace("_", "")


def register(*, names: tuple[str, ...], positional: tuple[str, ...] = (), torch_names: tuple[str, ...] = (),
             torch_positional: tuple[str, ...] | None = None, defaults: dict[str, Any] | None = None,
             trains: str | None = None, not_trained: str = "", summary: str = "", extra_args: tuple[str, ...] = (),
             adapt: Callable[[str, dict[str, Any]], tuple[type, dict[str, Any]]] | None = None,
             activation: bool = False, name_positional: dict[str, tuple[str, ...]] | None = None
             ) -> Callable[[T], T]:
    """Class decorator: add the class to :data:`REGISTRY` with its spec names and trainer.

    Raises
    ------
    ConvCalcError
        A name already taken by another class, a PyTorch spelling without a PyTorch
        order, or no trainer and no reason.
    """
    def decorate(cls: T) -> T:
        info = LayerInfo(cls, tuple(normal(n) for n in names), tuple(positional), tuple(torch_names),
                         None if torch_positional is None else tuple(torch_positional), dict(defaults or {}),
                         trains, not_trained, summary or (cls.__doc__ or "").strip().splitlines()[0],
                         tuple(extra_args), adapt, activation,
                         {normal(k): tuple(v) for k, v in (name_positional or {}).items()})
        if torch_names and torch_positional is None:
            raise ConvCalcError(f"{cls.__name__}: PyTorch spellings need torch_positional")
        if trains is None and not not_trained:
            raise ConvCalcError(f"{cls.__name__}: say which convcalc.nn module trains it, or why none does")
        taken = {n: other.name for other in REGISTRY.values() for n in other.names if other.cls is not cls}
        clash = [n for n in info.names if n in taken]
        if clash:
            raise ConvCalcError(f"{cls.__name__}: spec name {clash[0]!r} is already {taken[clash[0]]}'s")
        REGISTRY[cls.__name__] = info
        VERSION[0] += 1
        return cls

    return decorate


def unregister(name: str) -> None:
    """Remove class ``name`` from the registry (and so from the spec language)."""
    del REGISTRY[name]
    VERSION[0] += 1
