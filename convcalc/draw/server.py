"""The explorer page of ``convcalc serve``: a standard-library HTTP server on 127.0.0.1.

``GET /`` is the page (``explorer.html``, package data); ``GET /api/draw?...``
answers one JSON object computed by the library: ``{"output": [...],
"working": {...}, "title": ..., "svg": "<svg ...>"}``, or ``{"error": "..."}``
with status 400 for a bad value. The page's JavaScript only sends the slider
values and shows what comes back: it never computes a size.

Query parameters (text, parsed as ``convcalc outsize`` parses its options):
``in``, ``k``, ``s`` (empty: the default), ``p``, ``d``, ``op`` (``conv``,
``pool``, ``transposed``), ``ceil`` (``1``), ``output_padding``, ``framework``,
``cell`` (``I,J``; empty for the first), ``view`` (``direct``, ``scatter``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from convcalc.errors import ConvCalcError

__all__ = ["make_server", "answer", "HOST"]

#: The only address the server binds: the explorer is for the person at this machine.
HOST = "127.0.0.1"
#: Longest query string accepted (the page's own queries are far shorter).
MAX_QUERY = 2000


def _default_parse(size: str, kernel: str, stride: str | None, padding: str, dilation: str) -> dict:
    from convcalc.parse import parse_padding, parse_sizes

    return {"size": parse_sizes(size, "size"), "kernel": parse_sizes(kernel, "kernel"),
            "stride": None if stride is None else parse_sizes(stride, "stride"),
            "padding": parse_padding(padding), "dilation": parse_sizes(dilation, "dilation")}


def answer(query: dict[str, str], parse: Callable[..., dict] = _default_parse) -> dict[str, Any]:
    """The JSON answer for one set of slider values (raises ConvCalcError for a bad one).

    Examples
    --------
    >>> answer({"in": "16", "k": "2", "s": "2", "p": "1", "d": "4", "cell": "3"})["output"]
    [7]
    """
    from convcalc.draw.layout import layout
    from convcalc.draw.model import build_figure
    from convcalc.draw.svg import to_svg
    from convcalc.parse import parse_sizes
    from convcalc.working import explain_output_size

    op = query.get("op", "conv")
    if op not in ("conv", "pool", "transposed"):
        raise ConvCalcError(f"The 'op' parameter must be one of conv, pool, transposed. Got {op!r}.")
    stride = query.get("s") or None
    g = parse(query.get("in", "5"), query.get("k", "3"), stride, query.get("p", "0"), query.get("d", "1"))
    ceil = query.get("ceil", "0") in ("1", "true", "on")
    out_pad = parse_sizes(query.get("output_padding", "0") or "0", "output_padding") if op == "transposed" else 0
    framework = query.get("framework", "torch")
    working = explain_output_size(op, g["size"], g["kernel"], g["stride"], g["padding"], g["dilation"],
                                  ceil_mode=ceil and op == "pool", output_padding=out_pad, framework=framework)
    cell_text = query.get("cell", "").strip()
    cell = None
    if cell_text:
        try:
            cell = tuple(int(v) for v in cell_text.split(","))
        except ValueError:
            raise ConvCalcError(f"The 'cell' parameter must be I,J (0-indexed ints). Got {cell_text!r}.") from None
        # The page's sliders may point past a smaller output: clamp to the last cell and say so in the reply.
        cell = tuple(min(max(v, 0), int(o) - 1) for v, o in zip(cell, working.output))
    if cell is None or len(cell) != len(working.output):
        cell = tuple(0 for _ in working.output)
    figure = build_figure(g["size"], g["kernel"], g["stride"], g["padding"], g["dilation"], op=op,
                          ceil_mode=ceil and op == "pool", output_padding=out_pad, framework=framework,
                          cell=cell, view=query.get("view", "direct"))
    return {"output": [int(v) for v in working.output], "working": working.to_dict(), "title": figure.title,
            "cell": list(cell), "svg": to_svg(layout(figure), animate=False)}


def page() -> bytes:
    """The explorer page (HTML and JavaScript in one file, shipped as package data)."""
    return resources.files("convcalc.draw").joinpath("explorer.html").read_bytes()


class Handler(BaseHTTPRequestHandler):
    """``/`` the page, ``/api/draw`` the JSON answer; nothing else."""

    parse: Callable[..., dict] = staticmethod(_default_parse)  # type: ignore[assignment]
    server_version = "convcalc-explorer"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # quiet: the terminal shows the URL, not every request

    def _send(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        parts = urlsplit(self.path)
        if parts.path in ("/", "/index.html"):
            self._send(200, page(), "text/html; charset=utf-8")
            return
        if parts.path != "/api/draw":
            self._send(404, b'{"error": "not found"}', "application/json")
            return
        if len(parts.query) > MAX_QUERY:
            self._send(400, json.dumps({"error": "query too long"}).encode(), "application/json")
            return
        query = {key: values[-1] for key, values in parse_qs(parts.query, keep_blank_values=True).items()}
        try:
            body = answer(query, type(self).parse)
            status = 200
        except ConvCalcError as error:
            body, status = {"error": str(error)}, 400
        except Exception as error:  # a bug: say so in the page instead of dropping the connection
            body, status = {"error": f"internal error: {type(error).__name__}: {error}"}, 500
        self._send(status, json.dumps(body).encode(), "application/json")


def make_server(port: int = 8765, parse: Callable[..., dict] | None = None) -> ThreadingHTTPServer:
    """A server bound to 127.0.0.1:``port`` (``0``: a free port; read ``server.server_address``).

    ``parse`` turns the option texts into library values; the command line
    passes the one ``convcalc outsize`` uses.
    """
    handler = type("ExplorerHandler", (Handler,), {"parse": staticmethod(parse or _default_parse)})
    try:
        return ThreadingHTTPServer((HOST, port), handler)
    except OSError as error:
        raise ConvCalcError(f"cannot listen on {HOST}:{port} ({error.strerror or error}); "
                            "try another --port, or --port 0 for a free one") from None
