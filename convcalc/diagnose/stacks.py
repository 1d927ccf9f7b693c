"""Layer-stack questions: a shape after a layer, parameters, MACs, receptive fields, and their mistakes."""

from __future__ import annotations

import re
from typing import Any, Callable

from convcalc.diagnose.verdict import Diagnosis, Sizes, Verdict, _match, sizes_equal
from convcalc.errors import ConvCalcError
from convcalc.layers import channels_first, channels_last


def _stack(q: dict[str, Any]) -> tuple[list[Any], tuple[int, ...]]:
    """The layers and channels-first input shape of a question's ``spec`` (a preset or a layer list)."""
    from convcalc.spec import load_stack

    given = q.get("input")
    if given is not None and q.get("layout", "nchw") != "nchw" and len(given) > 1:
        given = channels_first(tuple(given))
    source = getattr(q["spec"], "file", None)
    try:
        layers, shape = load_stack(q["spec"], None if given is None else tuple(given), require_shape=False,
                                   files=False)  # an answer file's spec is text; check reads its files, confined
    except ConvCalcError as error:
        if source is None:
            raise
        where = re.search(r"line \d+, column \d+|column \d+", str(error))
        raise ConvCalcError(f"question {q['id']!r}: field 'spec': the spec file {source!r} is not a valid spec"
                            f"{' at ' + where.group(0) if where else ''} (its contents are not shown)") from None
    if shape is None:
        raise ConvCalcError(f"question {q['id']!r}: field 'input' is missing; the spec does not give the input "
                            "shape (write input = \"1x28x28\")")
    return layers, shape


def _summary(q: dict[str, Any], **options: Any) -> Any:
    from convcalc.stack import summarize

    layers, shape = _stack(q)
    return summarize(layers, shape, **options)


def _row_index(q: dict[str, Any], summary: Any, default: int | None) -> int | None:
    """The 1-based layer a question asks about (``None``: the whole network)."""
    index = q.get("layer", default)
    if index is not None and not 1 <= index <= len(summary.layers):
        raise ConvCalcError(f"question {q['id']!r}: field 'layer': {index} is not a layer of this network; "
                            f"use 1..{len(summary.layers)}")
    return index


def _shape_text(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape))


def check_stack_shape(q: dict[str, Any]) -> Verdict:
    """The output shape after a layer (default: the last), batch axis excluded."""
    layout = q.get("layout", "nchw")
    s = _summary(q)
    index = _row_index(q, s, len(s.layers))
    rows = s.layers[:index]
    show = (lambda shape: shape) if layout == "nchw" else channels_last
    correct, given = show(rows[-1].output_shape), tuple(q["answer"])
    note: tuple[str, ...] = ()
    written = q.get("answer_layout")
    if written is not None and written != layout and len(given) > 1:  # a printed form: read in its own layout
        given = channels_last(given) if layout == "nhwc" else channels_first(given)
        form = "None: Keras, channels last" if written == "nhwc" else "-1: torchsummary, channels first"
        note = (f"your answer is written with a batch axis ({form}); read in the question's {layout.upper()} "
                f"order it is {_shape_text(given)}",)
    elif written is not None:
        note = (f"your answer's batch axis ({'None' if written == 'nhwc' else '-1'}) is left out: shapes here "
                "are for one sample",)
    ok = given == tuple(correct)
    working = note + tuple(f"layer {r.index} {r.name}: {_shape_text(show(r.input_shape))} -> "
                           f"{_shape_text(show(r.output_shape))}" for r in rows)
    diagnoses: tuple[Diagnosis, ...] = ()
    if not ok:
        other = "nhwc" if layout == "nchw" else "nchw"
        candidates = [
            ("layout_" + other, lambda: channels_last(rows[-1].output_shape) if other == "nhwc" else
             rows[-1].output_shape,
             f"Your shape is in {other.upper()} order; the question uses {layout.upper()} ({_shape_text(correct)})."),
            ("batch_counted", lambda: ("*",) + tuple(correct),
             "Your shape includes a batch axis; shapes here are for one sample."),
        ]
        for j in (index - 1, index + 1):
            if 1 <= j <= len(s.layers):
                candidates.append(("wrong_layer", lambda j=j: show(s.layers[j - 1].output_shape),
                                   f"That is the shape after layer {j} ({s.layers[j - 1].name})."))
        diagnoses = _match(given, correct, candidates, _shape_equal)
    return Verdict(q["id"], q["kind"], given, correct, ok, working, diagnoses, fields=q)


def _shape_equal(given: Any, alt: Any) -> bool:
    if alt and alt[0] == "*":
        return len(given) == len(alt) and tuple(given[1:]) == tuple(alt[1:])
    return tuple(given) == tuple(alt)


#: ``params`` conventions: what each counts, as a sentence for the working.
PARAMS_CONVENTIONS = {
    "keras": "Keras's count_params(): trainable weights + non-trainable ones (BatchNorm's moving mean and "
             "variance)",
    "torch": "PyTorch's sum(p.numel() for p in model.parameters()): learnable weights only, no buffers "
             "(BatchNorm's running_mean/running_var are buffers)",
    "trainable": "trainable weights only (Keras's trainable_weights; PyTorch's parameters() of a model with "
                 "nothing frozen)",
}


def _param_count(row: Any, convention: str) -> int:
    """One layer's count under a convention; ``num_batches_tracked`` is counted by none (Keras has no such weight)."""
    return row.params if convention == "keras" else row.trainable


def _without_bias(q: dict[str, Any], convention: str) -> int:
    """Parameters with every bias switched off (the same specs, ``bias=False``)."""
    from dataclasses import replace

    from convcalc.stack import summarize

    layers, shape = _stack(q)
    # conv and dense biases only: a normalisation's shift (BatchNorm's beta, also a field named bias) is not one
    layers = [replace(layer, bias=False) if getattr(layer, "bias", None) is True and not hasattr(layer, "scale")
              else layer for layer in layers]
    s = summarize(layers, shape)
    index = q.get("layer")
    rows = s.layers if index is None else s.layers[index - 1:index]
    return sum(_param_count(r, convention) for r in rows)


def _count_verdict(q: dict[str, Any], s: Any, index: int | None, count: Callable[[Any], int],
                   header: tuple[str, ...], candidates: list, **extra: Any) -> Verdict:
    """A params or MACs verdict: the per-layer counts as working, plus the shared 'single layer' mistake."""
    rows = s.layers if index is None else s.layers[index - 1:index]
    correct = sum(count(r) for r in rows)
    given = q["answer"]
    working = header + tuple(f"layer {r.index} {r.name}: {count(r):,}" for r in rows
                             if count(r) or index is not None) + (f"total: {correct:,}",)
    diagnoses: tuple[Diagnosis, ...] = ()
    if given != correct:
        if index is None:
            candidates = candidates + [("single_layer", lambda r=r: count(r), f"That is layer {r.index} ({r.name}) "
                                        "alone.") for r in s.layers if count(r)]
        diagnoses = _match(given, correct, candidates, lambda a, b: a == b)
    return Verdict(q["id"], q["kind"], given, correct, given == correct, working, diagnoses, fields=q, **extra)


def check_params(q: dict[str, Any]) -> Verdict:
    """Parameters of the whole network (or of ``layer``) under a convention (default ``keras``).

    ``keras`` counts trainable + non-trainable weights (BatchNorm's moving mean
    and variance: ``4*C`` per BatchNorm); ``torch`` counts what
    ``model.parameters()`` holds (``2*C`` per BatchNorm, buffers left out);
    ``trainable`` counts trainable weights (the same number as ``torch`` for a
    spec, where nothing is frozen). An answer that is right under the other
    convention is diagnosed ``buffers_counted`` / ``buffers_forgotten``.
    """
    convention = q.get("convention", "keras")
    s = _summary(q)
    index = _row_index(q, s, None)
    rows = s.layers if index is None else s.layers[index - 1:index]
    buffers = sum(r.non_trainable for r in rows)
    count = lambda r: _param_count(r, convention)  # noqa: E731
    candidates = [("bias_forgotten", lambda: _without_bias(q, convention),
                   "You left out the biases (one per filter or unit); without them the count is {alt}.")]
    if convention == "keras":
        candidates.insert(0, ("buffers_forgotten", lambda: sum(r.trainable for r in rows),
                              f"You left out BatchNorm's running mean and variance ({buffers:,} non-trainable "
                              "weights, which Keras counts); {alt} is PyTorch's parameters() count. For that "
                              "count the question would say convention = \"torch\"."))
    else:
        candidates.insert(0, ("buffers_counted", lambda: sum(r.params for r in rows),
                              f"You counted BatchNorm's running mean and variance ({buffers:,} buffers, Keras's "
                              f"non-trainable weights); the question's convention ({convention}) counts only "
                              "the learnable parameters."))
    header: tuple[str, ...] = (f"convention: {convention}, {PARAMS_CONVENTIONS[convention]}",)
    if buffers and convention == "keras":
        header += (f"of which non-trainable (BatchNorm moving mean/variance): {buffers:,}",)
    elif buffers:
        header += (f"not counted: {buffers:,} BatchNorm buffers (running mean/variance)",)
    label = f"params ({convention})" if buffers or "convention" in q else ""
    return _count_verdict(q, s, index, count, header, candidates, convention=convention, label=label)


def check_macs(q: dict[str, Any]) -> Verdict:
    """Multiply-accumulates (default convention: torchvision's, one sample, no bias)."""
    convention, batch = q.get("convention", "torchvision"), q.get("batch", 1)
    s = _summary(q, convention=convention, batch=batch)
    index = _row_index(q, s, None)

    def total(summary: Any) -> int:
        return summary.total_macs if index is None else summary.layers[index - 1].macs

    correct, given = total(s), q["answer"]
    candidates = [
        ("flops_not_macs", lambda: 2 * correct,
         "That is twice the MACs: FLOPs count the multiply and the add separately (1 MAC = 2 FLOPs)."),
        ("macs_not_flops", lambda: correct // 2 if correct % 2 == 0 else None,
         "That is half: the question counts FLOPs (2 per multiply-accumulate)."),
        ("bias_counted", lambda: total(_summary(q, convention="torchinfo", batch=batch)),
         "You counted the bias additions too (torchinfo's Mult-Adds convention); the question's convention "
         f"({convention}) leaves them out."),
    ]
    if given and correct and given % correct == 0 and given // correct > 2:
        candidates.append(("batch_counted", lambda: given,
                           f"That is {given // correct} times the count: did you multiply by a batch of "
                           f"{given // correct}? The count here is for a batch of {batch}."))
    if batch > 1:
        candidates.append(("batch_forgotten", lambda: total(_summary(q, convention=convention)),
                           f"That is the count for one sample; the question asks for a batch of {batch}."))
    return _count_verdict(q, s, index, lambda r: r.macs, (f"convention: {convention}, batch {batch}",), candidates)


def check_rf(q: dict[str, Any]) -> Verdict:
    """Receptive field of a unit of ``layer`` (default: the last) on ``relative_to``'s output (default: the input)."""
    from convcalc.stack import rf_working

    layers, shape = _stack(q)
    reference = q.get("relative_to", 0)
    top = q.get("layer", len(layers))
    if not 1 <= top <= len(layers):
        raise ConvCalcError(f"question {q['id']!r}: field 'layer': {top} is not a layer of this network; "
                            f"use 1..{len(layers)}")
    if not 0 <= reference < top:
        raise ConvCalcError(f"question {q['id']!r}: field 'relative_to': {reference} must be 0 (the input) or "
                            f"a layer before layer {top}")
    rf = lambda ref: _rf_at(layers[:top], shape, ref)  # noqa: E731
    correct, given = rf(reference), q["answer"]
    w = rf_working(layers[:top], shape, rf_from=reference)
    where = lambda m: "the input" if m == 0 else f"layer {m}'s output"  # noqa: E731
    working = [f"r = 1 on layer {top}'s output; going down, r_(l-1) = s_l*r_l + (k_l - s_l)"]
    for m in range(len(w.steps) - 1, -1, -1):
        step, r_above, r = w.steps[m][0], w.sizes[m + 1][0], w.sizes[m][0]
        k, s = step.effective_kernel, step.stride
        working.append(f"on {where(w.reference + m)}: {s}*{r_above} + ({k} - {s}) = {r}")
    ok = sizes_equal(given, correct)
    diagnoses: tuple[Diagnosis, ...] = ()
    if not ok:
        candidates = [("rf_wrong_reference", lambda m=m: rf(m),
                       f"That is the receptive field measured on {where(m)}; the question measures it on "
                       f"{where(reference)}.") for m in range(top) if m != reference]
        diagnoses = _match(given, correct, candidates, sizes_equal)
    return Verdict(q["id"], q["kind"], given, correct, ok, tuple(working), diagnoses, fields=q)


def _rf_at(layers: list[Any], shape: tuple[int, ...], reference: int) -> Sizes:
    from convcalc.stack import summarize

    row = summarize(layers, shape, rf_from=reference).layers[-1]
    if row.rf is None:
        raise ConvCalcError(f"layer {row.index} ({row.name}) has no shift-invariant receptive field")
    return row.rf
