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
three agree; ``agrees, partial`` when the numbers agree but some rows were read
on an assumption (the row's own reason); otherwise the first reason it fails.
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


def check(imported: Any, truth: dict[str, Any]) -> dict[str, Any]:
    """Summarise one reading and compare it with the oracles; the cell's verdict and the numbers read."""
    from convcalc import summarize

    result: dict[str, Any] = {"rows": len(imported.rows), "unsupported": 0, "partial": 0}
    unsupported = [row for row in imported.rows if row.status == "unsupported"]
    partial = [row for row in imported.rows if row.status == "partial"]
    result.update(unsupported=len(unsupported), partial=len(partial))
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
    with torch.no_grad():
        out = model(torch.zeros(1, *INPUT))
    meta = getattr(torchvision.models, weights).DEFAULT.meta
    truth = {"output": tuple(out.shape[1:]), "params": sum(p.numel() for p in model.parameters()),
             "gflops": meta.get("_ops"), "published_params": meta.get("num_params")}
    record: dict[str, Any] = {"model": name, "builder": builder, "output": list(truth["output"]),
                              "params": truth["params"], "published_params": truth["published_params"],
                              "gflops": truth["gflops"], "formats": {}, "seconds": {}}

    def onnx_reading() -> Any:
        path = workdir / f"{builder}.onnx"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, (torch.zeros(1, *INPUT),), str(path), dynamo=False,
                              do_constant_folding=False)
        try:
            return read_onnx_file(path)
        finally:
            path.unlink()

    readers = {"print(model)": lambda: read_torch_print(str(model)), "ONNX": onnx_reading,
               "from_torch": lambda: convcalc.from_torch(model, INPUT)}
    for fmt in FORMATS:
        started = time.perf_counter()
        try:
            record["formats"][fmt] = check(readers[fmt](), truth)
        except Exception as error:  # the reader refused the model as a whole: that is the cell's reason
            record["formats"][fmt] = {"verdict": f"fails: {type(error).__name__}: {_short(str(error).splitlines()[0] if str(error) else '')}"}
        record["seconds"][fmt] = round(time.perf_counter() - started, 2)
    return record


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
    ok = sum(r["formats"][f]["verdict"] == "ok" for r in records for f in FORMATS)
    lines += ["", f"{ok} of {len(records) * len(FORMATS)} cells ok. Made by `examples/torchvision_agreement.py` "
              f"({versions})."]
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
