"""'same' padding questions: the ``(lo, hi)`` split per axis and the usual ways to get it wrong."""

from __future__ import annotations

from typing import Any

from convcalc.arithmetic import same_padding
from convcalc.diagnose.verdict import Diagnosis, Verdict, _match, sizes_equal

_ODD_TOTAL = ("The total padding is odd, so it cannot be split evenly: 'same' pads (lo, hi) with hi = lo + 1, "
              "not the symmetric {alt}.")


def _pairs(value: Any) -> tuple[tuple[Any, Any], ...]:
    return value if isinstance(value[0], tuple) else (value,)


def check_same_padding(q: dict[str, Any]) -> Verdict:
    """The ``(lo, hi)`` padding of 'same', per axis."""
    framework = q.get("framework", "torch")
    args = (q["size"], q["kernel"], q.get("stride", 1), q.get("dilation", 1))
    correct = _pairs(same_padding(*args, framework=framework))
    given = q["answer"]
    ok = sizes_equal(given, correct)
    rule = ("PyTorch: total = d*(k-1), lo = total // 2, hi = total - lo (the odd pixel at the end)"
            if framework == "torch" else
            "TensorFlow/Keras: o = ceil(n/s), total = max((o-1)*s + d*(k-1) + 1 - n, 0), lo = total // 2, "
            "hi = total - lo (the extra pixel at the bottom/right)")
    working = (rule,) + tuple(f"axis {a}: total {lo + hi} -> (lo, hi) = ({lo}, {hi})" for a, (lo, hi) in
                              enumerate(correct))
    diagnoses: tuple[Diagnosis, ...] = ()
    if not ok:
        n, k, s, d = args
        candidates = [
            ("odd_pixel_first", lambda: tuple((hi, lo) for lo, hi in correct),
             "You put the odd pixel of padding first; PyTorch and TensorFlow put it at the end (right/bottom): "
             "the answer is the reverse of {alt}."),
            ("total_per_side", lambda: tuple((lo + hi, lo + hi) for lo, hi in correct),
             "You gave the total padding on each side; the total d*(k-1) is split between the two sides."),
            ("dilation_forgotten", lambda: _pairs(same_padding(n, k, s, 1, framework=framework)),
             "You left the dilation out: the dilated kernel spans d*(k-1)+1, and k alone gives {alt}."),
            ("symmetric_even", lambda: tuple((lo, lo) for lo, hi in correct), _ODD_TOTAL),
            ("symmetric_even", lambda: tuple((hi, hi) for lo, hi in correct), _ODD_TOTAL),
        ]
        if s not in (1, (1, 1)):
            candidates.insert(0, ("stride_ignored", lambda: _pairs(same_padding(n, k, 1, d, framework=framework)),
                                  "You padded as for stride 1 ({alt}); with stride s, 'same' only needs the "
                                  "output to be ceil(n/s)."))
        diagnoses = _match(given, correct, candidates, sizes_equal)
    return Verdict(q["id"], q["kind"], given, correct, ok, working, diagnoses, fields=q)
