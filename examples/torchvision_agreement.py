"""Every torchvision classification CNN read three ways by convcalc, checked against PyTorch itself.

Runs in a virtual environment that has torchvision (PyPI's torchvision does not
load beside the torch 2.13.0 convcalc's tests use)::

    python3 -m venv /tmp/tv-venv
    /tmp/tv-venv/bin/pip install torch==2.14.1 torchvision==0.29.1 onnx
    /tmp/tv-venv/bin/pip install --no-deps -e .
    /tmp/tv-venv/bin/python examples/torchvision_agreement.py --write-docs docs/importing.md

Each model is built untrained (``weights=None``: no weights are downloaded) in
eval mode and read by convcalc as

- ``print(model)``: its text, through :func:`convcalc.importers.read_torch_print`;
- ONNX: exported by the TorchScript exporter (``dynamo=False``,
  ``do_constant_folding=False``, so batch norms stay batch norms) and read by
  :func:`convcalc.importers.onnx_model.read_onnx_file`;
- ``from_torch``: :func:`convcalc.from_torch` (``torch.fx`` symbolic tracing).

Each reading is summarised (as a graph when its rows branch) for one
3x224x224 image and compared with three oracles: the output shape of a
forward pass, ``sum(p.numel() for p in model.parameters())``, and the
"GFLOPS" torchvision publishes in its weights enum (``meta["_ops"]``, read
from the installed package; weight multiply-accumulates of convolutions and
linear layers, rounded to 3 decimals), which convcalc's ``torchvision``
convention counts. A cell is ``ok`` when every row was read exactly and all
three agree *and every row's output shape equals the forward pass's*;
``agrees, partial`` when the numbers agree but some rows were read on an
assumption (the row's own reason); otherwise the first reason it fails.

Every row is checked, not only the output. Each imported row names where it
came from (:attr:`convcalc.importers.ImportedRow.path`), and the shape convcalc
computes for it is compared with what a forward pass computes there:

- ``print(model)``: the row's path is the module's name; one forward pass with
  a forward hook on every named module records its output (a module called
  more than once, such as ResNet's shared ``relu``, matches any of its calls);
- ONNX: the row's path is the node's name; onnxruntime runs the file with every
  node output exposed as a graph output (a ``MatMul`` + ``Add`` read as one
  ``Linear`` is compared at the ``Add``; ``"N (output i)"`` is node N's output i);
- ``from_torch``: the row's path is the traced node (the module's name for a
  module call, ``call_function add`` for a function); ``torch.fx``'s
  ``ShapeProp`` runs the traced graph and records every node's output.

Rows convcalc cannot give a shape (after an unsupported row, or past the
layer where its shapes stop fitting) or that have no counterpart in the run
are counted apart. The three readings are also compared with each other:
their totals, and each module's first output where two readings both have it
(the module a print(model) row, an fx call and an ONNX node's scope name).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

INPUT = (3, 224, 224)

#: (table name, torchvision builder, weights enum, extra builder arguments)
MODELS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("ResNet-18", "resnet18", "ResNet18_Weights", {}),
    ("ResNet-50", "resnet50", "ResNet50_Weights", {}),
    ("VGG-16", "vgg16", "VGG16_Weights", {}),
    ("AlexNet", "alexnet", "AlexNet_Weights", {}),
    ("MobileNet v2", "mobilenet_v2", "MobileNet_V2_Weights", {}),
    ("MobileNet v3 small", "mobilenet_v3_small", "MobileNet_V3_Small_Weights", {}),
    ("MobileNet v3 large", "mobilenet_v3_large", "MobileNet_V3_Large_Weights", {}),
    # aux_logits=False: the published GoogLeNet (and its num_params) has no auxiliary heads, which
    # eval-mode forward never runs anyway; init_weights=False only skips the slow truncated-normal init.
    ("GoogLeNet", "googlenet", "GoogLeNet_Weights", {"aux_logits": False, "init_weights": False}),
    ("DenseNet-121", "densenet121", "DenseNet121_Weights", {}),
    ("EfficientNet-B0", "efficientnet_b0", "EfficientNet_B0_Weights", {}),
    ("SqueezeNet 1.1", "squeezenet1_1", "SqueezeNet1_1_Weights", {}),
    ("ShuffleNet v2 x1.0", "shufflenet_v2_x1_0", "ShuffleNet_V2_X1_0_Weights", {}),
]
FORMATS = ("print(model)", "ONNX", "from_torch")
START, END = "<!-- torchvision-agreement:start -->", "<!-- torchvision-agreement:end -->"


def _short(text: str, limit: int = 150) -> str:
    text = " ".join(str(text).split()).replace("|", "/").split("; known:")[0]
    return text if len(text) <= limit else text[: limit - 1] + "…"


Shape = tuple[int, ...]


def row_shapes(imported: Any, input_shape: Shape = INPUT) -> tuple[list[Shape | None], str]:
    """The output shape convcalc computes for each row (``None`` where it cannot) and why it stops, if it does.

    The rows are built into a graph the way :meth:`ImportedModel.graph` builds them (a row with no layers
    passes its input on), up to the first row that is unsupported or takes a row not built; the graph is
    analysed node by node, so the rows before a layer whose shapes do not fit still get theirs.
    """
    from convcalc.graph import Graph, Node
    from convcalc.graph.analysis import analyse

    nodes = [Node(0, "input", None, ())]
    last: dict[str, int] = {"": 0}
    node_of: list[int | None] = []
    previous, stop = "", ""
    for row in imported.rows:
        sources = row.inputs if row.inputs is not None else (previous,)
        if stop or row.status == "unsupported" or any(name not in last for name in sources):
            stop = stop or f"{row.path} is {row.status if row.status == 'unsupported' else 'cut off'}"
            node_of.append(None)
            continue
        inputs = tuple(last[name] for name in sources)
        for layer in row.layers:
            nodes.append(Node(len(nodes), row.path, layer, inputs))
            inputs = (len(nodes) - 1,)
        if len(inputs) != 1:
            stop = f"{row.path} takes {len(inputs)} inputs but builds no merge"
            node_of.append(None)
            continue
        last[row.path] = inputs[0]
        node_of.append(inputs[0])
        previous = row.path
    analysed: list[Any] = []
    try:
        analyse(Graph(tuple(nodes)), tuple(input_shape), rows=analysed)
    except Exception as error:  # the rows up to the node that raised keep their shapes
        stop = stop or _short(str(error).splitlines()[0], 100)
    shape_of: dict[int, Shape] = {0: tuple(input_shape)}
    shape_of.update({row.index: tuple(row.output_shape) for row in analysed})
    return [shape_of.get(node) if node is not None else None for node in node_of], stop


def compare_rows(imported: Any, oracle: list[list[Shape] | None],
                 computed: tuple[list[Shape | None], str] | None = None) -> dict[str, Any]:
    """Each row's convcalc shape against the forward pass's shapes for it (``oracle[i]``, one per call).

    Returns the counts (``rows``, ``compared``, ``matched``, ``no_shape``: convcalc gives none, ``no_oracle``:
    the run has none) and the first mismatch, so a cell can say where its reading first leaves the run.
    """
    shapes, stop = computed if computed is not None else row_shapes(imported)
    result: dict[str, Any] = {"rows": len(imported.rows), "compared": 0, "matched": 0, "no_shape": 0,
                              "no_oracle": 0, "first_mismatch": "", "first_unchecked": "", "first_no_shape": "",
                              "stop": stop}
    for row, shape, truth in zip(imported.rows, shapes, oracle):
        if shape is None or not truth:
            result["no_shape" if shape is None else "no_oracle"] += 1
            if shape is None and not result["first_no_shape"]:
                result["first_no_shape"] = row.path
            result["first_unchecked"] = result["first_unchecked"] or (
                f"{row.path}: " + ("convcalc gives no shape" if shape is None else "no output in the forward pass"))
            continue
        result["compared"] += 1
        if shape in truth:
            result["matched"] += 1
        elif not result["first_mismatch"]:
            result["first_mismatch"] = f"{row.path}: {shape}, forward pass {truth[0]}"
    result["all"] = result["matched"] == result["rows"]
    return result


def module_oracle(model: Any, x: Any) -> dict[str, list[Shape]]:
    """One forward pass with a hook on every named module: each module's output shapes (no batch), per call.

    ``"name (input)"`` holds the shapes of the first tensor each call of module ``name`` received.
    """
    import torch

    seen: dict[str, list[Shape]] = {}
    handles = []
    for name, module in model.named_modules():
        def hook(_module: Any, _inputs: Any, output: Any, name: str = name) -> None:
            if isinstance(output, torch.Tensor):
                seen.setdefault(name, []).append(tuple(output.shape[1:]))
            if _inputs and isinstance(_inputs[0], torch.Tensor):  # what reached it: an assumed Flatten's oracle
                seen.setdefault(f"{name} (input)", []).append(tuple(_inputs[0].shape[1:]))
        handles.append(module.register_forward_hook(hook))
    try:
        with torch.no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
    return seen


def print_oracle(imported: Any, modules: dict[str, list[Shape]], root: str = "") -> list[list[Shape] | None]:
    """print(model) rows against the forward pass's module outputs and inputs, by the row's name.

    A row is named after the module whose output it is (``layer1.0.conv1``), or ``"M (input)"`` for what
    reaches module M (a residual add read before ``layer1.0.relu``, the ``Flatten`` before ``fc``); a
    ``Flatten`` assumed before M is M's input too; the model's own class name (``SqueezeNet``'s final
    flatten) is the model's output; ``"M (x1)"`` is the first part of ``x.chunk(2, dim=1)`` of M's input
    (ShuffleNet's stride-1 units), cut from M's recorded input by ``torch.chunk`` itself.
    """
    import torch

    def place(path: str) -> list[Shape] | None:
        if path.endswith(" (assumed)"):
            return modules.get(path[: -len(" (assumed)")] + " (input)")
        if path.endswith(" (x1)"):
            seen = modules.get(path[: -len(" (x1)")] + " (input)")
            return [tuple(torch.zeros(1, *shape).chunk(2, dim=1)[0].shape[1:]) for shape in seen] if seen else None
        if path == root and path not in modules:
            return modules.get("")
        return modules.get(path)

    return [place(row.path) for row in imported.rows]


def fx_oracle(model: Any, x: Any, imported: Any) -> list[list[Shape] | None]:
    """from_torch rows against ``ShapeProp`` over the same ``torch.fx`` trace, node for node, in order."""
    import torch
    import torch.fx
    from torch.fx.passes.shape_prop import ShapeProp

    traced = torch.fx.symbolic_trace(model)
    with torch.no_grad():
        ShapeProp(traced).propagate(x)
    queue: dict[str, list[Shape | None]] = {}
    for node in traced.graph.nodes:
        key = node.target if node.op == "call_module" else f"{node.op} {node.name}"
        meta = node.meta.get("tensor_meta")
        queue.setdefault(str(key), []).append(tuple(meta.shape[1:]) if hasattr(meta, "shape") else None)
    out: list[list[Shape] | None] = []
    for row in imported.rows:
        calls = queue.get(row.path) or [None]
        shape = calls.pop(0)  # a module called twice is two rows with its name, in call order
        out.append([shape] if shape is not None else None)
    return out


def onnx_oracle(path: Path, imported: Any) -> list[list[Shape] | None]:
    """ONNX rows against onnxruntime, every node output exposed as a graph output (zeros in)."""
    import numpy as np
    import onnx
    import onnxruntime

    model = onnx.load(str(path))
    graph = model.graph
    inferred = onnx.shape_inference.infer_shapes(model).graph
    declared = {v.name for v in graph.output}
    for info in inferred.value_info:
        if info.name not in declared:
            graph.output.append(info)
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    feed = {i.name: np.zeros([int(d) if isinstance(d, int) else 1 for d in i.shape], dtype=np.float32)
            for i in session.get_inputs()}
    shapes = {name: tuple(np.shape(value))[1:] for name, value in zip(names, session.run(names, feed))}
    consumers: dict[str, list[Any]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    by_name = {node.name or f"{node.op_type}_{i}": node for i, node in enumerate(graph.node)}
    row_paths = {row.path for row in imported.rows}
    out: list[list[Shape] | None] = []
    for row in imported.rows:
        part = re.fullmatch(r"(.+) \(output (\d+)\)", row.path)  # a Split's further outputs, one row each
        node = by_name.get(part[1] if part else row.path)
        index = int(part[2]) if part else 0
        if node is None or len(node.output) <= index:
            out.append(None)
            continue
        tensor = node.output[index]
        users = consumers.get(tensor, [])
        if node.op_type == "MatMul" and len(users) == 1 and users[0].op_type == "Add" \
                and users[0].name not in row_paths:
            tensor = users[0].output[0]  # MatMul + Add read as one Linear with bias: its output is the Add's
        out.append([shapes[tensor]] if tensor in shapes else None)
    return out


def module_of(row: Any, fmt: str, modules: set[str]) -> str:
    """The module a row reads (print(model)'s path, fx's module call, an ONNX node's scope); "" when none."""
    if fmt in ("print(model)", "from_torch"):
        return row.path if row.path in modules else ""
    parts = [part for part in row.path.split("/")[1:-1] if part]  # /layer1/layer1.0/conv1/Conv
    path = ""
    for part in parts:
        joined = part if part.startswith(path + ".") or not path else f"{path}.{part}"
        if joined not in modules and re.sub(r"_\d+$", "", joined) in modules:
            joined = re.sub(r"_\d+$", "", joined)  # relu_1: the second call of relu
        path = joined
    return path if path in modules else ""


def cross_check(readings: dict[str, Any], modules: set[str]) -> dict[str, Any]:
    """The readings against each other: their totals, and the shapes of each module two readings both read.

    A module's shapes in one reading must be among its shapes in the other (print(model) has one row for a
    module that ``forward()`` calls twice; ``from_torch`` and ONNX have one per call).
    """
    totals = {fmt: (tuple(got["output"]), got["params"], got["macs"]) for fmt, got in readings.items()
              if "params" in got}
    first: dict[str, dict[str, set[Shape]]] = {}
    for fmt, got in readings.items():
        imported, shapes = got.get("_imported"), got.get("_shapes")
        if imported is None:
            continue
        mine: dict[str, set[Shape]] = {}
        for row, shape in zip(imported.rows, shapes):
            module = module_of(row, fmt, modules)
            if module and shape is not None:
                mine.setdefault(module, set()).add(tuple(shape))
        first[fmt] = mine
    compared, differ, pairs = 0, [], {}
    fmts = list(first)
    for i, a in enumerate(fmts):
        for b in fmts[i + 1:]:
            pairs[f"{a} / {b}"] = [0, 0]  # modules both read, and how many of them differ
            for module in first[a].keys() & first[b].keys():
                compared += 1
                pairs[f"{a} / {b}"][0] += 1
                mine, theirs = first[a][module], first[b][module]
                if not (mine <= theirs or theirs <= mine):
                    pairs[f"{a} / {b}"][1] += 1
                    differ.append(f"{module}: {a} {', '.join(map(str, sorted(mine)))}, "
                                  f"{b} {', '.join(map(str, sorted(theirs)))}")
    same_totals = len(set(totals.values())) <= 1
    return {"readings": len(totals), "same_totals": same_totals, "module_pairs": compared,
            "module_differ": len(differ), "first_difference": sorted(differ)[0] if differ else "", "pairs": pairs}


def check(imported: Any, truth: dict[str, Any], oracle: list[list[Shape] | None]) -> dict[str, Any]:
    """Summarise one reading and compare it with the oracles, every row's shape included; the cell's verdict."""
    from convcalc import summarize

    result: dict[str, Any] = {"rows": len(imported.rows), "unsupported": 0, "partial": 0}
    unsupported = [row for row in imported.rows if row.status == "unsupported"]
    partial = [row for row in imported.rows if row.status == "partial"]
    result.update(unsupported=len(unsupported), partial=len(partial))
    computed = row_shapes(imported)
    result["shapes"] = compare_rows(imported, oracle, computed)
    result["_imported"], result["_shapes"] = imported, computed[0]
    if unsupported:
        row = unsupported[0]
        result["verdict"] = f"fails: {len(unsupported)} row(s) unsupported, first {row.path}: {_short(row.reason, 110)}"
        return result
    try:
        structure = imported.graph() if imported.branches else imported.layers
        summary = summarize(structure, INPUT)
    except Exception as error:  # a ConvCalcError naming the layer the shape cannot pass
        assumed = f" (rows partial: {_short(partial[0].reason, 90)})" if partial else ""
        result["verdict"] = f"fails: {_short(str(error).splitlines()[0], 110)}{assumed}"
        return result
    result.update(output=list(summary.output_shape), params=summary.trainable_params, macs=summary.total_macs)
    problems = []
    if tuple(summary.output_shape) != truth["output"]:
        problems.append(f"output {tuple(summary.output_shape)}, forward pass {truth['output']}")
    if summary.trainable_params != truth["params"]:
        problems.append(f"params {summary.trainable_params:,}, PyTorch {truth['params']:,}")
    if truth["gflops"] is not None and round(summary.total_macs / 1e9, 3) != truth["gflops"]:
        problems.append(f"GMACs {summary.total_macs / 1e9:.4f}, published {truth['gflops']}")
    rows = result["shapes"]
    if rows["first_mismatch"]:
        problems.append(f"{rows['compared'] - rows['matched']} row shape(s) differ from the forward pass, first "
                        f"{_short(rows['first_mismatch'], 90)}")
    elif not rows["all"]:
        problems.append(f"{rows['rows'] - rows['compared']} row(s) not checked, first {_short(rows['first_unchecked'], 90)}")
    if problems:
        assumed = f" (rows partial: {_short(partial[0].reason, 80)})" if partial else ""
        result["verdict"] = "fails: " + "; ".join(problems) + assumed
    elif partial:
        result["verdict"] = f"agrees, partial: {len(partial)} row(s), first {partial[0].path}: {_short(partial[0].reason, 90)}"
    else:
        result["verdict"] = "ok"
    return result


def run_model(name: str, builder: str, weights: str, kwargs: dict[str, Any], workdir: Path) -> dict[str, Any]:
    import torch
    import torchvision

    import convcalc
    from convcalc.importers import read_torch_print
    from convcalc.importers.onnx_model import read_onnx_file

    torch.manual_seed(0)
    model = getattr(torchvision.models, builder)(weights=None, **kwargs).eval()
    x = torch.zeros(1, *INPUT)
    with torch.no_grad():
        out = model(x)
    modules = module_oracle(model, x)
    meta = getattr(torchvision.models, weights).DEFAULT.meta
    truth = {"output": tuple(out.shape[1:]), "params": sum(p.numel() for p in model.parameters()),
             "gflops": meta.get("_ops"), "published_params": meta.get("num_params")}
    record: dict[str, Any] = {"model": name, "builder": builder, "output": list(truth["output"]),
                              "params": truth["params"], "published_params": truth["published_params"],
                              "gflops": truth["gflops"], "formats": {}, "seconds": {}}

    def print_reading() -> Any:
        imported = read_torch_print(str(model))
        return imported, print_oracle(imported, modules, type(model).__name__)

    def onnx_reading() -> Any:
        path = workdir / f"{builder}.onnx"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, (x,), str(path), dynamo=False, do_constant_folding=False)
        try:
            imported = read_onnx_file(path)
            return imported, onnx_oracle(path, imported)
        finally:
            path.unlink()

    def fx_reading() -> Any:
        imported = convcalc.from_torch(model, INPUT)
        return imported, fx_oracle(model, x, imported)

    readers = {"print(model)": print_reading, "ONNX": onnx_reading, "from_torch": fx_reading}
    for fmt in FORMATS:
        started = time.perf_counter()
        try:
            imported, oracle = readers[fmt]()
            record["formats"][fmt] = check(imported, truth, oracle)
        except Exception as error:  # the reader refused the model as a whole: that is the cell's reason
            record["formats"][fmt] = {"verdict": f"fails: {type(error).__name__}: {_short(str(error).splitlines()[0] if str(error) else '')}"}
        record["seconds"][fmt] = round(time.perf_counter() - started, 2)
    record["agreement"] = cross_check(record["formats"], set(modules))
    for got in record["formats"].values():
        got.pop("_imported", None)
        got.pop("_shapes", None)
    return record


def _rows_cell(got: dict[str, Any]) -> str:
    rows = got.get("shapes")
    if rows is None:
        return "-"
    if rows["all"]:
        return f"all {rows['rows']} match"
    text = f"{rows['matched']} of {rows['rows']} match"
    if rows["first_mismatch"]:
        text += f"; {rows['compared'] - rows['matched']} differ, first {_short(rows['first_mismatch'], 90)}"
    if rows["no_shape"]:
        text += f"; {rows['no_shape']} without a shape from {_short(rows['first_no_shape'], 60)} on"
    if rows["no_oracle"]:
        text += f"; {rows['no_oracle']} not run by forward()"
    return text


def _agreement_cell(agreement: dict[str, Any] | None) -> str:
    if not agreement or agreement["readings"] < 2:
        return f"{agreement['readings'] if agreement else 0} reading(s) summarised: nothing to compare"
    text = (f"{agreement['readings']} readings: " + ("same totals" if agreement["same_totals"] else "totals differ")
            + f"; {agreement['module_pairs']} module shapes compared between pairs of readings")
    if agreement["module_differ"]:
        text += f", {agreement['module_differ']} differ, first {_short(agreement['first_difference'], 80)}"
    else:
        text += ", same shapes"
    return text


def markdown(records: list[dict[str, Any]], versions: str) -> str:
    lines = ["| model | print(model) | ONNX | from_torch |", "|---|---|---|---|"]
    for r in records:
        lines.append(f"| {r['model']} | " + " | ".join(r["formats"][f]["verdict"] for f in FORMATS) + " |")
    lines += ["", "The oracles and what convcalc read (output shape for one image; params = trainable parameters; "
              "GMACs under convcalc's `torchvision` convention; `-` where the reading could not be summarised):", "",
              "| model | forward output | PyTorch params | published GFLOPS | print(model) params / GMACs "
              "| ONNX params / GMACs | from_torch params / GMACs |", "|---|---|---|---|---|---|---|"]
    for r in records:
        cells = []
        for f in FORMATS:
            got = r["formats"][f]
            cells.append(f"{got['params']:,} / {got['macs'] / 1e9:.3f}" if "params" in got else "-")
        lines.append(f"| {r['model']} | {tuple(r['output'])} | {r['params']:,} | {r['gflops']} | " + " | ".join(cells)
                     + " |")
    lines += ["", "Every row's output shape against the forward pass's at the same place (module hooks for "
              "print(model), onnxruntime with every node output exposed for ONNX, `torch.fx` ShapeProp for "
              "from_torch), and the readings against each other (their totals; the shapes of each module two "
              "readings both have):", "",
              "| model | print(model) rows | ONNX rows | from_torch rows | the readings compared |", "|---|---|---|---|---|"]
    for r in records:
        lines.append(f"| {r['model']} | " + " | ".join(_rows_cell(r["formats"][f]) for f in FORMATS)
                     + f" | {_agreement_cell(r.get('agreement'))} |")
    ok = [r["formats"][f] for r in records for f in FORMATS if r["formats"][f]["verdict"] == "ok"]
    compared = sum(r["formats"][f].get("shapes", {}).get("compared", 0) for r in records for f in FORMATS)
    lines += ["", f"{len(ok)} of {len(records) * len(FORMATS)} cells ok ({sum(g['shapes']['compared'] for g in ok):,} "
              f"rows, every one equal to the forward pass; {compared:,} rows compared in all). Made by "
              f"`examples/torchvision_agreement.py` ({versions})."]
    return "\n".join(lines)


def write_docs(path: Path, table: str) -> None:
    text = path.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{path}: no {START} ... {END} markers to write the table between")
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    path.write_text(f"{before}{START}\n{table}\n{END}{after}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", help="comma-separated torchvision builders (default: all)")
    parser.add_argument("--json", type=Path, help="write every record as JSON here")
    parser.add_argument("--write-docs", type=Path, help="write the table between the markers of this Markdown file")
    args = parser.parse_args(argv)
    import torch
    import torchvision

    torch.set_num_threads(1)
    chosen = MODELS
    if args.models:
        wanted = set(args.models.split(","))
        unknown = wanted - {b for _, b, _, _ in MODELS}
        if unknown:
            parser.error(f"unknown model(s) {sorted(unknown)}; choose from {[b for _, b, _, _ in MODELS]}")
        chosen = [m for m in MODELS if m[1] in wanted]
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, builder, weights, kwargs in chosen:
            started = time.perf_counter()
            try:
                record = run_model(name, builder, weights, kwargs, Path(tmp))
            except Exception as error:  # torchvision could not build or run it: still a row, saying why
                reason = f"fails: torchvision.models.{builder}: {type(error).__name__}: {_short(str(error), 100)}"
                record = {"model": name, "builder": builder, "output": [], "params": 0, "published_params": None,
                          "gflops": None, "formats": {f: {"verdict": reason} for f in FORMATS}, "seconds": {}}
            records.append(record)
            print(f"{name}: " + " | ".join(f"{f}: {record['formats'][f]['verdict']}" for f in FORMATS)
                  + f"  ({time.perf_counter() - started:.1f} s)", flush=True)
    versions = f"torch {torch.__version__}, torchvision {torchvision.__version__}"
    try:
        import onnx

        versions += f", onnx {onnx.__version__}"
        import onnxruntime

        versions += f", onnxruntime {onnxruntime.__version__}"
    except ImportError:  # pragma: no cover
        pass
    table = markdown(records, re.sub(r"\+[\w.]+", "", versions))
    print()
    print(table)
    if args.json:
        args.json.write_text(json.dumps(records, indent=1), encoding="utf-8")
    if args.write_docs:
        write_docs(args.write_docs, table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
