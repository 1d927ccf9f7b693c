"""Every internal path of the fast convolution kernels agrees with the loop twins.

The kernels choose between paths by shape (kept or rebuilt columns, chunked
batches, the flipped stride-1 backward, wide-row or strided col2im, the bias
folded into the product or added after). These tests force each path and
compare with ``conv2d_*_naive`` in float64.
"""

from __future__ import annotations

import numpy as np
import pytest

from convcalc.engine import (
    _kernels,
    conv2d_backward,
    conv2d_backward_naive,
    conv2d_forward,
    conv2d_forward_naive,
    conv_transpose2d_backward,
    conv_transpose2d_backward_naive,
    conv_transpose2d_forward,
    conv_transpose2d_forward_naive,
    release_workspaces,
    tune_malloc,
)
from convcalc.engine._runtime import workspace

# (id, x shape, w shape, keyword arguments, path the default rules pick)
CASES = [
    ("flipped", (3, 4, 7, 6), (4, 4, 3, 3), {"padding": 1}, "flipped"),
    ("flipped_groups_dilated", (2, 6, 9, 8), (6, 2, 3, 2), {"padding": ((2, 1), (1, 2)), "dilation": 2, "groups": 3},
     "flipped"),
    ("col2im_wide", (3, 2, 9, 8), (4, 2, 3, 3), {"padding": 1}, "col2im"),
    ("col2im_wide_vertical_stride", (2, 3, 11, 9), (2, 3, 3, 2), {"stride": (2, 1), "dilation": (1, 2)}, "col2im"),
    ("col2im_strided", (2, 2, 9, 9), (3, 2, 3, 3), {"stride": 2, "padding": 1}, "col2im"),
    ("col2im_narrow", (2, 1, 8, 8), (6, 1, 3, 3), {}, "col2im"),
    ("groups_bias_after", (2, 4, 6, 6), (6, 2, 2, 2), {"groups": 2, "stride": (1, 2)}, "col2im"),
    ("padding_beyond_kernel", (2, 2, 5, 5), (2, 2, 2, 2), {"padding": 3}, "col2im"),
]
IDS = [c[0] for c in CASES]


def _check(xs, ws, kw, bias=True):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    b = rng.standard_normal(ws[0]) if bias else None
    out, cache = conv2d_forward(x, w, b, **kw)
    ref, ref_cache = conv2d_forward_naive(x, w, b, **kw)
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)
    dout = rng.standard_normal(out.shape)
    got, want = conv2d_backward(dout, cache), conv2d_backward_naive(dout, ref_cache)
    for g, r in zip(got, want):
        if r is None:
            assert g is None
        else:
            np.testing.assert_allclose(g, r, rtol=1e-12, atol=1e-12)
    return cache


@pytest.mark.parametrize("name,xs,ws,kw,path", CASES, ids=IDS)
def test_the_expected_path_is_taken(name, xs, ws, kw, path):
    cache = conv2d_forward(np.zeros(xs), np.zeros(ws), **kw)[1]
    assert _kernels._takes_flipped_path(xs[1], ws[0], cache.geom) == (path == "flipped")


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("name,xs,ws,kw,path", CASES, ids=IDS)
def test_default_paths(name, xs, ws, kw, path, bias):
    _check(xs, ws, kw, bias)


@pytest.mark.parametrize("name,xs,ws,kw,path", CASES, ids=IDS)
def test_one_sample_chunks_and_rebuilt_columns(name, xs, ws, kw, path, monkeypatch):
    monkeypatch.setattr(_kernels, "CHUNK_BYTES", 1)
    monkeypatch.setattr(_kernels, "KEEP_COLS_BYTES", 0)
    cache = _check(xs, ws, kw)
    assert cache.cols is None


def _flippable(case) -> bool:
    """Stride 1 and padding <= d*(k - 1): both input-gradient paths are valid."""
    _, xs, ws, kw, _ = case
    return _kernels._flipped_geometry(conv2d_forward(np.zeros(xs), np.zeros(ws), **kw)[1].geom) is not None


FLIPPABLE = [c for c in CASES if _flippable(c)]


@pytest.mark.parametrize("name,xs,ws,kw,path", FLIPPABLE, ids=[c[0] for c in FLIPPABLE])
def test_col2im_and_flipped_paths_agree(name, xs, ws, kw, path, monkeypatch):
    """Force the other input-gradient path wherever both are valid."""
    monkeypatch.setattr(_kernels, "_takes_flipped_path", lambda c, f, g: path != "flipped")
    _check(xs, ws, kw)


def test_kept_columns_carry_the_bias_row_only_without_groups():
    x, w = np.ones((2, 2, 5, 5)), np.ones((4, 2, 3, 3))
    kept = conv2d_forward(x, w, np.zeros(4), stride=2)[1].cols
    assert kept is not None and kept.shape == (2, 2 * 9 + 1, 4)
    kept = conv2d_forward(x, w[:, :1], np.zeros(4), stride=2, groups=2)[1].cols
    assert kept.shape == (2, 2 * 9, 4)


@pytest.mark.parametrize("stride,output_padding", [(1, 0), (2, 1), ((3, 1), 0), (1, (1, 0))])
def test_transposed_paths(stride, output_padding, monkeypatch):
    """A stride-1 transposed convolution runs its forward on the flipped path, a strided one
    on col2im; output_padding with stride 1 (allowed by dilation) falls back to col2im."""
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((2, 4, 5, 4)), rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(3)
    kw = {"stride": stride, "output_padding": output_padding, "dilation": 2, "padding": 1}
    for chunk in (_kernels.CHUNK_BYTES, 1):
        monkeypatch.setattr(_kernels, "CHUNK_BYTES", chunk)
        out, cache = conv_transpose2d_forward(x, w, b, **kw)
        ref, ref_cache = conv_transpose2d_forward_naive(x, w, b, **kw)
        np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)
        dout = rng.standard_normal(out.shape)
        for g, r in zip(conv_transpose2d_backward(dout, cache), conv_transpose2d_backward_naive(dout, ref_cache)):
            np.testing.assert_allclose(g, r, rtol=1e-12, atol=1e-12)


def test_outputs_never_alias_the_reused_buffers():
    """Two forward passes of the same shape return independent outputs and caches."""
    rng = np.random.default_rng(2)
    w = rng.standard_normal((3, 2, 3, 3))
    x1, x2 = rng.standard_normal((2, 2, 6, 6)), rng.standard_normal((2, 2, 6, 6))
    out1, cache1 = conv2d_forward(x1, w, padding=1)
    snapshot = out1.copy()
    out2, cache2 = conv2d_forward(x2, w, padding=1)
    np.testing.assert_array_equal(out1, snapshot)
    dout = rng.standard_normal(out1.shape)
    np.testing.assert_allclose(conv2d_backward(dout, cache1)[0], conv2d_backward_naive(dout, cache1)[0], rtol=1e-12)


def test_workspace_is_reused_and_can_be_released():
    a = workspace("test", (4, 5), np.float64)
    b = workspace("test", (2, 3), np.float64)
    assert np.shares_memory(a, b)
    release_workspaces()
    assert not np.shares_memory(a, workspace("test", (2, 3), np.float64))


def test_tune_malloc_reports_whether_glibc_took_it():
    assert isinstance(tune_malloc(), bool)


@pytest.mark.parametrize("name,xs,ws,kw,path", CASES[:3], ids=IDS[:3])
def test_non_contiguous_inputs(name, xs, ws, kw, path):
    """Views (a transposed batch, a strided dout) give the same results as contiguous copies."""
    rng = np.random.default_rng(3)
    x = np.ascontiguousarray(rng.standard_normal(xs[:1] + xs[2:] + xs[1:2])).transpose(0, 3, 1, 2)
    w = rng.standard_normal(ws)[:, :, ::-1, :]
    assert not x.flags.c_contiguous and not w.flags.c_contiguous
    out, cache = conv2d_forward(x, w, **kw)
    ref, ref_cache = conv2d_forward_naive(np.ascontiguousarray(x), np.ascontiguousarray(w), **kw)
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)
    dout = rng.standard_normal(out.shape[:2] + (2 * out.shape[2], out.shape[3]))[:, :, ::2]
    for g, r in zip(conv2d_backward(dout, cache), conv2d_backward_naive(np.ascontiguousarray(dout), ref_cache)):
        if r is not None:
            np.testing.assert_allclose(g, r, rtol=1e-12, atol=1e-12)
