"""Check homework answers: each question is computed exactly, compared, and explained when wrong.

A question is a kind (``outsize``, ``transposed``, ``pool``, ``same_padding``,
``stack_shape``, ``params``, ``macs``, ``rf``, ``correlate``, ``convolve``,
``pool_exact``), the fields that define it, and the given ``answer``. Answer
files are TOML with one ``[[question]]`` table per question (format in
``docs/checking.md``); the command line builds the same tables from options.

Every correct answer comes from the library (:mod:`convcalc.arithmetic`,
:mod:`convcalc.working`, :mod:`convcalc.exact`, :mod:`convcalc.stack`); a
wrong answer gets the working and, when :mod:`convcalc.diagnose` recognises
the usual mistake behind it, a diagnosis.

Modules, all re-exported here (import from ``convcalc.check``): ``fields``
(each field's parser, aliases and limits), ``answers`` (the given answer in
the form its kind computes), ``questions`` (:func:`parse_question`,
:func:`check_question`, the fields of each kind) and ``answer_file``
(:func:`load_questions`, :func:`check_file`, :class:`Report`).

Examples
--------
>>> v = check_question({"id": "q5.1", "kind": "outsize", "size": 16, "kernel": 2, "stride": 2,
...                     "padding": 1, "dilation": 4, "answer": 8})
>>> v.ok, v.correct
(False, (7,))
>>> [d.code for d in v.diagnoses]
['ceil_instead_of_floor']
"""

from __future__ import annotations

from convcalc.check.answer_file import MAX_ANSWER_FILE_BYTES, Report, check_file, load_questions
from convcalc.check.answers import parse_answer
from convcalc.check.fields import ALIASES, KIND_PARSERS, MAX_AXES, MAX_SPEC_BYTES, PARSERS, SpecFile
from convcalc.check.questions import GEOMETRY, KIND_FIELDS, KINDS, check_question, parse_question
from convcalc.diagnose import Diagnosis, Verdict

__all__ = ["KINDS", "Diagnosis", "Verdict", "Report", "parse_question", "check_question", "check_file",
           "load_questions",
           # importable from here as before the split (docs/limits.md names the limits here)
           "KIND_FIELDS", "GEOMETRY", "ALIASES", "PARSERS", "KIND_PARSERS", "parse_answer", "SpecFile",
           "MAX_ANSWER_FILE_BYTES", "MAX_SPEC_BYTES", "MAX_AXES"]
