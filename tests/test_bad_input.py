"""The bad-input suite: every command, every option, every class of hostile value (issues 15, 17).

One test per command and option (or file kind). Each runs its table of hostile values through a
worker process (``tests/hostile.py``: in-process ``CliRunner``, a time limit per case, a memory
cap) and asserts, for every value: it ends within the time limit, with exit status 0, 1 or 2
(never 3 = internal error), with no traceback, and, when it exits 2, with one ``error:`` line that
names the parameter. Values that are not integers where an integer goes, and code, must be
refused (exit 2). File cases also check that nothing outside the answer folder is read or
echoed, that no code runs (a marker file would appear), and that outputs are not overwritten.

Set ``HOSTILE_REPORT=path.json`` to also write every problem found to a file.
"""

from __future__ import annotations

import gzip
import json
import os
import pickle
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pytest

from tests import hostile
from tests.hostile import ALL_VALUES, EDGE, INJECTIONS, NOT_INTEGERS, Outcome, Worker

SECRET = "SECRET-7f3a9c"  # in files outside the answer folder: must never appear in any output


@dataclass
class Case:
    """One command line and what it must do."""

    label: str
    args: list[str]
    names: tuple[str, ...] = ()
    expect: int | frozenset[int] | None = None  # None: any of 0, 1, 2
    stdin: str | bytes | None = None
    after: Callable[[Outcome], list[str]] | None = None  # extra checks once it ran
    timeout: float = hostile.TIME_LIMIT
    env: dict[str, str] | None = None  # environment variables set for this case


# ---------------------------------------------------------------------------------------------
# Value tables per kind of option
# ---------------------------------------------------------------------------------------------

#: The value classes of the reduced table (options whose values go through the same parser as an
#: option that gets the full table, and the slow train command).
SMALL_REFUSE = {"fraction", "exponent float", "nan", "inf", "True", "None", "complex", "NUL inside", "empty",
                "power tower 9**9**9", "deep parentheses", "__import__", "attribute access", "conditional", "generator",
                "arabic-indic digits", "fullwidth digits"}
SMALL_EDGE = {"10,000 digits", "zero", "minus one", "long digits 200 kB", "many dimensions", "power tower 2**2**2**2**2"}


def int_values(names: Iterable[str], build: Callable[[str], list[str]], *, small: bool = False) -> list[Case]:
    """Cases for an option that takes integer sizes (or symbolic sizes): every class.

    ``small`` keeps the reduced set (:data:`SMALL_REFUSE`, :data:`SMALL_EDGE`)."""
    names = tuple(names)
    cases = []
    refuse = {**NOT_INTEGERS, **INJECTIONS}
    edge = EDGE
    if small:
        refuse = {k: v for k, v in refuse.items() if k in SMALL_REFUSE}
        edge = {k: v for k, v in EDGE.items() if k in SMALL_EDGE}
    for label, value in refuse.items():
        cases.append(Case(label, build(value), names, expect=2))
    for label, value in edge.items():
        cases.append(Case(label, build(value), names))
    return cases


def float_values(names: Iterable[str], build: Callable[[str], list[str]]) -> list[Case]:
    """Cases for a float option (learning rate, momentum, ...): nan/inf and non-numbers refused."""
    names = tuple(names)
    refuse = {"nan": "nan", "minus nan": "-nan", "inf": "inf", "minus inf": "-inf", "True": "True",
              "None": "None", "complex": "1j", "fraction": "1/2", "NUL": "0.1\x00", "empty": "",
              "__import__": INJECTIONS["__import__"], "power tower": "9**9**9",
              "10,000 digits": hostile.HUGE_DIGITS}
    cases = [Case(label, build(value), names, expect=2) for label, value in refuse.items()]
    for label, value in {"minus one": "-1", "huge": "1e308", "tiny": "1e-320", "arabic-indic": "\u0661",
                         "1 MB": "1" * 1_000_000}.items():
        cases.append(Case(label, build(value), names))
    return cases


def word_values(names: Iterable[str], build: Callable[[str], list[str]], *, refuse_all: bool = True) -> list[Case]:
    """Cases for an option that takes a word from a list (enum) or a free string."""
    names = tuple(names)
    keep = ["empty", "NUL inside", "nan", "True", "None", "emoji", "__import__", "attribute access", "eval",
            "long string 1 MB", "newline inside", "RTL mark", "deep parentheses", "10,000 digits"]
    return [Case(k, build(ALL_VALUES[k]), names, expect=2 if refuse_all else None) for k in keep]


def run_cases(worker: Worker, cases: list[Case], cwd: Path) -> list[str]:
    """Run ``cases``; one line per problem found."""
    report = []
    for case in cases:
        outcome = worker.run(case.args, cwd=cwd, stdin=case.stdin, timeout=case.timeout, env=case.env)
        if os.environ.get("HOSTILE_TIMINGS"):
            with open(os.environ["HOSTILE_TIMINGS"], "a", encoding="utf-8") as f:
                f.write(f"{outcome.seconds:.4f}\t{case.label}\t{hostile.describe(outcome, 60)[:150]!r}\n")
        found = hostile.problems(outcome, case.names, case.expect)
        for stream in (outcome.stdout, outcome.stderr):
            if SECRET in stream:
                found.append("prints the contents of a file outside the answer folder")
        if not outcome.timed_out and case.after is not None:
            found += case.after(outcome)
        if "--json" in case.args and outcome.code in (0, 1):
            try:  # autograders parse it: whatever the input, --json output is one JSON document
                json.loads(outcome.stdout)
            except ValueError as error:
                found.append(f"--json printed something that is not JSON ({error}): {outcome.stdout[:200]!r}")
        if (cwd / "PWNED").exists():
            found.append("CODE RAN: the marker file PWNED was written")
            (cwd / "PWNED").unlink()
        for problem in found:
            report.append(f"[{case.label}] {hostile.describe(outcome)} -> {problem}")
        if outcome.seconds > SLOW and not outcome.timed_out and os.environ.get("HOSTILE_REPORT"):
            with open(os.environ["HOSTILE_REPORT"], "a", encoding="utf-8") as f:
                f.write(json.dumps({"group": "slow", "problem": f"[{case.label}] {hostile.describe(outcome)} -> "
                                    f"slow: {outcome.seconds:.1f} s (not a failure; the limit is {case.timeout:g} s)"}) + "\n")
    return report


#: Seconds past which a case is reported as slow in ``HOSTILE_REPORT`` (not a failure).
SLOW = 2.0


# ---------------------------------------------------------------------------------------------
# The arena: every hostile file, written once per module
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def worker() -> Iterable[Worker]:
    w = Worker()
    yield w
    w.kill()


@pytest.fixture(scope="module")
def arena(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of hostile files, written once; ``arena/answers`` is an answer folder and
    ``arena/outside`` holds a secret that answer files must not reach."""
    root = tmp_path_factory.mktemp("hostile")
    (root / "answers").mkdir()
    (root / "outside").mkdir()
    (root / "outside" / "secret.txt").write_text(f"{SECRET}\n1 2; 3 4\n")
    (root / "outside" / "secret.csv").write_text(f"1,2\n3,4\n{SECRET}\n")
    (root / "outside" / "secret.toml").write_text(f'[[question]]\nkind = "outsize"\nin = 16\nk = 3\nanswer = "{SECRET}"\n')
    (root / "a_directory").mkdir()
    (root / "invalid_utf8.txt").write_bytes(hostile.invalid_utf8("1 2; 3 4\n"))
    (root / "nul.txt").write_bytes(b"1 2;\x00 3 4\n")
    (root / "binary.bin").write_bytes(bytes(range(256)) * 64)
    (root / "long_line.txt").write_text("1 " * 100_000)
    np.save(root / "m2x2.npy", np.array([[1, 2], [3, 4]]))
    np.save(root / "one_d.npy", np.arange(5))
    np.save(root / "three_d.npy", np.zeros((2, 2, 2), dtype=np.int64))
    np.save(root / "floats_nan.npy", np.array([[np.nan, 1.0], [np.inf, 2.0]]))
    np.save(root / "complex.npy", np.array([[1j, 2], [3, 4]]))
    np.save(root / "bools.npy", np.array([[True, False], [False, True]]))
    np.save(root / "objects.npy", np.array([[1, "a"], [{}, None]], dtype=object), allow_pickle=True)
    np.save(root / "empty.npy", np.zeros((0, 0)))
    # An .npy header that declares 10^12 x 10^12 int64 and carries nothing after it.
    header = "{'descr': '<i8', 'fortran_order': False, 'shape': (1000000000000, 1000000000000), }"
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    (root / "declares_huge.npy").write_bytes(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
    np.savez(root / "m2x2.npz", x=np.array([[1, 2], [3, 4]]))
    (root / "npz_named.npy").write_bytes((root / "m2x2.npz").read_bytes())
    (root / "truncated.npy").write_bytes((root / "m2x2.npy").read_bytes()[:-20])
    (root / "big.csv").write_bytes(b"1," * 10_000 + b"1\n")  # one 10,001-wide row
    for name in ("big_100mb.txt", "big_100mb.npz", "big_100mb.json"):  # sparse: written instantly
        with open(root / name, "wb") as f:
            f.write(b"1 2; 3 4\n")
            f.truncate(100 * 2**20)
    # Matrices whose cells are huge or hostile
    (root / "huge_cell.txt").write_text(f"{hostile.HUGE_DIGITS} 1; 1 1")
    (root / "deep.txt").write_text("[" * 5000 + "1" + "]" * 5000)
    (root / "code.txt").write_text("[[__import__('os').system('touch PWNED'), 1], [1, 1]]")
    # Spec files
    (root / "spec_utf8.txt").write_bytes(hostile.invalid_utf8("conv(8,3) "))
    (root / "spec_nul.txt").write_bytes(b"conv(8,3)\x00 relu")
    (root / "spec_deep.txt").write_text(hostile.nested_conv(5000))
    (root / "spec_brackets.txt").write_text("res[" * 5000 + "conv(8,3)" + "]" * 5000)
    (root / "spec_long.txt").write_text("relu " * 200_001)  # just over MAX_SPEC_CHARS
    (root / "spec_5k_layers.txt").write_text("conv(8,3,p=1) " * 5_000)
    (root / "spec_code.py").write_text("import os\nos.system('touch PWNED')\nopen('PWNED', 'w')\n"
                                      "model = __import__('os').system('touch PWNED')\n")
    (root / "spec_deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (root / "escapes.json").write_text(json.dumps({"class_name": "Sequential", "config": {"name": "seq\x1b[2J", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 28, 28, 1], "name": "in\x1b[31m"}},
        {"class_name": "Conv2D", "config": {"name": "conv\x1b[2J", "filters": 8, "kernel_size": [3, 3], "strides": [1, 1],
                                            "padding": "valid", "activation": "relu"}},
        {"class_name": "Dense\x1b[2J", "config": {"name": "d\r", "units": 10}}]}}))
    (root / "escapes_print.txt").write_text("Net(\n  (c\x1b[2J): Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1))\n"
                                           "  (fc\r): Linear(in_features=10, out_features=2, bias=True)\n)\n")
    (root / "spec_garbage.onnx").write_bytes(b"\x08\x07\x12\x04" + bytes(range(256)) * 8)
    hostile.zip_bomb(root / "bomb.keras", inflated=3 * 1024**3, member="config.json")
    (root / "trunc.keras").write_bytes((root / "bomb.keras").read_bytes()[:500])
    return root


@pytest.fixture(scope="module")
def checkpoints(arena: Path, worker: Worker) -> Path:
    """A real checkpoint (one epoch on 64 samples) and damaged or hostile variants of it."""
    folder = arena / "ckpt"
    folder.mkdir()
    out = worker.run(["train", "--epochs", "1", "--limit", "64", "--save", str(folder / "good.npz"), "--json"],
                     cwd=folder, timeout=120)
    assert out.code == 0, (out.stdout[-500:], out.stderr[-500:], out.traceback[-2000:])
    good = (folder / "good.npz").read_bytes()
    (folder / "half.npz").write_bytes(good[: len(good) // 2])
    (folder / "empty.npz").write_bytes(b"")
    np.save(folder / "array.npy", np.zeros((3, 3)))
    (folder / "npy_renamed.npz").write_bytes((folder / "array.npy").read_bytes())
    hostile.zip_bomb(folder / "bomb.npz", inflated=3 * 1024**3, member="__meta__.npy")
    with np.load(folder / "good.npz", allow_pickle=False) as archive:
        arrays = {k: archive[k] for k in archive.files}
    meta = json.loads(str(arrays["__meta__"]))

    def variant(name: str, meta_value: object = None, drop: str | None = None, **replace: np.ndarray) -> None:
        parts = dict(arrays)
        if meta_value is not None:
            parts["__meta__"] = np.array(meta_value if isinstance(meta_value, str) else json.dumps(meta_value))
        if drop:
            parts.pop(drop)
        parts.update(replace)
        with open(folder / name, "wb") as f:
            np.savez(f, **parts)

    variant("missing_key.npz", drop="param/4.weight")
    variant("no_meta.npz", drop="__meta__")
    huge = json.loads(json.dumps(meta))
    huge["layers"][0]["filters"] = 10**12
    variant("huge_layer.npz", huge)
    huge_units = json.loads(json.dumps(meta))
    huge_units["layers"][4]["units"] = 10**12
    variant("huge_units.npz", huge_units)
    bad_shape = json.loads(json.dumps(meta))
    bad_shape["input_shape"] = [1, 10**9, 10**9]
    variant("huge_input.npz", bad_shape)
    variant("deep_meta.npz", "[" * 100_000 + "]" * 100_000)
    variant("meta_not_dict.npz", '"convcalc-model"')
    wrong = json.loads(json.dumps(meta))
    wrong["layers"] = "conv(8,3)"
    variant("layers_string.npz", wrong)
    variant("wrong_shape.npz", **{"param/0.weight": np.zeros((3, 3), dtype=np.float32)})
    variant("nan_weights.npz", **{"param/0.weight": np.full((32, 1, 3, 3), np.nan, dtype=np.float32)})
    with zipfile.ZipFile(folder / "pickled.npz", "w") as archive:  # an object array: needs a pickle
        import io

        buffer = io.BytesIO()
        np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
        archive.writestr("__meta__.npy", buffer.getvalue())
    state = json.loads(json.dumps(meta))
    state["train_state"] = {"epoch": 10**12, "permutation": [5, 5, 5], "rng": "garbage"}
    variant("bad_train_state.npz", state)
    return folder


# ---------------------------------------------------------------------------------------------
# Groups: (command, option) -> cases
# ---------------------------------------------------------------------------------------------

OUTSIZE = {"--in": "16", "--k": "3"}


def _with(base: dict[str, str], option: str, value: str, *extra: str, command: tuple[str, ...]) -> list[str]:
    args = [*command]
    for key, val in {**base, option: value}.items():
        args += [key, val]
    return args + list(extra)


def _names(option: str, *more: str) -> tuple[str, ...]:
    return (option, option.lstrip("-"), option.lstrip("-").replace("-", "_"), *more)


SIZE_NAMES = {
    "--in": ("size", "input", "in_size", "shape"),
    "--out": ("output", "size", "out_size"),
    "--target": ("target", "output", "size"),
    "--k": ("kernel", "kernel_size", "window", "pool_size"),
    "--s": ("stride",),
    "--p": ("padding", "padded"),
    "--d": ("dilation", "dilated"),
    "--output-padding": ("output_padding", "output padding"),
}


def _group_outsize() -> dict[str, Callable[..., list[Case]]]:
    groups: dict[str, Callable[..., list[Case]]] = {}
    variants = {"outsize": (), "outsize-transposed": ("--transposed",), "outsize-pool": ("--pool", "--ceil")}
    for name, flags in variants.items():
        options = ["--in", "--k", "--s", "--p", "--d"] + (["--output-padding"] if flags == ("--transposed",) else [])
        for option in options:
            def make(arena: Path, checkpoints: Path | None = None, option=option, flags=flags) -> list[Case]:
                return int_values(_names(option, *SIZE_NAMES[option]),
                                  lambda v: _with(OUTSIZE, option, v, *flags, command=("outsize",)),
                                  small=bool(flags) or option not in ("--in", "--k"))
            groups[f"{name} {option}"] = make
    groups["outsize --framework"] = lambda arena, checkpoints=None: word_values(
        _names("--framework"), lambda v: _with({**OUTSIZE, "--p": "same"}, "--framework", v, command=("outsize",)))
    groups["outsize --json"] = lambda arena, checkpoints=None: int_values(
        _names("--in", *SIZE_NAMES["--in"]), lambda v: _with(OUTSIZE, "--in", v, "--json", command=("outsize",)), small=True)
    return groups


def _group_solve() -> dict[str, Callable[..., list[Case]]]:
    groups: dict[str, Callable[..., list[Case]]] = {}
    bases = {
        "padding": {"--in": "29x45", "--k": "2", "--s": "2", "--target": "15x23"},
        "input": {"--out": "7", "--k": "2", "--s": "2", "--p": "1", "--d": "4"},
        "output-padding": {"--in": "28", "--k": "3", "--s": "2", "--p": "1"},
    }
    extra_options = {"padding": ["--d"], "input": [], "output-padding": ["--d"]}
    for sub, base in bases.items():
        for option in [*base, *extra_options[sub]]:
            def make(arena: Path, checkpoints: Path | None = None, sub=sub, base=base, option=option) -> list[Case]:
                # solve padding's errors may be about the padding no value of the option allows
                extra = ("padding", "output") if sub == "padding" else ()
                return int_values(_names(option, *SIZE_NAMES[option], *extra),
                                  lambda v: _with(base, option, v, command=("solve", sub)),
                                  small=(sub, option) != ("padding", "--in"))
            groups[f"solve {sub} {option}"] = make
    return groups


SPEC = "conv(8,3) relu pool(2) flatten dense(10)"


SMALL_SPECS = {"nested conv 5,000", "repeat 10^12", "filters 10^12", "kernel power tower", "fraction kernel", "nan",
               "unbalanced", "fullwidth", "NUL", "1 MB", "__import__", "attribute access", "eval"}


def _spec_values(build: Callable[[str], list[str]], names: tuple[str, ...], *, small: bool = False) -> list[Case]:
    """Hostile layer lists: nesting, repetition, huge sizes, code (``small``: :data:`SMALL_SPECS` only)."""
    specs = {
        "nested conv 5,000": hostile.nested_conv(5000),
        "nested res 5,000": "res[" * 5000 + "conv(8,3)" + "]" * 5000,
        "nested cat 3,000": "cat[" * 3000 + "conv(8,3)" + "]" * 3000,
        "repeat 10^12": "1000000000000*[conv(8,3)]",
        "nested repeats": "1000*[" * 50 + "conv(8,3)" + "]" * 50,
        "10,000 layers": " ".join(["conv(8,3,p=1)"] * 10_000),
        "filters 10^12": "conv(1000000000000,3) flatten dense(10)",
        "filters 10,000 digits": f"conv({hostile.HUGE_DIGITS},3)",
        "kernel power tower": "conv(8, 9**9**9)",
        "dense 10^15": "flatten dense(1000000000000000)",
        "float kernel": "conv(8, 1.5)",
        "fraction kernel": "conv(8, 1/2)",
        "nan": "conv(nan, 3)",
        "True": "conv(True, 3)",
        "keyword injection": "conv(8, 3, __class__=1)",
        "unknown layer": "import_os(1)",
        "unbalanced": "conv(8,3" * 1000,
        "unicode digits": "conv(\u0668,\u0663)",
        "fullwidth": "conv\uff08\uff18,\uff13\uff09",
        "NUL": "conv(8,3)\x00",
        "1 MB": "a" * 1_000_000,
    }
    cases = [Case(label, build(value), names, expect=2 if label in ("unicode digits", "fullwidth", "NUL", "nan", "True",
                                                                     "fraction kernel", "float kernel", "kernel power tower",
                                                                     "keyword injection", "unknown layer", "unbalanced")
                  else None) for label, value in specs.items()]
    for label in ("__import__", "attribute access", "lambda", "eval", "exec", "open", "list comprehension"):
        cases.append(Case(label, build(INJECTIONS[label]), names, expect=2))
    return [c for c in cases if c.label in SMALL_SPECS] if small else cases


SPEC_NAMES = ("spec", "layer", "model", "preset", "conv", "res", "cat", "line", "column", "depth", "nesting", "input",
              "layers", "filters", "kernel", "units", "repeat", "SPEC")


def _group_stack() -> dict[str, Callable[..., list[Case]]]:
    groups: dict[str, Callable[..., list[Case]]] = {}
    for command in ("stack", "rf"):
        base_in = ["--in", "1x28x28"]
        groups[f"{command} SPEC"] = lambda arena, checkpoints=None, command=command: _spec_values(
            lambda v: [command, v, *base_in], SPEC_NAMES, small=command == "rf")
        groups[f"{command} --in"] = lambda arena, checkpoints=None, command=command: int_values(
            _names("--in", "shape", "input", "size"), lambda v: [command, SPEC, "--in", v], small=command == "rf")
        groups[f"{command} --rf-from"] = lambda arena, checkpoints=None, command=command: int_values(
            _names("--rf-from", "rf_from", "layer"), lambda v: [command, SPEC, *base_in, "--rf-from", v], small=True)
        groups[f"{command} --layout"] = lambda arena, checkpoints=None, command=command: word_values(
            _names("--layout"), lambda v: [command, SPEC, *base_in, "--layout", v])
    groups["stack files"] = lambda arena, checkpoints=None: _spec_files(arena, "stack")
    groups["rf files"] = lambda arena, checkpoints=None: [  # the same reader as stack's: a few only
        c for c in _spec_files(arena, "rf") if c.label in RF_FILES]
    groups["stack --batch"] = lambda arena, checkpoints=None: int_values(
        _names("--batch", "batch_size"), lambda v: ["stack", SPEC, "--in", "1x28x28", "--batch", v], small=True)
    groups["stack --dtype"] = lambda arena, checkpoints=None: word_values(
        _names("--dtype"), lambda v: ["stack", SPEC, "--in", "1x28x28", "--dtype", v])
    groups["stack --convention"] = lambda arena, checkpoints=None: word_values(
        _names("--convention"), lambda v: ["stack", SPEC, "--in", "1x28x28", "--convention", v])
    return groups


RF_FILES = {"file spec_deep.txt", "file spec_5k_layers.txt", "@file spec_utf8.txt", "stdin deep", "file a_directory"}


def _spec_files(arena: Path, command: str) -> list[Case]:
    files = ["spec_utf8.txt", "spec_nul.txt", "spec_deep.txt", "spec_brackets.txt", "spec_long.txt", "spec_5k_layers.txt",
             "spec_code.py", "big_100mb.txt", "escapes.json", "escapes_print.txt",
             "spec_deep.json", "spec_garbage.onnx", "bomb.keras", "trunc.keras", "binary.bin", "a_directory",
             "missing.txt", "invalid_utf8.txt"]
    cases = []
    for name in files:
        path = str(arena / name)
        names = (name, "spec", "file", "SPEC")
        cases.append(Case(f"file {name}", [command, path, "--in", "1x28x28"], names))
        cases.append(Case(f"@file {name}", [command, "@" + path, "--in", "1x28x28"], names))
    for label, data in {"stdin invalid utf-8": hostile.invalid_utf8("conv(8,3)"), "stdin NUL": b"conv(8,3)\x00",
                        "stdin deep": hostile.nested_conv(5000).encode(), "stdin code": b"__import__('os').system('touch PWNED')",
                        "stdin over 1 MB": b"relu " * 200_001, "stdin empty": b""}.items():
        cases.append(Case(label, [command, "-", "--in", "1x28x28"], ("stdin", "spec", "-", "input", "SPEC", "model"),
                          stdin=data))
    return cases


MATRIX_NAMES = ("x", "f", "matrix", "input", "kernel", "X", "F", "filter", "row", "cell", "file")
X3 = "1 0 -2; 2 9 5; 0 -3 1"
F2 = "1 0; 0 1"


SMALL_MATRICES = {"inline NUL", "inline fraction cells", "inline nan", "inline True", "inline ragged", "inline huge cell",
                  "inline power tower cell", "inline deep brackets", "inline code", "inline over MAX_CELLS", "inline unicode digits",
                  "file invalid_utf8.txt", "file one_d.npy", "file objects.npy", "file declares_huge.npy",
                  "file npz_named.npy", "file a_directory", "file code.txt"}


def _matrix_values(arena: Path, build: Callable[[str], list[str]], names: tuple[str, ...], *, small: bool = False) -> list[Case]:
    """Hostile matrices, inline and as files (``small``: :data:`SMALL_MATRICES` only)."""
    inline = {
        "empty": "", "NUL": "1 2; 3\x00 4", "fraction cells": "1/2 1; 1 1", "float cells": "1.5 1; 1 1",
        "nan": "nan 1; 1 1", "inf": "inf 1; 1 1", "True": "True 1; 1 1", "complex": "1j 1; 1 1",
        "ragged": "1 2 3; 4 5", "one row": "1 2 3", "huge cell": f"{hostile.HUGE_DIGITS} 1; 1 1",
        "power tower cell": "9**9**9 1; 1 1", "deep brackets": "[" * 5000 + "1" + "]" * 5000,
        "code": "[[__import__('os').system('touch PWNED'), 1], [1, 1]]", "attribute": "[[(1).__class__, 1], [1, 1]]",
        "lambda": "[[(lambda: 1)(), 1]]", "1 MB": "1 " * 500_000, "over MAX_CELLS": "1," * 1_100_000, "100x100": "; ".join([" ".join(["1"] * 100)] * 100),
        "unicode digits": "\u0661 \u0662; \u0663 \u0664", "fullwidth": "\uff11 \uff12; \uff13 \uff14",
        "emoji": "\U0001f600 1; 1 1", "only separators": ";;;; ,,,,",
    }
    cases = [Case(f"inline {label}", build(value), names) for label, value in inline.items()]
    for label in ("code", "attribute", "lambda", "nan", "True", "complex", "NUL", "power tower cell", "unicode digits",
                  "fullwidth"):
        for case in cases:
            if case.label == f"inline {label}":
                case.expect = 2
    files = ["invalid_utf8.txt", "nul.txt", "binary.bin", "long_line.txt", "one_d.npy", "three_d.npy",
             "floats_nan.npy", "complex.npy", "bools.npy", "objects.npy", "empty.npy", "declares_huge.npy",
             "m2x2.npz", "npz_named.npy", "truncated.npy", "big.csv", "huge_cell.txt", "deep.txt", "code.txt",
             "a_directory", "missing.csv", "big_100mb.txt"]
    for name in files:
        path = str(arena / name)
        expect = 2 if name in {"objects.npy", "declares_huge.npy", "code.txt", "a_directory", "missing.csv",
                               "truncated.npy", "complex.npy", "floats_nan.npy", "big_100mb.txt"} else None
        cases.append(Case(f"file {name}", build(path), (*names, name), expect=expect))
    return [c for c in cases if c.label in SMALL_MATRICES] if small else cases


def _group_matrices() -> dict[str, Callable[..., list[Case]]]:
    groups: dict[str, Callable[..., list[Case]]] = {}
    groups["correlate X"] = lambda arena, checkpoints=None: _matrix_values(arena, lambda v: ["correlate", v, F2], MATRIX_NAMES)
    groups["correlate F"] = lambda arena, checkpoints=None: _matrix_values(arena, lambda v: ["correlate", X3, v], MATRIX_NAMES,
                                                                         small=True)
    groups["pool X"] = lambda arena, checkpoints=None: _matrix_values(arena, lambda v: ["pool", v, "--k", "2"], MATRIX_NAMES,
                                                                    small=True)
    for option, names in {"--stride": ("stride", "s"), "--dilation": ("dilation", "d"), "--padding": ("padding", "p"),
                          "--explain": ("explain", "cell")}.items():
        groups[f"correlate {option}"] = lambda arena, checkpoints=None, option=option, names=names: int_values(
            _names(option, *names), lambda v: ["correlate", X3, F2, option, v], small=True)
    for option in ("--mode", "--framework"):
        groups[f"correlate {option}"] = lambda arena, checkpoints=None, option=option: word_values(
            _names(option), lambda v: ["correlate", X3, F2, option, v])
    for option, names in {"--k": ("kernel", "window", "k"), "--s": ("stride",), "--p": ("padding",),
                          "--d": ("dilation", "dilated"), "--explain": ("cell", "explain")}.items():
        base = ["pool", "1 5 2 0; 3 4 8 1; 0 2 7 6; 9 1 3 3"]
        groups[f"pool {option}"] = lambda arena, checkpoints=None, option=option, names=names, base=base: int_values(
            _names(option, *names), lambda v: [*base, *(["--k", "2"] if option != "--k" else []), option, v],
            small=True)
    groups["correlate stdin"] = lambda arena, checkpoints=None: [
        Case(label, ["correlate", "-", F2], ("stdin", "-", "x", "matrix", "input", "X"), stdin=data)
        for label, data in {"invalid utf-8": hostile.invalid_utf8("1 2; 3 4"), "NUL": b"1 2; 3\x00 4",
                            "empty": b"", "200 kB": b"1 " * 100_000, "binary": bytes(range(256))}.items()]
    return groups


CHECK_BASES: dict[str, dict[str, str]] = {
    "outsize": {"--in": "16", "--k": "2", "--s": "2", "--p": "1", "--d": "4", "--answer": "7"},
    "transposed": {"--in": "7", "--k": "3", "--s": "2", "--p": "1", "--output-padding": "1", "--answer": "14"},
    "pool": {"--in": "16", "--k": "2", "--answer": "8"},
    "same_padding": {"--in": "16", "--k": "3", "--answer": "1"},
    "stack_shape": {"--spec": "conv(8,3) conv(8,3)", "--in": "1x16x16", "--layer": "1", "--answer": "8x14x14"},
    "params": {"--spec": "hw5", "--answer": "542230"},
    "macs": {"--spec": "hw5", "--batch": "1", "--answer": "1"},
    "rf": {"--spec": "conv(8,3) conv(8,3) conv(8,3)", "--in": "1x16x16", "--relative-to": "1", "--answer": "5"},
    "correlate": {"--x": X3, "--f": F2, "--answer": "10 5; 0 8"},
    "pool_exact": {"--x": "1 5 2 0; 3 4 8 1; 0 2 7 6; 9 1 3 3", "--k": "2", "--answer": "5 8; 9 7"},
}
CHECK_NAMES = {"--answer": ("answer", "given"), "--layer": ("layer",), "--relative-to": ("relative_to", "relative-to", "layer"),
               "--batch": ("batch",), "--cell": ("cell",), "--x": MATRIX_NAMES, "--f": MATRIX_NAMES,
               "--spec": SPEC_NAMES, **SIZE_NAMES}


#: Options of a check kind read by the same code as check outsize's (which gets them all).
SHARED_CHECK_OPTIONS = {(kind, option) for kind in ("transposed", "pool", "same_padding")
                        for option in ("--in", "--k", "--s", "--p", "--d")}


def _group_check() -> dict[str, Callable[..., list[Case]]]:
    groups: dict[str, Callable[..., list[Case]]] = {}
    for kind, base in CHECK_BASES.items():
        for option in base:
            if (kind, option) in SHARED_CHECK_OPTIONS:
                continue
            names = _names(option, *CHECK_NAMES.get(option, ()))
            if option in ("--x", "--f"):
                groups[f"check {kind} {option}"] = lambda arena, checkpoints=None, kind=kind, base=base, option=option, names=names: \
                    _matrix_values(arena, lambda v: _with(base, option, v, command=("check", kind)), names, small=True)
            elif option == "--spec":
                groups[f"check {kind} {option}"] = lambda arena, checkpoints=None, kind=kind, base=base, option=option, names=names: \
                    _spec_values(lambda v: _with(base, option, v, command=("check", kind)), names,
                                 small=kind != "stack_shape")
            elif option == "--answer":
                # A hostile answer is wrong (1) or refused (2); code never runs.
                groups[f"check {kind} {option}"] = lambda arena, checkpoints=None, kind=kind, base=base, names=names: [
                    Case(label, _with(base, "--answer", value, command=("check", kind)), names,
                         expect=frozenset({1, 2}))
                    for label, value in ALL_VALUES.items()
                    if kind == "outsize" or label in SMALL_REFUSE | SMALL_EDGE]
            else:
                groups[f"check {kind} {option}"] = lambda arena, checkpoints=None, kind=kind, base=base, option=option, names=names: \
                    int_values(names, lambda v: _with(base, option, v, command=("check", kind)),
                               small=(kind, option) != ("outsize", "--in"))
    groups["check correlate --cell"] = lambda arena, checkpoints=None: int_values(
        _names("--cell"), lambda v: _with({**CHECK_BASES["correlate"], "--answer": "10"}, "--cell", v, command=("check", "correlate")),
        small=True)
    for option in ("--mode", "--framework", "--layout", "--convention"):
        kind = {"--mode": "correlate", "--framework": "same_padding", "--layout": "stack_shape", "--convention": "macs"}[option]
        groups[f"check {kind} {option}"] = lambda arena, checkpoints=None, kind=kind, option=option: word_values(
            _names(option), lambda v: _with(CHECK_BASES[kind], option, v, command=("check", kind)))
    groups["check KIND"] = lambda arena, checkpoints=None: [
        Case(label, ["check", value, "--answer", "7"], ("kind", "file", "answer", "FILE|KIND", "FILE", "KIND"))
        for label, value in ALL_VALUES.items() if label in SMALL_REFUSE | SMALL_EDGE | set(INJECTIONS)]
    groups["check FILE"] = _answer_files
    return groups


def _toml(*questions: str, title: str = "") -> str:
    head = f'title = "{title}"\n' if title else ""
    return head + "".join(f"\n[[question]]\n{q}\n" for q in questions)


#: Answer files also checked with --json (the same reading; the JSON report must not leak either).
JSON_TOO = {"invalid_utf8.toml", "huge_answer.toml", "secret_spec_abs.toml", "secret_x_rel.toml", "etc_passwd.toml",
            "code_answer.toml", "deep_array.toml"}


def _answer_files(arena: Path, checkpoints: Path | None = None) -> list[Case]:
    folder = arena / "answers"
    outside = arena / "outside"
    q = 'kind = "outsize"\nin = 16\nk = 3\nanswer = 14'
    files: dict[str, bytes | str] = {
        "invalid_utf8.toml": hostile.invalid_utf8(_toml(q)),
        "nul.toml": _toml(q).replace("answer", "ans\x00wer"),
        "binary.toml": bytes(range(256)) * 16,
        "empty.toml": "",
        "no_questions.toml": 'title = "x"\n',
        "questions_not_list.toml": 'question = "abc"\n',
        "huge_int.toml": _toml(f'kind = "outsize"\nin = {hostile.HUGE_DIGITS}\nk = 3\nanswer = 14'),
        "huge_answer.toml": _toml(f'kind = "outsize"\nin = 16\nk = 3\nanswer = {hostile.HUGE_DIGITS}'),
        "tower.toml": _toml('kind = "outsize"\nin = "9**9**9"\nk = 3\nanswer = 14'),
        "float.toml": _toml('kind = "outsize"\nin = 16.5\nk = 3\nanswer = 14'),
        "nan.toml": _toml('kind = "outsize"\nin = nan\nk = 3\nanswer = 14'),
        "bool.toml": _toml('kind = "outsize"\nin = true\nk = 3\nanswer = 14'),
        "date.toml": _toml('kind = "outsize"\nin = 1979-05-27\nk = 3\nanswer = 14'),
        "table_value.toml": _toml('kind = "outsize"\nk = 3\nanswer = 14\n[question.in]\na = 1'),
        "deep_array.toml": _toml('kind = "correlate"\nx = ' + "[" * 5000 + "1" + "]" * 5000 + '\nf = "1"\nanswer = 1'),
        "deep_inline_table.toml": "a = " + "{b = " * 3000 + "1" + "}" * 3000 + "\n",
        "long_string.toml": _toml('kind = "outsize"\nin = 16\nk = 3\nanswer = 14\ntext = "' + "a" * 1_000_000 + '"'),
        "long_id.toml": _toml('id = "' + "i" * 200_000 + '"\n' + q),
        "code_in.toml": _toml('kind = "outsize"\nin = "__import__(\'os\').system(\'touch PWNED\')"\nk = 3\nanswer = 14'),
        "code_answer.toml": _toml('kind = "outsize"\nin = 16\nk = 3\nanswer = "__import__(\'os\').system(\'touch PWNED\')"'),
        "code_spec.toml": _toml('kind = "params"\nspec = "__import__(\'os\').system(\'touch PWNED\')"\nanswer = 1'),
        "unknown_kind.toml": _toml('kind = "__import__"\nanswer = 1'),
        "escape_id.toml": _toml('id = "\\u001b[2J\\u001b[31mq1\\r"\ntext = "\\u001b[2J"\n' + q),
        "escape_wrong.toml": _toml('id = "\\u001b[2Jq1"\nkind = "outsize"\nin = 16\nk = 3\nanswer = 15'),
        "kind_missing.toml": _toml("answer = 1"),
        "secret_spec_abs.toml": _toml(f'kind = "params"\nspec = "{outside / "secret.txt"}"\nanswer = 1'),
        "secret_spec_at.toml": _toml(f'kind = "params"\nspec = "@{outside / "secret.txt"}"\nanswer = 1'),
        "secret_spec_rel.toml": _toml('kind = "params"\nspec = "../outside/secret.txt"\nanswer = 1'),
        "secret_x_abs.toml": _toml(f'kind = "correlate"\nx = "{outside / "secret.csv"}"\nf = "1"\nanswer = 1'),
        "secret_x_rel.toml": _toml('kind = "correlate"\nx = "../outside/secret.csv"\nf = "1"\nanswer = 1'),
        "etc_passwd.toml": _toml('kind = "correlate"\nx = "/etc/passwd"\nf = "1"\nanswer = 1'),
        "etc_passwd_spec.toml": _toml('kind = "params"\nspec = "/etc/passwd"\nanswer = 1'),
        "proc_self.toml": _toml('kind = "correlate"\nx = "/proc/self/environ"\nf = "1"\nanswer = 1'),
        "dev_zero.toml": _toml('kind = "correlate"\nx = "/dev/zero"\nf = "1"\nanswer = 1'),
        "deep_spec.toml": _toml(f'kind = "params"\nspec = "{hostile.nested_conv(5000)}"\nanswer = 1'),
        "huge_layer.toml": _toml('kind = "macs"\nspec = "conv(1000000000000,3) flatten dense(10)"\nin = "1x28x28"\nanswer = 1'),
        "many_dims.toml": _toml('kind = "outsize"\nin = "' + "x".join(["2"] * 5000) + '"\nk = 1\nanswer = 2'),
    }
    for name, content in files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", errors="surrogatepass")
    must_refuse = {"invalid_utf8.toml", "nul.toml", "binary.toml", "tower.toml", "float.toml", "nan.toml", "bool.toml",
                   "date.toml", "table_value.toml", "code_in.toml", "code_spec.toml", "unknown_kind.toml",
                   "kind_missing.toml", "secret_spec_abs.toml", "secret_spec_at.toml", "secret_spec_rel.toml",
                   "secret_x_abs.toml", "secret_x_rel.toml", "etc_passwd.toml", "etc_passwd_spec.toml",
                   "proc_self.toml", "dev_zero.toml", "questions_not_list.toml"}
    cases = []
    for name in files:
        names = (name, "question", "file", "answer file")
        expect = 2 if name in must_refuse else None
        cases.append(Case(f"answer file {name}", ["check", str(folder / name)], names, expect=expect))
        if name in JSON_TOO:
            cases.append(Case(f"answer file {name} --json", ["check", str(folder / name), "--json"], names, expect=expect))
    # 20,000 simple questions: well under the time limit (issue 15: "a few seconds").
    many = folder / "many.toml"
    many.write_text(_toml(*[f'kind = "outsize"\nin = {16 + i % 50}\nk = 3\nanswer = {14 + i % 50}' for i in range(5_000)]))
    cases.append(Case("5,000 questions", ["check", str(many)], ("many.toml",), expect=0))
    # A 100 MB answer file (a comment): refused or read, but quickly.
    big = folder / "big.toml"
    with open(big, "wb") as f:  # sparse: a comment line, then zeros to 100 MB
        f.write(b"# a comment\n")
        f.truncate(100 * 2**20)
    cases.append(Case("100 MB answer file", ["check", str(big)], ("big.toml", "file", "size", "MB", "bytes"),
                      after=lambda outcome: [big.unlink()] and []))
    for label, path, names in [
        ("a directory", arena / "a_directory", ("a_directory",)),
        ("missing file", folder / "missing.toml", ("missing.toml",)),
        ("over-long name", folder / ("n" * 300 + ".toml"), ("file", "name", "long", "nnnnnnnn")),
        ("/etc/passwd as the file", Path("/etc/passwd"), ("passwd",)),
        ("/dev/zero as the file", Path("/dev/zero"), ("zero", "file")),
        ("NUL in the path", Path(str(folder) + "/a\x00b.toml"), ("file", "path", "NUL", "null")),
    ]:
        cases.append(Case(label, ["check", str(path)], names, expect=2))
    # A symlink inside the folder that points out of it is outside too.
    if not (folder / "link.csv").is_symlink():
        (folder / "link.csv").symlink_to(outside / "secret.csv")
    (folder / "symlink_out.toml").write_text(_toml('kind = "correlate"\nx = "link.csv"\nf = "1"\nanswer = 1'))
    cases.append(Case("symlink out of the folder", ["check", str(folder / "symlink_out.toml")],
                      ("symlink_out.toml", "link.csv", "question", "answer file", "x"), expect=2))
    # --data-dir: the folder paths resolve in instead; hostile values of it.
    data = arena / "data_dir"
    data.mkdir(exist_ok=True)
    (data / "x.csv").write_text("1,0\n2,9\n")
    (folder / "uses_data.toml").write_text(_toml('kind = "correlate"\nx = "x.csv"\nf = "1"\nanswer = "1 0; 2 9"'))
    cases.append(Case("--data-dir resolves there", ["check", str(folder / "uses_data.toml"), "--data-dir", str(data)],
                      ("uses_data.toml", "x.csv"), expect=0))
    cases.append(Case("--data-dir does not widen to its parent",
                      ["check", str(folder / "secret_x_rel.toml"), "--data-dir", str(data)],
                      ("secret_x_rel.toml", "question", "answer file", "x", "file"), expect=2))
    for label, value in {"a file": "/etc/passwd", "missing": str(arena / "nope"), "NUL": "a\x00b",
                         "1 MB": "d" * 1_000_000}.items():
        cases.append(Case(f"--data-dir {label}", ["check", str(folder / "uses_data.toml"), "--data-dir", value],
                          ("--data-dir", "data-dir", "data_dir", "folder", "directory"), expect=2))
    # The leaking of file contents: a line of the file must never be echoed.
    (folder / "not_toml.toml").write_text(f"{SECRET} = = =\n")
    cases.append(Case("contents never echoed", ["check", str(folder / "not_toml.toml")], ("not_toml.toml",), expect=2))
    return cases


TRAIN_BASE = ["train", "--epochs", "1", "--limit", "64"]


def _group_train() -> dict[str, Callable[..., list[Case]]]:
    groups: dict[str, Callable[..., list[Case]]] = {}
    for option in ("--epochs", "--batch-size", "--early-stopping", "--limit", "--seed"):
        def build(v: str, option: str = option) -> list[str]:
            base = [a for a in TRAIN_BASE]
            if option in base:
                i = base.index(option)
                base[i + 1] = v
                return base
            return [*base, option, v]
        groups[f"train {option}"] = lambda arena, checkpoints=None, option=option, build=build: [
            c for c in int_values(_names(option), build, small=True)]
    for option in ("--lr", "--momentum", "--l2", "--dropout"):
        groups[f"train {option}"] = lambda arena, checkpoints=None, option=option: [
            c for c in float_values(_names(option), lambda v: [*TRAIN_BASE, option, v]) if c.label != "tiny"]
    for option in ("--optimizer", "--init", "--data"):
        groups[f"train {option}"] = lambda arena, checkpoints=None, option=option: word_values(
            _names(option, "dataset"), lambda v: [*TRAIN_BASE, option, v])
    groups["train --model"] = lambda arena, checkpoints=None: [
        c for c in _spec_values(lambda v: [*TRAIN_BASE, "--model", v], SPEC_NAMES, small=True)]
    groups["train --data-dir"] = _train_data_dirs
    groups["train outputs"] = _train_outputs
    groups["train --resume"] = lambda arena, checkpoints: _checkpoint_cases(
        checkpoints, lambda p: [*TRAIN_BASE, "--resume", p], ("resume", "checkpoint", "model"))
    return groups


def _train_data_dirs(arena: Path, checkpoints: Path | None = None) -> list[Case]:
    """Hostile dataset folders: CIFAR batches declaring 16 GB, a zip bomb mnist.npz, IDX files
    declaring huge sizes, text where binary goes."""
    root = arena / "datasets"
    cifar = root / "cifar" / "cifar-10-batches-py"
    cifar.mkdir(parents=True, exist_ok=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        hostile.cifar_batch_declaring(cifar / name, rows=5_600_000)  # 5.6M x 3072 B = 16 GB
    evil = root / "cifar_evil" / "cifar-10-batches-py"
    evil.mkdir(parents=True, exist_ok=True)

    class Evil:
        def __reduce__(self):  # noqa: D401 - the classic pickle payload
            return (os.system, ("touch PWNED",))

    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        (evil / name).write_bytes(pickle.dumps({b"data": Evil(), b"labels": [0]}, protocol=2))
    # A pickle whose bytes object declares 16 GB (BINBYTES8) and holds 3 bytes: the C unpickler
    # allocates the declared size before reading.
    binbytes = root / "cifar_binbytes" / "cifar-10-batches-py"
    binbytes.mkdir(parents=True, exist_ok=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        (binbytes / name).write_bytes(b"\x80\x04\x8e" + struct.pack("<Q", 16 * 1024**3) + b"abc.")
    keras = root / "keras_bomb"
    keras.mkdir(exist_ok=True)
    hostile.zip_bomb(keras / "mnist.npz", inflated=3 * 1024**3, member="x_train.npy")
    idx = root / "idx"
    idx.mkdir(exist_ok=True)
    huge_idx = struct.pack(">BBBB", 0, 0, 0x08, 3) + struct.pack(">III", 4_000_000_000, 28, 28) + bytes(1000)
    for name in ("train-images-idx3-ubyte", "t10k-images-idx3-ubyte"):
        (idx / name).write_bytes(huge_idx)
        with gzip.open(idx / (name + ".gz"), "wb") as f:
            f.write(huge_idx)
    labels = struct.pack(">BBBB", 0, 0, 0x08, 1) + struct.pack(">I", 2**31 - 1) + bytes(10)
    for name in ("train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"):
        (idx / name).write_bytes(labels)
    text = root / "text"
    text.mkdir(exist_ok=True)
    (text / "mnist.npz").write_text("not a zip\n")
    names = ("data", "data-dir", "data_dir", "cifar", "file", "batch", "mnist", "dataset", "folder")
    cases = [
        Case("CIFAR batches declaring 16 GB", [*TRAIN_BASE, "--data", "cifar10", "--data-dir", str(root / "cifar")], names, expect=2),
        Case("CIFAR bytes declaring 16 GB", [*TRAIN_BASE, "--data", "cifar10", "--data-dir", str(root / "cifar_binbytes")],
             names, expect=2),
        Case("CIFAR batches with code", [*TRAIN_BASE, "--data", "cifar10", "--data-dir", str(root / "cifar_evil")], names, expect=2),
        Case("mnist.npz zip bomb", [*TRAIN_BASE, "--data", "mnist", "--data-dir", str(keras)], names, expect=2),
        Case("IDX declaring 4e9 images", [*TRAIN_BASE, "--data", "fashion-mnist", "--data-dir", str(idx)], names, expect=2),
        Case("mnist.npz is text", [*TRAIN_BASE, "--data", "mnist", "--data-dir", str(text)], names, expect=2),
        Case("data-dir is a file", [*TRAIN_BASE, "--data", "mnist", "--data-dir", "/etc/passwd"], names, expect=2),
        Case("data-dir missing", [*TRAIN_BASE, "--data", "mnist", "--data-dir", str(root / "nope")], names, expect=2),
        Case("data-dir NUL", [*TRAIN_BASE, "--data", "mnist", "--data-dir", "a\x00b"], names, expect=2),
        Case("data-dir 1 MB", [*TRAIN_BASE, "--data", "mnist", "--data-dir", "a" * 1_000_000], names, expect=2),
    ]
    return cases


def _unchanged(path: Path, content: bytes) -> Callable[[Outcome], list[str]]:
    def check(outcome: Outcome) -> list[str]:
        if not path.exists():
            return [f"{path.name} was deleted"]
        if path.read_bytes() != content:
            return [f"{path.name} was overwritten without --overwrite"]
        return []
    return check


def _nothing_left(folder: Path) -> Callable[[Outcome], list[str]]:
    def check(outcome: Outcome) -> list[str]:
        left = [p.name for p in folder.iterdir() if "tmp" in p.name]
        return [f"temp files left behind: {left}"] if left else []
    return check


def _train_outputs(arena: Path, checkpoints: Path | None = None) -> list[Case]:
    """Output paths are checked before the first batch; existing outputs are not overwritten."""
    out = arena / "outputs"
    out.mkdir(exist_ok=True)
    (out / "a_dir.json").mkdir(exist_ok=True)
    (out / "kept.json").write_text('{"epochs": "keep me"}')
    (out / "kept.npz").write_bytes(b"keep me")
    (out / "kept.png").write_bytes(b"keep me")
    cases = []
    for option, suffix in (("--history", "json"), ("--save", "npz"), ("--plot", "png")):
        names = _names(option, "file", "folder", "directory", "path")
        for label, path in {"missing folder": out / "nodir" / f"h.{suffix}", "a directory": out / f"a_dir.json",
                            "under a file": out / "kept.json" / f"h.{suffix}", "NUL": f"h\x00.{suffix}",
                            "over-long name": out / ("n" * 300 + f".{suffix}"), "1 MB name": "a" * 1_000_000,
                            **({"/proc": f"/proc/h.{suffix}"} if option == "--history" else {})}.items():
            cases.append(Case(f"{option} {label}", [*TRAIN_BASE, option, str(path)], (*names, Path(str(path)).name[:40]),
                              expect=2, timeout=5))
        for device in ("zero", "full"):  # an existing output that is a device: never read whole to describe it
            # (a symlink in the test's folder: an atomic write replaces the link, never /dev's node)
            link = out / f"{device}.{suffix}"
            if not link.is_symlink():
                link.symlink_to(f"/dev/{device}")
            cases.append(Case(f"{option} /dev/{device} (a symlink)", [*TRAIN_BASE, option, str(link)],
                              (*names, link.name, "device"), expect=2, timeout=8))
        kept = out / f"kept.{suffix}"
        cases.append(Case(f"{option} existing file kept", [*TRAIN_BASE, option, str(kept)], (*names, kept.name),
                          expect=2, after=_unchanged(kept, kept.read_bytes())))
    cases.append(Case("all outputs fine, no temp files left", [*TRAIN_BASE, "--history", str(out / "new.json"),
                                                                 "--save", str(out / "new.npz")], (), expect=0,
                      after=_nothing_left(out)))
    return cases


def _checkpoint_cases(folder: Path, build: Callable[[str], list[str]], names: tuple[str, ...]) -> list[Case]:
    files = ["half.npz", "empty.npz", "npy_renamed.npz", "array.npy", "bomb.npz", "missing_key.npz", "no_meta.npz",
             "huge_layer.npz", "huge_units.npz", "huge_input.npz", "deep_meta.npz", "meta_not_dict.npz",
             "layers_string.npz", "wrong_shape.npz", "pickled.npz", "bad_train_state.npz"]
    cases = [Case(name, build(str(folder / name)), (*names, name), expect=2) for name in files]
    cases.append(Case("nan weights", build(str(folder / "nan_weights.npz")), (*names, "nan_weights.npz")))
    for label, path in {"a directory": str(folder), "missing": str(folder / "missing.npz"), "/etc/passwd": "/etc/passwd",
                        "/dev/zero": "/dev/zero", "NUL": "m\x00.npz", "over-long": "n" * 300 + ".npz",
                        "100 MB": str(folder.parent / "big_100mb.npz")}.items():
        cases.append(Case(label, build(path), (*names, Path(path).name[:40], "file", "model"), expect=2))
    return cases


def _group_evaluate_plot() -> dict[str, Callable[..., list[Case]]]:
    groups: dict[str, Callable[..., list[Case]]] = {}
    groups["evaluate MODEL"] = lambda arena, checkpoints: _checkpoint_cases(
        checkpoints, lambda p: ["evaluate", p], ("model", "MODEL", "checkpoint"))
    groups["evaluate --data"] = lambda arena, checkpoints: word_values(
        _names("--data", "dataset"), lambda v: ["evaluate", str(checkpoints / "good.npz"), "--data", v])
    groups["evaluate --data-dir"] = lambda arena, checkpoints: [
        Case(label, ["evaluate", str(checkpoints / "good.npz"), "--data", "mnist", "--data-dir", path],
             ("data", "data-dir", "data_dir", "mnist", "dataset", "folder", "file"), expect=2)
        for label, path in {"a file": "/etc/passwd", "missing": str(arena / "nope"), "NUL": "a\x00b"}.items()]
    groups["plot HISTORIES"] = _plot_cases
    return groups


def _plot_cases(arena: Path, checkpoints: Path | None = None) -> list[Case]:
    folder = arena / "plots"
    folder.mkdir(exist_ok=True)
    good = {"epochs": [{"loss": 1.0, "accuracy": 0.5, "val_loss": 1.1, "val_accuracy": 0.4}]}
    files: dict[str, bytes | str] = {
        "invalid_utf8.json": hostile.invalid_utf8('{"epochs": []}'),
        "nul.json": '{"epochs": [\x00]}',
        "deep.json": "[" * 100_000 + "]" * 100_000,
        "deep_dict.json": '{"a":' * 50_000 + "1" + "}" * 50_000,
        "nan.json": '{"epochs": [{"loss": NaN, "accuracy": Infinity}]}',
        "strings.json": '{"epochs": [{"loss": "1", "accuracy": "__import__"}]}',
        "huge_number.json": '{"epochs": [{"loss": ' + hostile.HUGE_DIGITS + ', "accuracy": 1e999}]}',
        "list.json": "[1, 2, 3]",
        "empty.json": "",
        "many_epochs.json": json.dumps({"epochs": [good["epochs"][0]] * 20_000}),
        "binary.json": bytes(range(256)) * 16,
        "secret.json": f'{{"epochs": "{SECRET}"',
    }
    for name, content in files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", errors="surrogatepass")
    (folder / "good.json").write_text(json.dumps(good))
    (folder / "kept.png").write_bytes(b"keep me")
    out = ["--out", str(folder / "out.svg"), "--overwrite"]
    names = ("history", "histories", "HISTORIES", "file", "json")
    cases = [Case(name, ["plot", str(folder / name), *out], (*names, name),
                  expect=None if name in {"many_epochs.json", "huge_number.json"} else 2) for name in files]
    for label, path in {"a directory": str(folder), "missing": str(folder / "missing.json"), "/etc/passwd": "/etc/passwd",
                        "/dev/zero": "/dev/zero", "NUL": "h\x00.json", "100 MB": str(arena / "big_100mb.json")}.items():
        cases.append(Case(label, ["plot", path, *out], (*names, Path(path).name), expect=2))
    good_path = str(folder / "good.json")
    for label, path in {"missing folder": str(folder / "nodir" / "o.png"), "a directory": str(folder),
                        "unknown suffix": str(folder / "o.exe"), "NUL": "o\x00.png", "no suffix": str(folder / "o")}.items():
        cases.append(Case(f"--out {label}", ["plot", good_path, "--out", path], ("out", "--out", "-o", "file", "folder",
                                                                                  Path(path).name, "format", "suffix", "directory"),
                          expect=2 if label != "no suffix" else None))
    for device in ("zero", "full"):  # a symlink to the device: an atomic write replaces the link, never the node
        link = folder / f"{device}.png"
        if not link.is_symlink():
            link.symlink_to(f"/dev/{device}")
        cases.append(Case(f"--out /dev/{device} (a symlink)", ["plot", good_path, "--out", str(link)],
                          ("out", "--out", "-o", "file", "device", link.name), expect=2, timeout=8))
    kept = folder / "kept.png"
    cases.append(Case("--out existing file kept", ["plot", good_path, "--out", str(kept)], ("out", kept.name), expect=2,
                      after=_unchanged(kept, b"keep me")))
    for option in ("--labels", "--title"):
        for case in word_values(_names(option), lambda v, option=option: ["plot", good_path, *out, option, v], refuse_all=False):
            if case.label in {"NUL inside", "newline inside", "long string 1 MB"}:
                cases.append(case)
    cases += word_values(_names("--metric"), lambda v: ["plot", good_path, *out, "--metric", v])
    cases.append(Case("10,000 labels", ["plot", good_path, *out, "--labels", ",".join(["a"] * 10_000)], ("labels",)))
    return cases


def _group_more() -> dict[str, Callable[..., list[Case]]]:
    """Options added in this round: solve input --stack/--range, stack --depth/--torch, correlate
    --transposed/--output-padding/--bias/--max-work, pool --max-work, train --max-memory."""
    groups: dict[str, Callable[..., list[Case]]] = {}
    stack_base = ["solve", "input", "--stack", "input(1x64x64) conv(8,3) pool(2)", "--range", "1..64"]
    groups["solve input --stack"] = lambda arena, checkpoints=None: _spec_values(
        lambda v: ["solve", "input", "--stack", "input(1x64x64) " + v, "--range", "1..64"], (*SPEC_NAMES, "--stack", "stack"),
        small=True)
    ranges = {"10^12 sizes": "1..1000000000000", "10,000 digits": f"1..{hostile.HUGE_DIGITS}", "reversed": "5..1",
              "zero": "0..5", "negative": "-5..5", "letters": "a..b", "open": "1..", "dots": "..", "three dots": "1...5",
              "float": "1..1e5", "fraction": "1/2..5", "NUL": "1..5\x00", "1 MB": "1.." + "9" * 1_000_000,
              "unicode digits": "\u0661..\u0665", "code": "1..__import__('os')"}
    groups["solve input --range"] = lambda arena, checkpoints=None: [
        Case(label, _with({}, "--range", value, command=tuple(stack_base[:4])), _names("--range", "range"),
             expect=None if label in {"10^12 sizes"} else 2)
        for label, value in ranges.items()]
    groups["stack --depth"] = lambda arena, checkpoints=None: int_values(
        _names("--depth", "depth"), lambda v: ["stack", "resnet18", "--depth", v], small=True)
    groups["stack --torch"] = lambda arena, checkpoints=None: [
        Case(label, ["stack", "--torch", value, "--in", "3x32x32"], _names("--torch", "module", "factory", "MODULE:FACTORY"),
             expect=2)
        for label, value in {"no module": "no_such_module_h8:make", "no colon": "os", "empty": "", "colons": "::",
                             "NUL": "os\x00:getcwd", "1 MB": "a" * 1_000_000 + ":b"}.items()]
    for option, names in {"--output-padding": ("output_padding", "output padding", "output-padding"),
                          "--stride": ("stride",), "--padding": ("padding",)}.items():
        groups[f"correlate --transposed {option}"] = lambda arena, checkpoints=None, option=option, names=names: int_values(
            _names(option, *names), lambda v: ["correlate", X3, F2, "--transposed", *(["--stride", "2"] if option != "--stride" else []),
                                               option, v], small=True)
    groups["correlate --bias"] = lambda arena, checkpoints=None: [
        c for c in int_values(_names("--bias", "bias"), lambda v: ["correlate", X3, F2, "--bias", v], small=True)
        if c.label not in {"fraction", "exponent float"}]  # exact numbers (1/2, 1e5 = 100000) may be allowed
    for command, base in (("correlate", ["correlate", X3, F2]), ("pool", ["pool", "1 5 2 0; 3 4 8 1", "--k", "2"])):
        groups[f"{command} --max-work"] = lambda arena, checkpoints=None, base=base: int_values(
            _names("--max-work", "max_work", "work"), lambda v: [*base, "--max-work", v], small=True)
    big = "99999999999999999999"
    groups["correlate combinations"] = lambda arena, checkpoints=None: [  # found by the fuzz
        Case(label, ["correlate", X3, F2, *extra], ("padding", "stride", "dilation", "max-work", "output", "input", "kernel"))
        for label, extra in {"huge padding and stride": ["--padding", big, "--stride", big],
                             "huge padding and dilation": ["--padding", big, "--dilation", big],
                             "huge padding, stride 1": ["--padding", big],
                             "huge stride and dilation": ["--stride", big, "--dilation", big],
                             "transposed huge stride": ["--transposed", "--stride", big],
                             "transposed huge padding": ["--transposed", "--padding", big]}.items()]
    groups["pool combinations"] = lambda arena, checkpoints=None: [
        Case(label, ["pool", "1 5 2 0; 3 4 8 1", *extra], ("padding", "stride", "dilation", "max-work", "window", "kernel"))
        for label, extra in {"huge padding and stride": ["--k", "2", "--p", "1", "--s", big],
                             "huge window and padding": ["--k", big, "--p", big],
                             "huge dilation": ["--k", "2", "--d", big, "--p", big]}.items()]
    def stack_out(arena: Path, checkpoints: Path | None = None) -> list[Case]:
        folder = arena / "stack_out"
        folder.mkdir(exist_ok=True)
        (folder / "a_dir.svg").mkdir(exist_ok=True)
        (folder / "file").write_text("x")
        paths = {"missing folder": folder / "nodir" / "t.svg", "a directory": folder / "a_dir.svg",
                 "under a file": folder / "file" / "t.svg", "unknown suffix": folder / "t.exe", "no suffix": folder / "t",
                 "NUL": "t\x00.svg", "over-long name": folder / ("n" * 300 + ".svg"), "1 MB name": "a" * 1_000_000 + ".svg",
                 "/proc": "/proc/t.svg"}
        return [Case(label, ["stack", SPEC, "--in", "1x28x28", "-o", str(path)],
                     ("--out", "-o", "out", "file", "folder", "directory", "suffix", Path(str(path)).name[:40]), expect=2)
                for label, path in paths.items()]

    groups["stack --out"] = stack_out
    wrong = ["check", "outsize", "--in", "16", "--k", "2", "--s", "2", "--p", "1", "--d", "4", "--answer", "8"]
    columns = {"zero": "0", "negative": "-5", "letters": "abc", "huge": "99999999999", "one": "1", "empty": "",
               "10,000 digits": hostile.HUGE_DIGITS, "unicode digits": "\u0668\u0660"}
    groups["environment"] = lambda arena, checkpoints=None: [
        *[Case(f"COLUMNS {label} ({args[0]})", args, (), env={"COLUMNS": value})
          for label, value in columns.items()
          for args in (wrong, ["stack", "hw5"], ["outsize", "--in", "16", "--k", "3"], ["solve", "padding", "--in", "29x45",
                                                                                        "--k", "2", "--s", "2", "--target", "15x23"])],
        *[Case(f"CONVCALC_DATA {label}", [*TRAIN_BASE, "--data", "mnist"], ("mnist", "CONVCALC_DATA", "dataset", "data"),
               expect=2, env={"CONVCALC_DATA": value})
          for label, value in {"a file": "/etc/passwd", "empty": "", "missing": "/nonexistent", "1 MB": "d" * 1_000_000,
                               "cifar bomb folder": str(arena / "datasets" / "keras_bomb")}.items()],
        *[Case(f"CONVCALC_DEBUG {label}", ["outsize", "--in", "1/2", "--k", "3"], ("size", "in"), expect=2,
               env={"CONVCALC_DEBUG": value}) for label, value in {"garbage": "garbage", "zero": "0", "1 MB": "1" * 1_000_000}.items()],
    ]
    def odd_paths(arena: Path, checkpoints: Path | None = None) -> list[Case]:
        """Odd file system entries where a file is read: a FIFO (open() would block for ever), a
        symlink loop, names with a newline or an escape sequence in them."""
        folder = arena / "odd"
        folder.mkdir(exist_ok=True)
        fifo = folder / "fifo.toml"
        if not fifo.exists():
            os.mkfifo(fifo)
        loop = folder / "loop.toml"
        if not loop.is_symlink():
            loop.symlink_to(loop)
        newline = folder / "bad\nname.toml"
        newline.write_text("not = = toml")
        escape = folder / "\x1b[2Jname.toml"
        escape.write_text("not = = toml")
        cases = []
        for label, path in {"FIFO": fifo, "symlink loop": loop, "newline in the name": newline,
                            "escape sequence in the name": escape}.items():
            p = str(path)
            for args in (["check", p], ["correlate", p, "1"], ["pool", p, "--k", "1"], ["stack", p, "--in", "1x28x28"],
                         ["evaluate", p], ["plot", p, "--out", str(folder / "o.svg")], [*TRAIN_BASE, "--resume", p]):
                cases.append(Case(f"{label} ({args[0]})", args, (path.name, "file", "name", "fifo", "loop", "pipe", "symlink",
                                                                   "model", "history", "matrix", "answer file", "spec",
                                                                   "x", "X", "resume", "regular", "folder", "exist"),
                                  expect=2, timeout=4))
        return cases

    groups["odd paths"] = odd_paths
    hundred = "1" + "0" * 99  # the largest size MAX_DIGITS allows
    groups["--json edge values"] = lambda arena, checkpoints=None: [
        Case(label, [*args, "--json"], ())
        for label, args in {
            "symbolic size": ["outsize", "--in", "n", "--k", "k", "--s", "s", "--p", "p", "--d", "d"],
            "100-digit size": ["outsize", "--in", hundred, "--k", "3"],
            "100-digit transposed": ["outsize", "--in", hundred, "--k", hundred, "--s", hundred, "--transposed"],
            "100-digit pool ceil": ["outsize", "--in", hundred, "--k", "3", "--pool", "--ceil"],
            "solve padding 100 digits": ["solve", "padding", "--in", hundred, "--k", "3", "--target", hundred],
            "solve input 100 digits": ["solve", "input", "--out", hundred, "--k", "3", "--s", "2"],
            "solve output-padding 100 digits": ["solve", "output-padding", "--in", hundred, "--k", "3", "--s", "2"],
            "stack 100-digit channels": ["stack", "conv(8,3)", "--in", f"{'9' * 29}x28x28"],
            "stack preset": ["stack", "resnet18"],
            "rf preset": ["rf", "vgg16"],
            "correlate fractions": ["correlate", "1/2 1/3; 1/5 1/7", "1/11"],
            "correlate 100-digit cells": ["correlate", f"{hundred} 1; 1 1", "1"],
            "pool avg fractions": ["pool", "1 2; 3 5", "--k", "2", "--avg"],
            "check wrong answers": ["check", "outsize", "--in", hundred, "--k", "3", "--answer", "1"],
        }.items()]
    memory = {"nan": "nan", "inf": "inf", "negative": "-1G", "unknown unit": "8XB", "empty": "", "NUL": "8G\x00",
              "fraction": "1/2G", "complex": "1jG", "code": "__import__('os')", "10,000 digits": hostile.HUGE_DIGITS + "G",
              "1 MB": "9" * 1_000_000, "unicode digits": "\u0668G", "too small": "1"}
    groups["train --max-memory"] = lambda arena, checkpoints=None: [
        Case(label, [*TRAIN_BASE, "--max-memory", value], _names("--max-memory", "max_memory", "memory"),
             expect=None if label == "10,000 digits" else 2)
        for label, value in memory.items()]
    return groups


def _group_draw_sweep() -> dict[str, Callable[..., list[Case]]]:
    """`draw` (H6) and `sweep` (H7) have their own suites; here the hostile classes, briefly: values
    that must be refused, so no picture is drawn and no run is trained."""
    groups: dict[str, Callable[..., list[Case]]] = {}
    refuse = {k: v for k, v in {**NOT_INTEGERS, **INJECTIONS}.items() if k in SMALL_REFUSE}
    base = {"--in": "5x5", "--k": "3", "--cell": "0,0"}
    for option, names in {"--in": ("size", "input", "in"), "--k": ("kernel",), "--s": ("stride",),
                          "--p": ("padding",), "--d": ("dilation",), "--cell": ("cell",)}.items():
        groups[f"draw {option}"] = lambda arena, checkpoints=None, option=option, names=names: [
            Case(label, _with(base, option, value, "-o", "d.svg", command=("draw",)), _names(option, *names), expect=2)
            for label, value in refuse.items()]
    groups["draw --x --stack --unit --output"] = lambda arena, checkpoints=None: [
        *[Case(f"--x {label}", ["draw", "--x", value, "--k", "2", "-o", "d.svg"], ("x", "matrix", "input", "row", "cell"),
               expect=2) for label, value in {"code": "[[__import__('os').system('touch PWNED')]]", "nan": "nan 1; 1 1",
                                              "NUL": "1 2;\x00 3 4", "deep": "[" * 5000 + "1" + "]" * 5000}.items()],
        *[Case(f"--stack {label}", ["draw", "--stack", value, "--unit", "0,0", "-o", "d.svg"], SPEC_NAMES, expect=2)
          for label, value in {"nested": hostile.nested_conv(5000), "code": INJECTIONS["__import__"],
                               "repeat": "1000000000000*[conv(8,3)]"}.items()],
        *[Case(f"--unit {label}", ["draw", "--stack", "hw5", "--unit", value, "-o", "d.svg"], ("unit",), expect=2)
          for label, value in {"huge": f"{hostile.HUGE_DIGITS},0", "fraction": "1/2,0", "nan": "nan,0", "code": "__import__,0"}.items()],
        *[Case(f"-o {label}", ["draw", "--in", "5x5", "--k", "3", "--cell", "0,0", "-o", value],
               ("output", "-o", "file", "folder", "suffix", "format", Path(value).name[:30]), expect=2)
          for label, value in {"missing folder": "nodir/d.svg", "suffix": "d.exe", "NUL": "d\x00.svg",
                               "1 MB": "d" * 1_000_000 + ".svg"}.items()],
    ]

    def sweeps(arena: Path, checkpoints: Path | None = None) -> list[Case]:
        folder = arena / "sweeps"
        folder.mkdir(exist_ok=True)
        files = {"invalid_utf8.toml": hostile.invalid_utf8('[train]\nmodel = "hw5"\n'),
                 "deep.toml": "[grid]\nlr = " + "[" * 5000 + "1" + "]" * 5000 + "\n",
                 "code.toml": '[train]\nmodel = "__import__(\'os\').system(\'touch PWNED\')"\n[grid]\nseed = [0]\n',
                 "huge_grid.toml": "[grid]\n" + "".join(f"p{i} = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n" for i in range(12)),
                 "unknown.toml": "[grid]\n__class__ = [1, 2]\n"}
        for name, content in files.items():
            (folder / name).write_bytes(content if isinstance(content, bytes) else content.encode())
        cases = [Case(f"file {name}", ["sweep", str(folder / name), "--dir", str(folder / "d"), "--epochs", "1",
                                       "--limit", "64"], (name, "grid", "sweep", "train", "file", "model", "spec", "runs"),
                      expect=2) for name in files]
        grids = {"nan lr": "lr=nan,0.1", "code": "lr=__import__('os')", "unknown option": "__class__=1,2",
                 "10^6 runs": "seed=" + ",".join(str(i) for i in range(1_000_000)), "empty": "", "no values": "lr=",
                 "NUL": "lr=0.1\x00", "1 MB name": "a" * 1_000_000 + "=1"}
        cases += [Case(f"--grid {label}", ["sweep", "--model", "hw5", "--epochs", "1", "--limit", "64", "--dir",
                                           str(folder / "d"), "--grid", value], ("grid", "--grid", "lr", "runs", "max-runs",
                                                                                  "option", "name", "value", "seed"),
                       expect=2) for label, value in grids.items()]
        cases.append(Case("--max-runs huge", ["sweep", "--model", "hw5", "--grid", "seed=0,1", "--max-runs", hostile.HUGE_DIGITS,
                                              "--epochs", "0"], ("max-runs", "epochs"), expect=2))
        return cases

    groups["sweep"] = sweeps
    return groups


GROUPS: dict[str, Callable[..., list[Case]]] = {
    **_group_outsize(), **_group_solve(), **_group_stack(), **_group_matrices(), **_group_check(),
    **_group_train(), **_group_evaluate_plot(), **_group_more(), **_group_draw_sweep(),
}
NEEDS_CHECKPOINTS = {"train --resume", "evaluate MODEL", "evaluate --data", "evaluate --data-dir"}
_REPORT: list[str] = []


@pytest.mark.parametrize("group", list(GROUPS))
def test_bad_input(group: str, worker: Worker, arena: Path, request: pytest.FixtureRequest) -> None:
    checkpoints = request.getfixturevalue("checkpoints") if group in NEEDS_CHECKPOINTS else None
    cases = GROUPS[group](arena, checkpoints)
    assert cases, group
    cwd = arena / "cwd"
    cwd.mkdir(exist_ok=True)
    report = run_cases(worker, cases, cwd)
    if os.environ.get("HOSTILE_REPORT"):
        with open(os.environ["HOSTILE_REPORT"], "a", encoding="utf-8") as f:
            for line in report:
                f.write(json.dumps({"group": group, "problem": line}) + "\n")
    assert not report, f"{len(report)} of {len(cases)} cases of {group!r} misbehave:\n" + "\n".join(report)


def test_no_case_left_a_file_behind(arena: Path) -> None:
    """After every group ran (this test comes last in the file): no marker of code execution."""
    assert not list(arena.rglob("PWNED")), "code ran: a PWNED marker file was written"


def test_the_table_covers_every_command() -> None:
    """Every command that `convcalc --help` lists has at least one group here."""
    from convcalc.cli.main import COMMANDS

    covered = {name.split()[0] for name in GROUPS}
    missing = set(COMMANDS) - covered - {"draw", "serve", "sweep"}  # H6/H7's commands have their own suites
    assert not missing, f"commands without bad-input cases: {sorted(missing)}"


def test_unreadable_file_is_reported_as_unreadable() -> None:
    """A file that exists but cannot be read, for every command that reads one: exit 2 and a line
    saying it cannot be read (permission), not "does not exist". Real processes (as ``nobody``
    when the tests run as root, who ignores permissions)."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="convcalc-unreadable-"))
    try:
        folder.chmod(0o755)
        problems = []
        for name, args in {"answers.toml": ["check"], "x.csv": ["correlate", "{}", "1"], "net.txt": ["stack", "{}"],
                           "model.npz": ["evaluate"], "history.json": ["plot", "{}", "--out", str(folder / "o.svg")]}.items():
            path, as_nobody = hostile.unreadable(folder / name)
            args = [a.replace("{}", str(path)) for a in args] if "{}" in args else [*args, str(path)]
            outcome = hostile.run_process(args, cwd=folder, as_nobody=as_nobody)
            found = hostile.problems(outcome, [name], expect=2)
            if "not exist" in outcome.stderr or "no such" in outcome.stderr.lower():
                found.append("reported as missing")
            if not any(w in outcome.stderr.lower() for w in ("read", "permission")):
                found.append("does not say it cannot be read")
            problems += [f"{hostile.describe(outcome)} -> {p}: {outcome.stderr[:200]!r}" for p in found]
        assert not problems, "\n".join(problems)
    finally:
        for p in folder.iterdir():
            p.chmod(0o644)
        shutil.rmtree(folder)


# ---------------------------------------------------------------------------------------------
# docs/limits.md states the values the code uses
# ---------------------------------------------------------------------------------------------

LIMITS_DOC = Path(__file__).resolve().parent.parent / "docs" / "limits.md"
_ROW = __import__("re").compile(r"^\| `(convcalc(?:\.\w+)+)\.(\w+)` \| `([^`]+)` \|", __import__("re").M)
#: Module-level MAX_* names that are not limits on input (nothing is refused past them).
NOT_INPUT_LIMITS = {"convcalc.engine._batch_inner.MAX_COLS_BYTES"}  # a chunk size for the engine's column arrays


def _documented() -> dict[str, str]:
    return {f"{module}.{name}": value for module, name, value in _ROW.findall(LIMITS_DOC.read_text(encoding="utf-8"))}


def test_limits_doc_matches_the_code() -> None:
    """Every constant in docs/limits.md's tables exists and has the value the page states."""
    import ast
    import importlib

    documented = _documented()
    assert len(documented) >= 20, "docs/limits.md lists too few limits (table format changed?)"
    wrong = []
    for dotted, text in documented.items():
        module, name = dotted.rsplit(".", 1)
        actual = getattr(importlib.import_module(module), name)
        if actual != ast.literal_eval(text):
            wrong.append(f"{dotted}: docs/limits.md says {text}, the code has {actual!r}")
    assert not wrong, "\n".join(wrong)


def _documented_where_imported(module: str, name: str, documented: dict[str, str]) -> bool:
    """``module.name`` is documented, or (a module split into a package) the package or a sibling module
    that re-exports it is: ``convcalc.expression.MAX_DIGITS`` for ``convcalc.expression.limits``.
    test_limits_doc_matches_the_code checks that the documented path has the name and its value."""
    package = module.rsplit(".", 1)[0]
    for dotted in documented:
        where, documented_name = dotted.rsplit(".", 1)
        if documented_name == name and (where == module or module.startswith(where + ".")
                                         or where.rsplit(".", 1)[0] == package):
            return True
    return False


def test_every_limit_in_the_code_is_documented() -> None:
    """Every module-level ``MAX_*`` / ``DEFAULT_MAX_*`` constant of convcalc is in docs/limits.md."""
    import ast

    package = Path(__file__).resolve().parent.parent / "convcalc"
    documented = _documented()
    missing = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = ".".join(path.relative_to(package.parent).with_suffix("").parts).removesuffix(".__init__")
        for node in tree.body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
            for target in targets:
                if isinstance(target, ast.Name) and target.id.startswith(("MAX_", "DEFAULT_MAX_")):
                    dotted = f"{module}.{target.id}"
                    if not _documented_where_imported(module, target.id, documented) \
                            and dotted not in NOT_INPUT_LIMITS:
                        missing.append(dotted)
    assert not missing, f"limits missing from docs/limits.md: {missing}"


def test_exit_statuses_are_the_documented_ones() -> None:
    from convcalc.cli.main import EXIT_BROKEN_PIPE, EXIT_INTERNAL, EXIT_INTERRUPTED

    text = LIMITS_DOC.read_text(encoding="utf-8")
    for status in (0, 1, 2, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_BROKEN_PIPE):
        assert f"\n| {status} |" in text, f"exit status {status} is not in docs/limits.md's table"


def test_the_table_covers_every_option(arena: Path) -> None:
    """Every option that takes a value, of every command (and of solve's subcommands), is fed
    hostile values by some group above: a new option without bad-input cases fails here."""
    import typer.main

    from convcalc.cli.main import COMMANDS, app

    seen: set[tuple[str, str]] = set()
    for build in GROUPS.values():
        for case in build(arena, arena / "ckpt-not-built"):
            command = " ".join(case.args[:2]) if case.args[0] == "solve" else case.args[0]
            seen.update((command, arg) for arg in case.args if arg.startswith("-"))
    group = typer.main.get_command(app)
    missing = []
    for name in COMMANDS:
        if name in {"draw", "serve", "sweep"}:  # H6/H7's commands have their own suites
            continue
        command = group.get_command(None, name)  # type: ignore[arg-type]
        commands = ({f"solve {sub}": cmd for sub, cmd in command.commands.items()}  # type: ignore[attr-defined]
                    if name == "solve" else {name: command})
        for label, cmd in commands.items():
            for param in cmd.params:
                if getattr(param, "is_flag", False) or param.param_type_name != "option" or "--help" in param.opts:
                    continue
                if not any((label, opt) in seen for opt in param.opts):
                    missing.append(f"{label} {'/'.join(param.opts)}")
    assert not missing, f"options without bad-input cases: {missing}"
