"""examples/pictures.ipynb runs without errors, and each result shows itself as SVG or HTML.

Executed with nbclient on an ipykernel (both in the dev extra), as a reader would run it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from convcalc.draw.reprs import cell_html, summary_html, working_html

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "pictures.ipynb"


def test_reprs_of_the_results() -> None:
    from convcalc import explain_output_size, summarize
    from convcalc.exact import explain
    from convcalc.layers import Conv2D

    working = explain_output_size("conv", (5, 7), 3, 2, 1)
    html = working_html(working)
    assert "rows" in html and "columns" in html and "<b>3x4</b>" in html
    summary = summarize([Conv2D(8, 3)], (1, 28, 28))
    assert "8x26x26" in summary_html(summary) and ">80<" in summary_html(summary)
    cell = explain([[1, 2], [3, 4]], [[1, 1], [1, 1]], 0, 0, padding=1)
    html = cell_html(cell)
    assert "cc-pad" in html and "= 1" in html


def test_notebook_runs_and_shows_pictures() -> None:
    nbformat = pytest.importorskip("nbformat", reason="the dev extra installs nbformat")
    nbclient = pytest.importorskip("nbclient", reason="the dev extra installs nbclient")
    pytest.importorskip("ipykernel", reason="the dev extra installs ipykernel")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    shown = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        assert not any(out.get("output_type") == "error" for out in cell.outputs), cell.source
        data = [out.get("data", {}) for out in cell.outputs if out.get("output_type") == "execute_result"]
        kinds = {kind for d in data for kind in d}
        shown.append(kinds)
    svg = sum("image/svg+xml" in kinds for kinds in shown)
    html = sum("text/html" in kinds for kinds in shown)
    assert svg == 5, shown  # draw() x4 and receptive_field()
    assert html == 3, shown  # the outsize working, the cell working, the stack summary
