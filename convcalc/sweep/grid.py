"""Grids of training runs: parsing ``--grid NAME=V1,V2`` and sweep TOML files, expanding them into runs.

A grid names options of ``convcalc train`` -- the fields of
:class:`convcalc.nn.session.TrainConfig` -- and the values each takes. The runs
are every combination (the Cartesian product, the first name varying
slowest, as :func:`itertools.product`), optionally crossed with a list of
*variants*: hand-written configurations such as the seed homeworks' "lr=0.01,
lr=1, momentum 0.9, a second conv layer", which are not a product. The number
of runs is therefore ``len(variants) * prod(len(values) for each name)``.

A sweep file (TOML)::

    [train]              # fixed options of every run
    model = "hw5"
    epochs = 10

    [grid]               # every combination of these
    seed = [0, 1, 2]

    [[variants]]         # optional: these configurations, each crossed with the grid
    label = "lr=0.01"
    [[variants]]
    label = "momentum 0.9"
    momentum = 0.9

Values are typed by the field they set (an int for ``epochs``, a float for
``lr``, true/false for ``nesterov``, ``none`` for "the default" of an optional
field); a value of the wrong type, an unknown name (with the nearest valid
one suggested), an empty or repeated value, or a grid over ``max_runs`` runs is
a :class:`~convcalc.ConvCalcError` naming it.

Examples
--------
>>> spec = SweepSpec(base={"model": "hw5", "epochs": 1}, grid=parse_grid(["lr=0.01,1", "seed=0,1"]))
>>> spec.count(), [run.label for run in spec.runs()][:2]
(4, ['lr=0.01 seed=0', 'lr=0.01 seed=1'])
>>> parse_grid(["rl=0.1"])
Traceback (most recent call last):
...
convcalc.errors.ConvCalcError: Unknown grid parameter 'rl'; did you mean 'lr'? Valid names: ...
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import itertools
import json
import math
import re
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

from convcalc.errors import ConvCalcError, invalid, shown

__all__ = ["SweepSpec", "Run", "parse_grid", "parse_value", "load_sweep_file", "field_types", "check_name",
           "show_value", "DEFAULT_MAX_RUNS"]

#: Grids with more runs than this are refused unless ``--max-runs`` says otherwise.
DEFAULT_MAX_RUNS = 1000

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
_NONE = {"none", "null", "default"}
#: Lower bounds of the integer options, as ``convcalc train`` states them (``min=`` of its options).
_INT_MIN = {"epochs": 1, "batch_size": 1, "seed": 0, "early_stopping": 0, "limit": 10}


def _train_config() -> type:
    from convcalc.nn.session import TrainConfig

    return TrainConfig


@functools.lru_cache(maxsize=1)
def field_types() -> dict[str, tuple[str, bool]]:
    """``{name: (kind, optional)}`` for every TrainConfig field; kind is ``int``, ``float``, ``bool`` or ``str``.

    Examples
    --------
    >>> field_types()["lr"], field_types()["epochs"], field_types()["model"]
    (('float', True), ('int', False), ('str', False))
    """
    out = {}
    for f in fields(_train_config()):
        text = str(f.type).replace(" ", "")
        parts = set(text.split("|"))
        optional = "None" in parts
        kinds = parts - {"None"}
        if len(kinds) != 1 or next(iter(kinds)) not in ("int", "float", "bool", "str"):  # pragma: no cover
            raise ConvCalcError(f"TrainConfig.{f.name} has a type the sweep does not know: {f.type}")
        out[f.name] = (next(iter(kinds)), optional)
    return out


def defaults() -> dict[str, Any]:
    """TrainConfig's default for every field."""
    return {f.name: f.default for f in fields(_train_config()) if f.default is not MISSING}


def check_name(name: str, where: str = "grid parameter") -> str:
    """``name`` itself if it is a TrainConfig field (``-`` read as ``_``); otherwise a ConvCalcError
    listing the valid names with the nearest one suggested."""
    types = field_types()
    key = str(name).strip().replace("-", "_")
    if key in types:
        return key
    near = difflib.get_close_matches(key, list(types), n=1, cutoff=0.5)
    hint = f"; did you mean {near[0]!r}?" if near else "."
    raise ConvCalcError(f"Unknown {where} {name!r}{hint} Valid names: {', '.join(types)}.")


def parse_value(name: str, value: Any) -> Any:
    """``value`` (text from the command line, or a TOML value) as the type of the field ``name``.

    Examples
    --------
    >>> parse_value("lr", "1e-5"), parse_value("epochs", "3"), parse_value("nesterov", "yes"), parse_value("lr", "none")
    (1e-05, 3, True, None)
    """
    kind, optional = field_types()[name]
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise invalid(name, value, f"a non-empty {kind} value")
        if optional and text.lower() in _NONE:
            return None
        if kind == "str":
            return text
        if kind == "bool":
            if text.lower() in _TRUE | _FALSE:
                return text.lower() in _TRUE
            raise invalid(name, value, "true or false")
        if kind in ("int", "float") and not text.isascii():  # int() and float() also read other scripts' digits
            raise invalid(name, value, f"{'an int' if kind == 'int' else 'a number'} written with the digits 0-9")
        if kind == "int":
            if not re.fullmatch(r"[+-]?[0-9]+", text):
                raise invalid(name, value, "an int" + (" or none" if optional else ""))
            value = int(text)
        else:
            try:
                value = float(text)
            except ValueError:
                raise invalid(name, value, "a number" + (" or none" if optional else "")) from None
    if value is None and optional:
        return None
    if kind == "bool":
        if not isinstance(value, bool):
            raise invalid(name, value, "true or false")
        return value
    if kind == "str":
        if not isinstance(value, str):
            raise invalid(name, value, "a string")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise invalid(name, value, f"{'an int' if kind == 'int' else 'a number'}" + (" or none" if optional else ""))
    if kind == "int":
        if isinstance(value, float):
            raise invalid(name, value, "an int")
        low = _INT_MIN.get(name)
        if low is not None and value < low:
            raise invalid(name, value, f"an int >= {low}")
        return int(value)
    if not math.isfinite(value):
        raise invalid(name, value, "a finite number")
    return float(value)


def _split_values(text: str) -> list[str]:
    """Split on commas outside brackets, so a model spec such as ``conv(32,3) relu`` stays one value."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _checked_values(name: str, values: list[Any], where: str) -> list[Any]:
    if not values:
        raise ConvCalcError(f"The grid of {name!r} {where} is empty; give at least one value.")
    typed = [parse_value(name, v) for v in values]
    seen: set[Any] = set()  # the values of one option have one type, so == is the right test
    for v in typed:
        if v in seen:
            raise ConvCalcError(f"The grid of {name!r} {where} repeats the value {v!r}; each value once.")
        seen.add(v)
    return typed


def parse_grid(items: list[str] | tuple[str, ...]) -> dict[str, list[Any]]:
    """``["lr=0.01,1,1e-5", "optimizer=sgd,adam"]`` as ``{"lr": [0.01, 1.0, 1e-05], "optimizer": ["sgd", "adam"]}``.

    Examples
    --------
    >>> parse_grid(["lr=0.01,1", "model=conv(4,3) relu flatten dense(10) softmax,hw5"])
    {'lr': [0.01, 1.0], 'model': ['conv(4,3) relu flatten dense(10) softmax', 'hw5']}
    """
    grid: dict[str, list[Any]] = {}
    for item in items:
        if "=" not in str(item):
            raise ConvCalcError(f"Malformed --grid {item!r}: write NAME=V1,V2,... (for example lr=0.01,0.1).")
        name, _, text = str(item).partition("=")
        key = check_name(name.strip())
        if key in grid:
            raise ConvCalcError(f"--grid names {key!r} twice; give all its values in one --grid {key}=V1,V2.")
        values = [] if not text.strip() else _split_values(text)
        if any(not v.strip() for v in values):
            raise ConvCalcError(f"Malformed --grid {item!r}: an empty value between commas.")
        grid[key] = _checked_values(key, values, "in --grid")
    return grid


@dataclass(frozen=True)
class Run:
    """One run of a sweep: its full options (every TrainConfig field), its id and label.

    ``values`` are the options the sweep varies (with their values in this run);
    ``group`` identifies the configuration without its seed, for means over seeds.
    """

    config: dict[str, Any]
    values: dict[str, Any]
    label: str
    index: int

    @property
    def id(self) -> str:
        """A stable id from the options alone (so ``--resume`` finds a run whatever its position)."""
        return config_hash(self.config)

    @property
    def group(self) -> str:
        """The label of the configuration without ``seed``."""
        return " ".join(f"{k}={show_value(v)}" for k, v in self.values.items() if k != "seed") or "(all)"


def config_hash(config: dict[str, Any]) -> str:
    """12 hex digits of SHA-1 over the options as canonical JSON."""
    return hashlib.sha1(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:12]


def show_value(value: Any) -> str:
    """A value as run labels and tables show it: floats in ``%g`` (``1e-05``, ``0.01``), the rest as ``str``.

    Examples
    --------
    >>> show_value(1e-5), show_value(0.010), show_value("hw5"), show_value(None)
    ('1e-05', '0.01', 'hw5', 'None')
    """
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@dataclass
class SweepSpec:
    """A sweep: fixed options, a grid (name -> values) and optional variants (label + options).

    ``runs()`` expands it (variants outermost, then the grid in the order given).
    """

    base: dict[str, Any] = field(default_factory=dict)
    grid: dict[str, list[Any]] = field(default_factory=dict)
    variants: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.base = {check_name(k, "option"): parse_value(check_name(k, "option"), v) for k, v in self.base.items()}
        self.grid = {check_name(k): _checked_values(check_name(k), list(v), "in the grid")
                     for k, v in self.grid.items()}
        cleaned = []
        for i, variant in enumerate(self.variants):
            options = {k: v for k, v in variant.items() if k != "label"}
            label = variant.get("label")
            if label is not None and not isinstance(label, str):
                raise invalid(f"variants[{i}].label", label, "a string")
            typed = {check_name(k, "variant option"): parse_value(check_name(k, "variant option"), v)
                     for k, v in options.items()}
            for name in typed:
                if name in self.grid:
                    raise ConvCalcError(f"{name!r} is set both by a variant and by the grid; set it in one place.")
            cleaned.append({"label": label, **typed})
        self.variants = cleaned

    def count(self) -> int:
        """How many runs the sweep has."""
        return max(len(self.variants), 1) * math.prod(len(v) for v in self.grid.values())

    def varied(self) -> list[str]:
        """Names whose value differs between runs: variant options first, then grid names with 2+ values."""
        names: list[str] = []
        for variant in self.variants:
            names += [k for k in variant if k != "label" and k not in names]
        return names + [k for k, v in self.grid.items() if len(v) > 1 and k not in names]

    def check_size(self, max_runs: int = DEFAULT_MAX_RUNS) -> int:
        """The number of runs; a ConvCalcError when there are none to vary or more than ``max_runs``."""
        if not self.grid and not self.variants:
            raise ConvCalcError("The sweep has no grid: give --grid NAME=V1,V2 (for example --grid lr=0.01,0.1) "
                                "or a sweep file with a [grid] table or [[variants]].")
        n = self.count()
        if n > max_runs:
            counts = ([len(self.variants)] if self.variants else []) + [len(v) for v in self.grid.values()]
            sizes = " x ".join(map(str, counts))
            raise ConvCalcError(f"The grid has {n:,} runs ({sizes}), more than --max-runs {max_runs:,}; "
                                f"make it smaller or raise --max-runs.")
        return n

    def runs(self) -> list[Run]:
        """Every run, in order: variants outermost, then the grid's product."""
        base = {**defaults(), **self.base}
        names = list(self.grid)
        variants = self.variants or [{"label": None}]
        shown_variants = len(self.variants) > 1 or any(v["label"] for v in self.variants)
        out: list[Run] = []
        for variant in variants:
            options = {k: v for k, v in variant.items() if k != "label"}
            for combo in itertools.product(*(self.grid[n] for n in names)):
                config = {**base, **options, **dict(zip(names, combo))}
                values = dict(options)
                values.update({n: c for n, c in zip(names, combo) if len(self.grid[n]) > 1})
                parts = [f"{n}={show_value(c)}" for n, c in zip(names, combo) if len(self.grid[n]) > 1]
                if shown_variants:
                    name = variant["label"] or " ".join(f"{k}={show_value(v)}" for k, v in options.items()) or "base"
                    values = {"variant": name, **{n: values[n] for n in values if n not in options}}
                    parts.insert(0, name)
                out.append(Run(config, values, " ".join(parts) or "base", len(out)))
        return out


def _read_toml(path: Path) -> dict[str, Any]:
    if "\x00" in str(path):
        raise ConvCalcError(f"The sweep file name {shown(str(path))} has a NUL character.")
    try:
        import tomllib
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[no-redef,import-not-found]
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except OSError as error:
        raise ConvCalcError(f"Cannot read the sweep file {shown(str(path))}: {error.strerror or error}.") from None
    except tomllib.TOMLDecodeError as error:
        raise ConvCalcError(f"The sweep file {shown(str(path))} is not valid TOML: {error}.") from None
    except RecursionError:
        raise ConvCalcError(f"The sweep file {shown(str(path))} is not valid TOML: nested too deeply.") from None
    except ValueError:  # an int of more than 4,300 digits (Python's int-to-string limit), raised inside tomllib
        raise ConvCalcError(f"The sweep file {shown(str(path))}: a number in it has more than 4,300 digits.") from None
    except UnicodeDecodeError:
        raise ConvCalcError(f"The sweep file {shown(str(path))} is not UTF-8 text.") from None


def load_sweep_file(path: str | Path) -> SweepSpec:
    """Read a sweep TOML file (tables ``[train]``, ``[grid]``, ``[[variants]]``; nothing else)."""
    path = Path(path)
    data = _read_toml(path)
    unknown = set(data) - {"train", "grid", "variants"}
    if unknown:
        tables = ", ".join(sorted(shown(name) for name in unknown))
        raise ConvCalcError(f"The sweep file {shown(str(path))} has unknown table(s) {tables}; "
                            "it may have [train], [grid] and [[variants]].")
    base, grid, variants = data.get("train", {}), data.get("grid", {}), data.get("variants", [])
    if not isinstance(base, dict):
        raise ConvCalcError(f"In {shown(str(path))}, [train] must be a table of options (name = value).")
    if not isinstance(grid, dict):
        raise ConvCalcError(f"In {shown(str(path))}, [grid] must be a table of lists (name = [v1, v2]).")
    for name, values in grid.items():
        if not isinstance(values, list):
            raise ConvCalcError(f"In {shown(str(path))}, grid {shown(name)} must be a list of values, "
                                f"e.g. lr = [0.01, 0.1]; got {shown(values)}.")
    both = sorted(set(base) & set(grid)) if isinstance(base, dict) and isinstance(grid, dict) else []
    if both:
        raise ConvCalcError(f"In {shown(str(path))}, {', '.join(map(shown, both))} is set both in [train] and in "
                            "[grid]; set it in one place.")
    if not isinstance(variants, list) or not all(isinstance(v, dict) for v in variants):
        raise ConvCalcError(f"In {shown(str(path))}, variants must be an array of tables ([[variants]]).")
    try:
        return SweepSpec(base=dict(base), grid={k: list(v) for k, v in grid.items()}, variants=list(variants))
    except ConvCalcError as error:
        raise ConvCalcError(f"In {shown(str(path))}: {error}") from None
