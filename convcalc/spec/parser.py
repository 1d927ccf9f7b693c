"""Recursive descent over the tokens into calls (``name(args, key=value)``) and blocks, never ``eval``.

Blocks (the graph syntax, docs/graphs.md):

- ``res[body]`` (identity shortcut) and ``res[body; shortcut]`` (projection):
  the sum of the two branches;
- ``cat[a | b | ...]``, ``add[a | b | ...]``, ``mul[a | b | ...]``: branches
  from the same input joined by channel concatenation, sum or product; an empty
  branch is the input itself;
- ``N*[...]``: the items repeated ``N`` times in sequence;
- ``as NAME`` after an item names the node it produced; ``@NAME`` continues
  from that node (``@input`` is the input), e.g. a U-Net skip
  ``cat[@d1 crop(4) | ]``.

Nesting is limited to :data:`MAX_DEPTH` levels (blocks and argument tuples
alike): deeper input is one error, never a recursion crash. Parsing is one
pass over the tokens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Union

from convcalc.errors import ConvCalcError
from convcalc.spec.tokens import _error, _Token, _tokenize

#: Deepest nesting of blocks and argument tuples the parser accepts.
MAX_DEPTH = 100
#: Largest repetition count in ``N*[...]``.
MAX_REPEAT = 10_000
#: Block names and the merge each one ends with.
BLOCKS = {"res": "add", "residual": "add", "cat": "cat", "concat": "cat", "add": "add", "mul": "mul",
          "multiply": "mul"}


@dataclass
class _Call:
    name: str
    token: _Token
    args: list[Any] = field(default_factory=list)
    kwargs: dict[str, tuple[Any, _Token]] = field(default_factory=dict)
    arg_tokens: list[_Token] = field(default_factory=list)


@dataclass
class _Block:
    """``kind[branch | branch]`` (kind res, cat, add, mul) or ``count*[items]`` (kind rep)."""

    kind: str
    token: _Token
    branches: list[list[Any]]
    count: int = 1


@dataclass
class _Ref:
    """``@name``: continue from the node called ``name``."""

    name: str
    token: _Token


@dataclass
class _Label:
    """``as name``: name the node the items so far produced."""

    name: str
    token: _Token


Item = Union[_Call, _Block, _Ref, _Label]


def has_graph(items: list[Any]) -> bool:
    """True when ``items`` use blocks, references or labels (the spec describes a graph)."""
    return any(isinstance(item, (_Block, _Ref, _Label)) for item in items)


class _Parser:
    """Recursive descent over the tokens: items, blocks, call arguments and literal values."""

    SEPARATORS = {",", ";", "|", "->", ">>"}

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def fail(self, message: str, token: _Token | None = None) -> ConvCalcError:
        token = token or self.tok
        got = "the end" if token.kind == "end" else repr(token.text)
        return _error(self.text, token.pos, f"{message}; got {got}")

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _error(self.text, self.tok.pos, f"nesting deeper than {MAX_DEPTH} levels; flatten the spec "
                         "(N*[...] repeats without nesting)")

    def items(self) -> list[Item]:
        """The whole spec: items until the end."""
        out = self.sequence(closing=None, split=None)[0]
        return out

    def sequence(self, closing: str | None, split: str | None) -> list[list[Item]]:
        """Items up to ``closing`` (``]``) or the end, cut into branches at ``split``."""
        branches: list[list[Item]] = [[]]
        while True:
            tok = self.tok
            if closing is not None and tok.text == closing and tok.kind == "punct":
                self.i += 1
                return branches
            if tok.kind == "end":
                if closing is None:
                    return branches
                raise self.fail(f"expected '{closing}' to close the block")
            if tok.kind == "punct" and split is not None and tok.text == split:
                branches.append([])
                self.i += 1
                continue
            if tok.kind == "punct" and tok.text in self.SEPARATORS:
                if closing is not None and split is not None and tok.text in (";", "|"):
                    raise self.fail(f"'{tok.text}' inside this block; branches of res[...] are split by ';' and "
                                    "of cat/add/mul[...] by '|'")
                self.i += 1
                continue
            branches[-1].append(self.item())

    def item(self) -> Item:
        tok = self.tok
        following = self.tokens[self.i + 1] if tok.kind != "end" else tok
        if tok.kind == "number" and following.text == "*":
            return self.repeat()
        if tok.text == "@" and tok.kind == "punct":
            if following.kind != "name":
                raise self.fail("expected a node name after '@' (e.g. @skip1)", following)
            self.i += 2
            return _Ref(following.text, following)
        if tok.kind == "name" and tok.text.lower() == "as" and following.kind == "name":
            self.i += 2
            return _Label(following.text, following)
        if tok.kind == "name" and following.text == "[" and tok.text.lower() in BLOCKS:
            self.i += 2
            self.enter()
            kind = BLOCKS[tok.text.lower()]
            split = ";" if tok.text.lower() in ("res", "residual") else "|"
            branches = self.sequence("]", split)
            self.depth -= 1
            if tok.text.lower() in ("res", "residual") and len(branches) > 2:
                raise _error(self.text, tok.pos, "res[...] takes a body and at most one shortcut: res[body] or "
                             "res[body; shortcut]")
            return _Block("res" if split == ";" else kind, tok, branches)
        if tok.kind != "name":
            raise self.fail("expected a layer name such as conv, pool, dense or relu")
        return self.call()

    def repeat(self) -> _Block:
        tok = self.tok
        count = int(float(tok.text)) if re.fullmatch(r"\d+", tok.text) else -1
        if not 1 <= count <= MAX_REPEAT:
            raise _error(self.text, tok.pos, f"a repetition count must be an int from 1 to {MAX_REPEAT}; "
                         f"got {tok.text}")
        self.i += 2
        if self.tok.text != "[":
            raise self.fail(f"expected '[' after {tok.text}*")
        self.i += 1
        self.enter()
        body = self.sequence("]", None)[0]
        self.depth -= 1
        return _Block("rep", tok, [body], count)

    def call(self) -> _Call:
        call = _Call(self.tok.text, self.tok)
        self.i += 1
        if self.tok.text != "(":
            return call
        self.i += 1
        self.enter()
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
        self.depth -= 1
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
            self.enter()
            items = []
            while self.tok.text != close:
                items.append(self.value(where))
                if self.tok.text == ",":
                    self.i += 1
                elif self.tok.text != close:
                    raise self.fail(f"expected ',' or '{close}' in a tuple")
            self.i += 1
            self.depth -= 1
            return tuple(items)
        raise self.fail(f"expected a value in {where}")
