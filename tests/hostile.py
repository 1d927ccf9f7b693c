"""Hostile inputs for the command line, and a fast way to run many of them safely.

Used by ``tests/test_bad_input.py`` (one table row per command, option and value class) and
``tests/test_hostile_cli.py`` (a hypothesis fuzz). See ``docs/limits.md`` for the limits these
inputs probe.

Every case runs in a *worker*: a separate Python process that has imported the command line once
and runs one case after another through Typer's ``CliRunner`` (about a millisecond each instead
of the 0.1-0.4 s a fresh ``convcalc`` process costs). The parent gives each case a time limit; a
case that runs past it is reported as a hang and its worker is killed and replaced, so a hostile
input can never stall the test run. The worker's address space is capped (:data:`MEMORY_LIMIT`),
so an input that asks for gigabytes fails inside the worker instead of swapping out the machine.
A smaller set of cases runs through a real ``python -m convcalc`` process
(:func:`run_process`) to check that the installed entry point behaves the same way.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import struct
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

#: Seconds a single case may run before it counts as a hang. Cases should end in well under 1 s;
#: the margin is for a loaded CI machine.
TIME_LIMIT = 10.0

#: Address-space cap of a worker process (bytes): an allocation past it is a MemoryError there.
MEMORY_LIMIT = 4 * 1024**3

#: The exit statuses a command may end with on any input (docs/limits.md): 0 right, 1 wrong
#: answers / partial result, 2 bad input. 3 (internal error) and anything else is a bug.
ALLOWED_EXITS = frozenset({0, 1, 2})

#: Longest ``error:`` line accepted: one line for a person to read, never a whole input echoed back.
MAX_ERROR_LINE = 2000

#: Indented lines allowed after the ``error:`` line (a spec error shows the spec and a caret; a
#: missing dataset lists the places looked in).
MAX_CONTEXT_LINES = 8

#: The environment every case runs in: plain output, a fixed width, no debug tracebacks.
ENV = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb", "CONVCALC_DEBUG": None}


# --------------------------------------------------------------------------------------------
# Hostile value classes
# --------------------------------------------------------------------------------------------

HUGE_DIGITS = "1" * 10_000
FIFTY_DIGITS = "1" * 50
DEEP = 5_000

#: Values that must be refused (exit 2) wherever an integer size, stride, padding, dilation,
#: kernel or count goes (issue 17: "sizes ... are integers or documented symbolic expressions:
#: anything else is refused in the library and the CLI alike").
NOT_INTEGERS: dict[str, str] = {
    "fraction": "1/2",
    "exponent float": "1e5",
    "decimal": "1.5",
    "integral float": "16.0",
    "nan": "nan",
    "inf": "inf",
    "minus inf": "-inf",
    "True": "True",
    "None": "None",
    "complex": "1j",
    "NUL inside": "16\x00",
    "NUL alone": "\x00",
    "empty": "",
    "blank": "   ",
    "hex": "0x10",
    "emoji": "\U0001f600",
    "superscript digits": "\u00b9\u2076",
    "roman numeral": "\u216b",
    # Only ASCII digits are digits (docs/limits.md): other scripts' digits are refused, never read as 16.
    "arabic-indic digits": "\u0661\u0666",
    "fullwidth digits": "\uff11\uff16",
    "math bold digits": "\U0001d7cf\U0001d7d4",
    "underscore digits": "1_6",
    "power tower 9**9**9": "9**9**9",
    "power tower 10**10**10": "10**10**10",
    "huge exponent of a symbol": "n**100000000",
    "deep parentheses": "(" * DEEP + "1" + ")" * DEEP,
    "unbalanced parentheses": "(" * DEEP,
}

#: Code that must never run, wherever it is given (each writes a marker file if it ever runs).
INJECTIONS: dict[str, str] = {
    "__import__": "__import__('os').system('touch PWNED')",
    "attribute access": "n.__class__.__bases__",
    "dunder subclasses": "().__class__.__base__.__subclasses__()",
    "lambda": "(lambda: __import__('os').system('touch PWNED'))()",
    "list comprehension": "[n for n in (1,)]",
    "generator": "(x for x in ())",
    "conditional": "n if n else m",
    "dict": "{1: 2}",
    "eval": "eval('1')",
    "exec": "exec('open(\"PWNED\", \"w\")')",
    "open": "open('/etc/passwd').read()",
    "statement": "1; import os",
    "shell substitution": "$(touch PWNED)",
    "walrus": "(n := 3)",
    "getattr": "getattr(n, 'real')",
    "sympy Symbol": "Symbol('x')",
    "sympy S": "S('__import__(\"os\")')",
}

#: Values that may be accepted or refused (exit 0/1/2), but quickly and without a traceback.
EDGE: dict[str, str] = {
    "10,000 digits": HUGE_DIGITS,
    "50 digits": FIFTY_DIGITS,
    "minus 10,000 digits": "-" + HUGE_DIGITS,
    "power tower 2**2**2**2**2": "2**2**2**2**2",
    "10**100000": "10**100000",
    "10**4300": "10**4300",
    "zero": "0",
    "minus one": "-1",
    "minus five": "-5",
    "plus sign": "+16",
    "padded": " 16 ",
    "zero-width space": "1\u200b6",
    "RTL mark": "\u200f16",
    "carriage return": "\r16",
    "escape sequence": "\x1b[2J\x1b[31m16",
    "newline inside": "16\n17",
    "symbol": "n",
    "sympy constant E": "E",
    "sympy constant I": "I",
    "sympy oo": "oo",
    "sympy pi": "pi",
    "many dimensions": "x".join(["2"] * 2000),
    "trailing x": "16x",
    "comma only": ",",
    "colon pair": "0:1",
    "triple colon": "0:1:2",
    "dash": "-",
    "long string 1 MB": "a" * 1_000_000,
    "long digits 200 kB": "7" * 200_000,
    "sum of 5,000 terms": "+".join(["1"] * DEEP),
}

#: Every class above, for options that take any string (names, enums, files).
ALL_VALUES: dict[str, str] = {**NOT_INTEGERS, **INJECTIONS, **EDGE}

#: Digits of other scripts (for the fuzz): Arabic-Indic, Extended Arabic-Indic, Devanagari,
#: Bengali, fullwidth, mathematical bold, NKo.
UNICODE_DIGIT_ZEROS = (0x0660, 0x06F0, 0x0966, 0x09E6, 0xFF10, 0x1D7CE, 0x07C0)


def unicode_number(value: int, zero: int) -> str:
    """``value`` written with the ten digits that start at code point ``zero``."""
    return "".join(chr(zero + int(c)) for c in str(value))


def nested_conv(depth: int) -> str:
    """A spec nested ``depth`` deep: ``conv(conv(...conv(8,3)...))``."""
    return "conv(" * depth + "8,3" + ")" * depth


# --------------------------------------------------------------------------------------------
# Hostile files
# --------------------------------------------------------------------------------------------

def _gf2_times(matrix: list[int], vector: int) -> int:
    total, i = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[i]
        vector >>= 1
        i += 1
    return total


def _crc32_zeros(crc: int, length: int) -> int:
    """``zlib.crc32(bytes(length), crc)`` in O(log length): zlib's ``crc32_combine`` for zeros."""
    odd = [0xEDB88320] + [1 << i for i in range(31)]  # the operator for one zero bit
    even = [_gf2_times(odd, odd[i]) for i in range(32)]  # two zero bits
    odd = [_gf2_times(even, even[i]) for i in range(32)]  # four zero bits
    crc ^= 0xFFFFFFFF
    while length:
        even = [_gf2_times(odd, odd[i]) for i in range(32)]  # one zero byte, then 2, 4, ...
        if length & 1:
            crc = _gf2_times(even, crc)
        length >>= 1
        if not length:
            break
        odd = [_gf2_times(even, even[i]) for i in range(32)]
        if length & 1:
            crc = _gf2_times(odd, crc)
        length >>= 1
    return crc ^ 0xFFFFFFFF


def zip_bomb(path: Path, inflated: int = 3 * 1024**3, member: str = "x.npy") -> Path:
    """A small zip (an ``.npz`` or ``.keras``) whose one member inflates to ``inflated`` bytes:
    a valid ``.npy`` header declaring a uint8 array of that size, then zeros (``member`` ending in
    ``.json`` gets no header). Built in well under a second without compressing gigabytes: the
    deflate stream repeats one fully flushed block of compressed zeros, and the CRC of the zeros
    is computed in O(log n). 3 GB make a file of about 3 MB (deflate's best ratio, ~1030:1)."""
    import zlib

    if member.endswith(".npy"):
        text = "{'descr': '|u1', 'fortran_order': False, 'shape': (%d,), }" % (inflated - 128,)
        text += " " * (117 - len(text)) + "\n"  # a 128-byte header: the array is the rest
        head = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode()
    else:
        head = b'{"config": "'
    block = 1 << 20
    zeros = inflated - len(head)
    count, rest = divmod(zeros, block)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    one = compressor.compress(bytes(block)) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(bytes(block)) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert one == again  # a full flush resets the compressor, so every block compresses the same
    end = compressor.compress(bytes(rest)) + compressor.flush(zlib.Z_FINISH)
    crc = _crc32_zeros(zlib.crc32(head), zeros)
    size = len(start) + len(one) * count + len(end)
    name = member.encode()
    # Zip64: local header with sizes in the zip64 extra field, the data, the central directory.
    extra = struct.pack("<HHQQ", 0x0001, 16, inflated, size)
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 8, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                        len(name), len(extra)) + name + extra
    with open(path, "wb") as f:
        f.write(local)
        f.write(start)
        for _ in range(count):
            f.write(one)
        f.write(end)
        central_at = f.tell()
        cextra = struct.pack("<HHQQQ", 0x0001, 24, inflated, size, 0)
        central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 8, 0, 0x21, crc, 0xFFFFFFFF,
                              0xFFFFFFFF, len(name), len(cextra), 0, 0, 0, 0, 0xFFFFFFFF) + name + cextra
        f.write(central)
        central_end = f.tell()
        f.write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, 1, 1, len(central), central_at))
        f.write(struct.pack("<IIQI", 0x07064B50, 0, central_end, 1))
        f.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, 0xFFFFFFFF, 0xFFFFFFFF, 0))
    return path


def cifar_batch_declaring(path: Path, rows: int) -> Path:
    """A CIFAR-10 batch pickle whose data array *declares* ``rows`` x 3072 uint8 (e.g. 16 GB) but
    carries only a few bytes: the reader must check the declared size before allocating."""
    import pickle

    import numpy as np

    small = np.zeros((2, 3072), dtype=np.uint8)
    data = pickle.dumps({b"data": small, b"labels": [0, 1]}, protocol=2)
    # The shape (2, 3072) is pickled as BININT1 2, BININT2 3072, TUPLE2: make the 2 a BININT rows.
    shape = b"K\x02M\x00\x0c\x86"
    assert data.count(shape) == 1
    path.write_bytes(data.replace(shape, b"J" + struct.pack("<i", rows) + b"M\x00\x0c\x86"))
    return path


def invalid_utf8(prefix: str = "") -> bytes:
    """Text that is not UTF-8: a valid ``prefix``, then bytes no UTF-8 decoder accepts."""
    return prefix.encode() + b"\xff\xfe\xc3\x28\xa0\xa1\xf0\x28\x8c\x28 \x00\x80"


def unreadable(path: Path) -> tuple[Path, bool]:
    """A file that exists but cannot be read, and whether convcalc must run as another user to
    see it so. Tests often run as root, who ignores file permissions: then the case runs as
    ``nobody`` (:func:`run_process` with ``as_nobody=True``); as any other user ``chmod 000`` is
    enough. The file's folder must be reachable by that user (not pytest's private ``tmp_path``)."""
    path.write_text("[[question]]\nkind = 'outsize'\nin = 16\nk = 3\nanswer = 14\n")
    path.chmod(0)
    return path, os.geteuid() == 0


def _become_nobody() -> None:  # pragma: no cover - runs in the child between fork and exec
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)


# --------------------------------------------------------------------------------------------
# Running cases
# --------------------------------------------------------------------------------------------

@dataclass
class Outcome:
    """What one command line did."""

    args: list[str]
    code: int | None = None
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0
    timed_out: bool = False
    traceback: str = ""  # an exception that escaped the command (CliRunner catches it)
    extra: dict = field(default_factory=dict)


_WORKER = r"""
import json, os, resource, sys, traceback, time
limit = int(sys.argv[1])
if limit:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
sys.setrecursionlimit(sys.getrecursionlimit())
import typer.testing
from typer.testing import CliRunner
from convcalc.cli.main import app
runner = CliRunner()
# Build the click command once: Typer's CliRunner.invoke rebuilds it (and every lazily loaded
# command, from its signature) on each call, ~25 ms; the real entry point does that once a process.
command = typer.testing._get_command(app)
typer.testing._get_command = lambda app: command
inp, out = sys.stdin.buffer, sys.stdout.buffer
sys.stdout = sys.stderr  # stray prints must not corrupt the protocol
out.write(b"ready\n"); out.flush()
while True:
    size = inp.readline()
    if not size:
        break
    request = json.loads(inp.read(int(size)).decode("utf-8", "surrogatepass"))
    os.chdir(request["cwd"])
    stdin = request.get("stdin")
    if request.get("stdin_b64") is not None:
        import base64
        stdin = base64.b64decode(request["stdin_b64"])
    start = time.perf_counter()
    try:
        result = runner.invoke(app, request["args"], input=stdin, env=request["env"], prog_name="convcalc")
        code, so, se = result.exit_code, result.stdout, result.stderr
        tb = ""
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            tb = "".join(traceback.format_exception(*result.exc_info))
    except BaseException as error:  # MemoryError while capturing, RecursionError, ...
        code, so, se, tb = None, "", "", "".join(traceback.format_exception(error))
    reply = json.dumps({"code": code, "stdout": so[:200000], "stderr": se[:200000], "traceback": tb,
                        "seconds": time.perf_counter() - start}).encode("utf-8", "surrogatepass")
    out.write(b"%d\n" % len(reply)); out.write(reply); out.flush()
"""


class Worker:
    """A process that runs command lines in-process through ``CliRunner``, one after another.

    :meth:`run` gives each case :data:`TIME_LIMIT` seconds; past it the process is killed (the
    case is reported as timed out) and a fresh one is started for the next case.
    """

    def __init__(self, memory_limit: int = MEMORY_LIMIT) -> None:
        self.memory_limit = memory_limit
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    def _start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k != "CONVCALC_DEBUG"}
        env.update({"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb", "PYTHONUNBUFFERED": "1"})
        self.process = subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(self.memory_limit)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
            start_new_session=True,
        )
        assert self.process.stdout is not None
        line = self._read_line(60.0)
        if line != b"ready\n":
            raise RuntimeError(f"the hostile-input worker did not start: {line!r}")

    def _read_line(self, timeout: float) -> bytes | None:
        assert self.process is not None and self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            return None
        return self.process.stdout.readline()

    def kill(self) -> None:
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()
            self.process = None

    def run(self, args: Sequence[str], *, cwd: Path | str, stdin: str | bytes | None = None,
            timeout: float = TIME_LIMIT, env: dict | None = None) -> Outcome:
        """Run ``convcalc ARGS`` in ``cwd``; an :class:`Outcome` whatever happens."""
        if self.process is None or self.process.poll() is not None:
            if self.process is not None:
                self.restarts += 1
            self._start()
        assert self.process is not None and self.process.stdin is not None
        request: dict = {"args": list(args), "cwd": str(cwd), "env": {**ENV, **(env or {})}}
        if isinstance(stdin, bytes):
            import base64

            request["stdin_b64"] = base64.b64encode(stdin).decode()
        else:
            request["stdin"] = stdin
        data = json.dumps(request).encode("utf-8", "surrogatepass")
        start = time.perf_counter()
        self.process.stdin.write(b"%d\n" % len(data) + data)
        self.process.stdin.flush()
        size = self._read_line(timeout)
        seconds = time.perf_counter() - start
        if size is None:
            self.kill()
            return Outcome(list(args), timed_out=True, seconds=seconds)
        if not size:  # the worker died (killed by the kernel, a crash in C code, ...)
            code = self.process.wait()
            self.process = None
            return Outcome(list(args), code=None, seconds=seconds,
                           traceback=f"the worker process died with status {code} (signal or crash)")
        assert self.process.stdout is not None
        reply = json.loads(self.process.stdout.read(int(size)).decode("utf-8", "surrogatepass"))
        return Outcome(list(args), code=reply["code"], stdout=reply["stdout"], stderr=reply["stderr"],
                       seconds=seconds, traceback=reply["traceback"])


def run_process(args: Sequence[str], *, cwd: Path | str, stdin: bytes | None = None,
                timeout: float = TIME_LIMIT, as_nobody: bool = False) -> Outcome:
    """Run ``python -m convcalc ARGS`` as a real process under ``timeout`` (``as_nobody``: as the
    user ``nobody``, uid 65534, through util-linux's ``setpriv`` when there is one, else by
    ``setuid`` in the child; only root can ask for that)."""
    env = {k: v for k, v in os.environ.items() if k != "CONVCALC_DEBUG"}
    env.update({"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"})
    start = time.perf_counter()
    import shutil

    setpriv = shutil.which("setpriv") if as_nobody else None
    prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"] if setpriv else []
    process = subprocess.Popen([*prefix, sys.executable, "-m", "convcalc", *args], cwd=cwd, env=env,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True,
                               preexec_fn=_become_nobody if as_nobody and not setpriv else None)
    try:
        out, err = process.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return Outcome(list(args), timed_out=True, seconds=time.perf_counter() - start)
    return Outcome(list(args), code=process.returncode, stdout=out.decode("utf-8", "replace"),
                   stderr=err.decode("utf-8", "replace"), seconds=time.perf_counter() - start)


# --------------------------------------------------------------------------------------------
# Judging an outcome
# --------------------------------------------------------------------------------------------

def _mentions(line: str, names: Iterable[str]) -> bool:
    for name in names:
        pattern = r"(?<![A-Za-z0-9_])" + re.escape(name) + r"(?![A-Za-z0-9_])"
        if re.search(pattern, line, re.IGNORECASE):
            return True
    return False


def problems(outcome: Outcome, names: Iterable[str] = (), expect: int | frozenset[int] | None = None) -> list[str]:
    """What is wrong with ``outcome`` (empty when it is fine).

    Fine means: it ended within the time limit, with a status in :data:`ALLOWED_EXITS` (or the
    one ``expect``\\ed), no traceback anywhere, and, when it exits 2, stderr is exactly one line
    that starts with ``error:`` (then at most :data:`MAX_CONTEXT_LINES` indented context lines,
    such as a caret under the column of a spec error), no line longer than :data:`MAX_ERROR_LINE`,
    and the ``error:`` line names the parameter (any of ``names``, as a whole word,
    case-insensitive; not checked when empty). Control characters (escape sequences, carriage
    returns) are never written raw to stderr.
    """
    found: list[str] = []
    if outcome.timed_out:
        return [f"did not end within {TIME_LIMIT:g} s (killed)"]
    if outcome.traceback:
        last = outcome.traceback.strip().splitlines()[-1]
        found.append(f"uncaught exception: {last}")
    for stream, text in (("stdout", outcome.stdout), ("stderr", outcome.stderr)):
        if "Traceback (most recent call last)" in text:
            found.append(f"a traceback on {stream}")
    allowed = ALLOWED_EXITS if expect is None else (frozenset({expect}) if isinstance(expect, int) else expect)
    if outcome.code not in allowed:
        first = next((line for line in outcome.stderr.splitlines() if line.strip()), "")
        found.append(f"exit status {outcome.code}, expected {sorted(allowed)}; stderr: {first[:300]!r}")
    for stream, text in (("stdout", outcome.stdout), ("stderr", outcome.stderr)):
        controls = sorted({c for c in text if (ord(c) < 32 and c not in "\n\t") or ord(c) == 127})
        if controls:  # a hostile value must not move the cursor, clear the screen or recolour the terminal
            at = min(text.index(c) for c in controls)
            found.append(f"control characters {controls!r} written raw to {stream}: ...{text[max(0, at - 80):at + 40]!r}")
    if outcome.code == 2:
        lines = [line for line in outcome.stderr.split("\n") if line.strip()]
        errors = [line for line in lines if line.startswith("error:")]
        context = lines[1:]
        if not lines or not lines[0].startswith("error:"):
            found.append(f"exit 2 but stderr does not start with 'error:': {outcome.stderr[:300]!r}")
        elif len(errors) != 1 or len(context) > MAX_CONTEXT_LINES or any(not c[:1].isspace() for c in context):
            found.append(f"exit 2 with {len(lines)} stderr lines, expected one 'error:' line (and at most "
                         f"{MAX_CONTEXT_LINES} indented context lines): {outcome.stderr[:300]!r}")
        for line in lines:
            if len(line) > MAX_ERROR_LINE:
                found.append(f"error line of {len(line)} characters (echoes the input?): {line[:200]!r}...")
                break
        names = list(names)
        if lines and names and not _mentions(lines[0], names):
            found.append(f"error line names none of {names}: {lines[0][:300]!r}")
    return found


def describe(outcome: Outcome, limit: int = 160) -> str:
    """A short, printable form of a command line (long arguments abbreviated)."""
    def short(arg: str) -> str:
        text = repr(arg)
        return text if len(text) <= limit else f"{text[:60]}...<{len(arg)} chars>"

    return "convcalc " + " ".join(short(a) for a in outcome.args)
