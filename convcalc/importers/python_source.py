"""Keras or PyTorch model code into rows, read with :mod:`ast` (the code is never run).

Read, in this order of preference:

1. a ``class Net(nn.Module)`` whose ``__init__`` assigns layers to ``self.x``:
   the layers in the order ``forward()`` calls them (``self.conv1(x)``,
   ``F.relu(x)``, ``F.max_pool2d(x, 2)``, ``torch.flatten(x, 1)``, ``x.view(-1, n)``);
   without a readable ``forward`` the ``__init__`` order, marked ``partial``;
2. ``nn.Sequential(...)`` or ``keras.Sequential([...])`` (the outermost one), nested
   ``Sequential``\\ s unrolled;
3. ``model.add(...)`` lines, in order;
4. a linear Keras functional chain: ``x = layers.Conv2D(...)(x)`` lines.

``keras.Input(shape=(28, 28, 1))`` (or ``input_shape=`` on the first layer) sets
the input shape, channels last. Layer arguments must be literals or names bound
to literals in the file; anything else is an ``unsupported`` row naming it.
"""

from __future__ import annotations

import ast

from convcalc.errors import ConvCalcError
from convcalc.layers import channels_first
from convcalc.importers._model import ImportedModel, ImportedRow, build_layers

__all__ = ["read_python_source", "looks_like_python", "MAX_SOURCE_CHARS"]

#: Longest source read, in characters.
MAX_SOURCE_CHARS = 2_000_000

_FUNCTIONAL = {  # torch.nn.functional / torch calls in forward() and the spec they stand for
    "relu": "relu", "relu_": "relu", "gelu": "gelu", "silu": "silu", "sigmoid": "sigmoid", "tanh": "tanh",
    "elu": "elu", "leaky_relu": "leakyrelu", "relu6": "relu6", "hardswish": "hardswish",
    "softmax": "softmax", "log_softmax": "softmax", "flatten": "flatten", "dropout": "dropout(0)",
}
_POOLS = {"max_pool1d": "MaxPool1d", "max_pool2d": "MaxPool2d", "max_pool3d": "MaxPool3d",
          "avg_pool1d": "AvgPool1d", "avg_pool2d": "AvgPool2d", "avg_pool3d": "AvgPool3d"}


def looks_like_python(text: str) -> bool:
    """True when ``text`` parses as Python and builds a model the way model code does.

    Examples
    --------
    >>> looks_like_python("model = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU())")
    True
    >>> looks_like_python("conv(8, 3) relu")
    False
    """
    if not any(marker in text for marker in ("=", ".add(", "class ")):
        return False
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    return any(isinstance(node, (ast.Assign, ast.ClassDef, ast.Expr)) for node in tree.body)


def _callee(node: ast.AST) -> str:
    """The last name of a call's function: ``nn.Conv2d`` -> ``Conv2d``."""
    func = node.func if isinstance(node, ast.Call) else node
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


class _Source:
    def __init__(self, text: str) -> None:
        if len(text) > MAX_SOURCE_CHARS:
            raise ConvCalcError(f"The source has {len(text):,} characters; convcalc reads at most "
                                f"{MAX_SOURCE_CHARS:,}.")
        try:
            self.tree = ast.parse(text)
        except SyntaxError as error:
            raise ConvCalcError(f"The Python source has a syntax error at line {error.lineno}, column "
                                f"{error.offset}: {error.msg}.") from None
        except (ValueError, RecursionError):
            raise ConvCalcError("The Python source cannot be parsed (null bytes or nesting too deep).") from None
        self.text = text
        self.constants = self._constants(self.tree)
        self.rows: list[ImportedRow] = []
        self.input_shape: tuple[int, ...] | None = None
        self.layout = "nchw"

    @staticmethod
    def _constants(tree: ast.AST) -> dict[str, object]:
        """Names bound once to a literal anywhere in the file (``channels = 32``)."""
        seen: dict[str, list[object]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                try:
                    value = ast.literal_eval(node.value)
                except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                    continue
                seen.setdefault(node.targets[0].id, []).append(value)
        return {name: values[0] for name, values in seen.items() if len(values) == 1}

    # ---------------------------------------------------------------- one layer call
    def literal(self, node: ast.AST) -> str:
        """The argument as spec text: a literal, or a name bound to one."""
        if isinstance(node, ast.Name) and node.id in self.constants:
            return repr(self.constants[node.id])
        if isinstance(node, ast.BinOp):  # 16 * 5 * 5, C * 4
            return str(self.integer(node))
        try:
            ast.literal_eval(node)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            raise ConvCalcError(f"argument {ast.unparse(node)!r} is not a literal") from None
        return ast.unparse(node)

    def integer(self, node: ast.AST, depth: int = 0) -> int:
        """A small integer expression (``+ - * //`` over int literals and names bound to them)."""
        if depth > 50:
            raise ConvCalcError("an integer expression nests too deep")
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value
        if isinstance(node, ast.Name) and type(self.constants.get(node.id)) is int:
            return self.constants[node.id]  # type: ignore[return-value]
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.FloorDiv)):
            a, b = self.integer(node.left, depth + 1), self.integer(node.right, depth + 1)
            if max(abs(a), abs(b)) > 10**12:
                raise ConvCalcError(f"argument {ast.unparse(node)!r} is too large")
            if isinstance(node.op, ast.FloorDiv) and b == 0:
                raise ConvCalcError(f"argument {ast.unparse(node)!r} divides by zero")
            ops = {ast.Add: a + b, ast.Sub: a - b, ast.Mult: a * b}
            return a // b if isinstance(node.op, ast.FloorDiv) else ops[type(node.op)]
        raise ConvCalcError(f"argument {ast.unparse(node)!r} is not a literal")

    def call_text(self, call: ast.Call) -> str:
        args = [self.literal(a) for a in call.args if not isinstance(a, ast.Starred)]
        if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
            raise ConvCalcError("*args / **kwargs cannot be read without running the code")
        args += [f"{k.arg}={self.literal(k.value)}" for k in call.keywords]
        return f"{_callee(call)}({', '.join(args)})"

    def layer(self, call: ast.Call, path: str, status: str = "ok", reason: str = "") -> None:
        name = _callee(call)
        if name == "Sequential":
            items = call.args[0].elts if call.args and isinstance(call.args[0], (ast.List, ast.Tuple)) else call.args
            for i, item in enumerate(items):
                self.item(item, f"{path}.{i}" if path else str(i), status, reason)
            return
        if name in ("Input", "InputLayer"):
            self.set_input(call)
            return
        source = ast.get_source_segment(self.text, call) or ast.unparse(call)
        try:
            text = self.call_text(call)
            layers = build_layers(text)
            if any(k.arg in ("input_shape", "batch_input_shape") for k in call.keywords):
                self.layout = "nhwc"
                from convcalc.spec import read_spec

                self.input_shape = self.input_shape or read_spec(text).input_shape
        except ConvCalcError as error:
            self.rows.append(ImportedRow(path, source, "unsupported", str(error).splitlines()[0]))
            return
        self.rows.append(ImportedRow(path, source, status, reason, layers))

    def item(self, node: ast.AST, path: str, status: str = "ok", reason: str = "") -> None:
        if isinstance(node, ast.Call):
            self.layer(node, path, status, reason)
        else:
            self.rows.append(ImportedRow(path, ast.unparse(node)[:200], "unsupported",
                                         "not a layer call (a comprehension, a variable or an expression)"))

    def set_input(self, call: ast.Call) -> None:
        shape = next((k.value for k in call.keywords if k.arg in ("shape", "batch_shape")),
                     call.args[0] if call.args else None)
        try:
            value = tuple(ast.literal_eval(shape)) if shape is not None else ()
        except (ValueError, TypeError, SyntaxError):
            value = ()
        dims = tuple(v for v in value if v is not None)
        if not dims or not all(isinstance(v, int) and v >= 1 for v in dims):
            raise ConvCalcError(f"line {call.lineno}: Input shape {ast.unparse(call)!r} is not a tuple of sizes.")
        self.input_shape = channels_first(dims)
        self.layout = "nhwc"

    # ---------------------------------------------------------------- model forms
    def read(self) -> ImportedModel:
        for reader in (self.module_class, self.sequential, self.added, self.functional):
            kind = reader()
            if kind:
                return ImportedModel(self.rows, self.input_shape, self.layout, kind)
        raise ConvCalcError("No model found in the Python source: convcalc reads an nn.Module class, "
                            "nn.Sequential(...) / keras.Sequential([...]), model.add(...) lines or a Keras "
                            "functional chain (x = layers.Conv2D(...)(x)).")

    def module_class(self) -> str:
        for cls in (n for n in ast.walk(self.tree) if isinstance(n, ast.ClassDef)):
            methods = {f.name: f for f in cls.body if isinstance(f, ast.FunctionDef)}
            init = methods.get("__init__")
            if init is None:
                continue
            modules = {}
            for node in ast.walk(init):
                if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.value, ast.Call)
                        and isinstance(node.targets[0], ast.Attribute) and isinstance(node.targets[0].value, ast.Name)
                        and node.targets[0].value.id == "self"):
                    modules[node.targets[0].attr] = node.value
            if not modules:
                continue
            if "forward" in methods and self.forward(methods["forward"], modules):
                return f"nn.Module class {cls.name} (order from forward())"
            self.rows = []
            reason = f"order assumed: {cls.name}.__init__ order (forward() could not be read)"
            for attr, call in modules.items():
                self.layer(call, attr, "partial", reason)
            return f"nn.Module class {cls.name} (order from __init__)"
        return ""

    def forward(self, method: ast.FunctionDef, modules: dict[str, ast.Call]) -> bool:
        """Rows in the order ``forward`` calls things; False when a statement cannot be read."""
        for statement in method.body:
            if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
                continue  # a docstring
            if not isinstance(statement, (ast.Assign, ast.Return)) or statement.value is None:
                return False
            if not self.expression(statement.value, modules):
                return False
        return bool(self.rows)

    def expression(self, node: ast.AST, modules: dict[str, ast.Call]) -> bool:
        """Rows for one expression of forward(), innermost call first."""
        if isinstance(node, ast.Name):
            return True
        if not isinstance(node, ast.Call):
            return False
        func = node.func
        inner = node.args[0] if node.args else (func.value if isinstance(func, ast.Attribute) else None)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
            if func.attr not in modules or len(node.args) != 1:
                return False
            if not self.expression(node.args[0], modules):
                return False
            self.layer(modules[func.attr], func.attr)
            return True
        name = _callee(node)
        method = isinstance(func, ast.Attribute) and not (isinstance(func.value, ast.Name)
                                                          and func.value.id in ("torch", "F", "nn", "functional"))
        if isinstance(func, ast.Attribute) and method and name in ("view", "reshape", "flatten"):  # x.view(-1, n)
            if not self.expression(func.value, modules):
                return False
            self.rows.append(ImportedRow(f"forward: {ast.unparse(node)[:60]}", ast.unparse(node)[:200], "ok", "",
                                         build_layers("flatten")))
            return True
        if inner is None or not self.expression(inner, modules):
            return False
        where = f"forward: {ast.unparse(node)[:60]}"
        if name in _POOLS:
            call = ast.Call(func=ast.Name(_POOLS[name]), args=node.args[1:], keywords=node.keywords)
            self.layer(call, where)
            return True
        if name in _FUNCTIONAL:
            self.rows.append(ImportedRow(where, ast.unparse(node)[:200], "ok", "", build_layers(_FUNCTIONAL[name])))
            return True
        return False

    def sequential(self) -> str:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call) and _callee(node) == "Sequential" and (node.args or node.keywords):
                self.layer(node, "")
                return "Sequential"
        return ""

    def added(self) -> str:
        for node in ast.walk(self.tree):
            if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and _callee(node.value) == "add"
                    and isinstance(node.value.func, ast.Attribute) and len(node.value.args) == 1):
                self.item(node.value.args[0], f"line {node.lineno}")
        return "model.add(...) lines" if self.rows else ""

    def functional(self) -> str:
        for node in self.tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                call = node.value
                if _callee(call) in ("Input", "InputLayer"):
                    self.set_input(call)
                elif isinstance(call.func, ast.Call):  # layers.Conv2D(...)(x)
                    if len(call.args) != 1 or not isinstance(call.args[0], ast.Name):
                        self.rows.append(ImportedRow(f"line {node.lineno}", ast.unparse(call)[:200], "unsupported",
                                                     "a layer applied to several tensors needs a graph"))
                    else:
                        self.item(call.func, f"line {node.lineno}")
        return "Keras functional chain" if self.rows else ""


def read_python_source(text: str) -> ImportedModel:
    """Read model code (PyTorch or Keras) into rows with :mod:`ast`; nothing is executed.

    Examples
    --------
    >>> model = read_python_source('''
    ... model = keras.Sequential([
    ...     keras.Input(shape=(28, 28, 1)),
    ...     layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
    ...     layers.MaxPooling2D(pool_size=(2, 2)),
    ... ])''')
    >>> model.input_shape, model.layout, [str(layer) for layer in model.layers]
    ((1, 28, 28), 'nhwc', ['Conv2D(32, 3, s=1, p=0)', 'ReLU', 'MaxPool2D(2)'])
    """
    return _Source(text).read()
