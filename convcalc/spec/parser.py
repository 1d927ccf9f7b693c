"""Recursive descent over the tokens into calls (``name(args, key=value)``), never ``eval``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from convcalc.spec.tokens import _error, _Token, _tokenize


@dataclass
class _Call:
    name: str
    token: _Token
    args: list[Any] = field(default_factory=list)
    kwargs: dict[str, tuple[Any, _Token]] = field(default_factory=dict)
    arg_tokens: list[_Token] = field(default_factory=list)


class _Parser:
    """Recursive descent over the tokens: items, call arguments and literal values."""

    SEPARATORS = {",", ";", "|", "->", ">>"}

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0

    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def fail(self, message: str, token: _Token | None = None) -> ConvCalcError:
        token = token or self.tok
        got = "the end" if token.kind == "end" else repr(token.text)
        return _error(self.text, token.pos, f"{message}; got {got}")

    def items(self) -> list[_Call]:
        calls = []
        while True:
            while self.tok.kind == "punct" and self.tok.text in self.SEPARATORS:
                self.i += 1
            if self.tok.kind == "end":
                return calls
            if self.tok.kind != "name":
                raise self.fail("expected a layer name such as conv, pool, dense or relu")
            calls.append(self.call())

    def call(self) -> _Call:
        call = _Call(self.tok.text, self.tok)
        self.i += 1
        if self.tok.text != "(":
            return call
        self.i += 1
        while self.tok.text != ")":
            start = self.tok
            if start.kind == "name" and self.tokens[self.i + 1].text == "=":
                self.i += 2
                key = start.text.lower().replace("_", "")
                if key in call.kwargs:
                    raise _error(self.text, start.pos, f"{start.text} is given twice")
                call.kwargs[key] = (self.value(f"the value of {start.text}"), start)
            else:
                if call.kwargs:
                    raise self.fail("a positional argument cannot follow a keyword argument", start)
                call.args.append(self.value(f"the arguments of {call.name}"))
                call.arg_tokens.append(start)
            if self.tok.text == ",":
                self.i += 1
            elif self.tok.text != ")":
                raise self.fail(f"expected ',' or ')' in the arguments of {call.name}")
        self.i += 1
        return call

    def value(self, where: str) -> Any:
        tok = self.tok
        if tok.kind == "number":
            self.i += 1
            return float(tok.text) if any(c in tok.text for c in ".eE") else int(tok.text)
        if tok.kind == "size":
            self.i += 1
            return tuple(int(v) for v in re.split(r"\s*[x×]\s*", tok.text))
        if tok.kind == "string":
            self.i += 1
            return tok.text[1:-1]
        if tok.kind == "name":
            if self.tokens[self.i + 1].text == "(":
                return self.call()
            self.i += 1
            return {"true": True, "false": False, "none": None}.get(tok.text.lower(), tok.text)
        if tok.text in ("(", "["):
            close = ")" if tok.text == "(" else "]"
            self.i += 1
            items = []
            while self.tok.text != close:
                items.append(self.value(where))
                if self.tok.text == ",":
                    self.i += 1
                elif self.tok.text != close:
                    raise self.fail(f"expected ',' or '{close}' in a tuple")
            self.i += 1
            return tuple(items)
        raise self.fail(f"expected a value in {where}")
