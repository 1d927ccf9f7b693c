"""``print(model)`` text read back into convcalc's table, checked against the real PyTorch module.

Each model below is built in PyTorch, printed, read back from the text alone,
and summarised by convcalc: the output shape must equal a forward pass's and
the parameter count ``sum(p.numel() for p in model.parameters())``.
"""

from __future__ import annotations

import pytest

from convcalc import summarize
from convcalc.errors import ConvCalcError
from convcalc.importers import looks_like_torch_print, read_torch_print

torch = pytest.importorskip("torch")
nn = torch.nn


class AlexNetLike(nn.Module):
    """torchvision's AlexNet layout, small: features, avgpool, classifier, flatten in forward()."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(16, 32, kernel_size=5, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(nn.Dropout(p=0.5), nn.Linear(32 * 6 * 6, 64), nn.ReLU(inplace=True),
                                        nn.Linear(64, 10))

    def forward(self, x):  # noqa: D102 - torchvision's order
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


def _vgg_like() -> nn.Module:
    return nn.Sequential(
        nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2, 2)),
        nn.Sequential(*[nn.Conv2d(8, 8, 3, padding=1) for _ in range(3)]),
        nn.MaxPool2d(2, ceil_mode=True),
        nn.Flatten(), nn.Linear(8 * 4 * 4, 10, bias=False), nn.Softmax(dim=1),
    )


def _dilated() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 4, 2, stride=2, padding=1, dilation=4), nn.ELU(), nn.AvgPool2d(2),
                         nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1), nn.Tanh())


CASES = [
    ("alexnet-like", AlexNetLike, (3, 127, 127)),
    ("vgg-like", _vgg_like, (3, 14, 14)),
    ("dilated", _dilated, (1, 16, 16)),
]


@pytest.mark.parametrize("name, factory, shape", CASES, ids=[c[0] for c in CASES])
def test_print_model_matches_the_module(name, factory, shape):
    torch.manual_seed(0)
    model = factory().eval()
    text = str(model)
    assert looks_like_torch_print(text)
    imported = read_torch_print(text)
    assert all(row.status != "unsupported" for row in imported.rows), imported.rows
    summary = summarize(imported.layers, shape)
    with torch.no_grad():
        out = model(torch.zeros(1, *shape))
    assert summary.output_shape == tuple(out.shape[1:])
    assert summary.trainable_params == sum(p.numel() for p in model.parameters())


def test_custom_module_rows_say_the_order_was_assumed():
    """AlexNet's flatten lives in forward(): the text cannot show it, so the row says it assumed one."""
    imported = read_torch_print(str(AlexNetLike()))
    flatten = [row for row in imported.rows if row.source == "Flatten()"]
    assert len(flatten) == 1 and flatten[0].status == "partial" and "assumed" in flatten[0].reason
    assert {row.status for row in imported.rows} == {"partial"}  # every child of a custom module
    assert "forward()" in imported.rows[0].reason


def test_sequential_rows_are_ok_and_paths_nest():
    imported = read_torch_print(str(_vgg_like()))
    assert {row.status for row in imported.rows} == {"ok"}
    assert [row.path for row in imported.rows[:6]] == ["0.0", "0.1", "0.2", "0.3", "1.0", "1.1"]


def test_repeated_modules_expand():
    """torch prints three equal children of a ModuleList as ``(0-2): 3 x ReLU()``."""
    text = str(nn.ModuleList([nn.ReLU() for _ in range(3)]))
    assert "3 x ReLU()" in text
    imported = read_torch_print(text)
    assert [row.path for row in imported.rows] == ["0", "1", "2"]
    assert all(row.status == "partial" and "ModuleList" in row.reason for row in imported.rows)


def test_hyphenated_names_are_names_not_ranges():
    """RegNet names its blocks ``block1-0``: only ``(0-2): 3 x`` is a range."""
    model = nn.Sequential()
    model.add_module("block1-0", nn.Conv2d(1, 2, 3))
    model.add_module("block1-1", nn.Sequential(nn.ReLU()))
    imported = read_torch_print(str(model))
    assert [row.path for row in imported.rows] == ["block1-0", "block1-1.0"]
    assert summarize(imported.layers, (1, 5, 5)).output_shape == (2, 3, 3)


def test_unknown_module_is_a_row_not_a_drop():
    text = "Sequential(\n  (0): Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1))\n  (1): MyFancyAttention(dim=8)\n)"
    imported = read_torch_print(text)
    assert [row.status for row in imported.rows] == ["ok", "unsupported"]
    assert imported.rows[1].reason and imported.rows[1].layers == ()
    assert imported.partial == [imported.rows[1]]


@pytest.mark.parametrize("text, message", [
    ("Sequential(\n  (0): ReLU()\n", "still open"),
    ("Sequential(\n  (0): ReLU()\n)\n)", "closes no module"),
    ("Sequential(\n  (0): Conv2d(1, 8,\n", "ends inside"),
    ("Sequential(\n  hello world\n)", "line 2"),
    ("Sequential(\n  (0-2): 2 x ReLU()\n)", "holds 3 modules"),
])
def test_malformed_text_names_the_line(text, message):
    with pytest.raises(ConvCalcError, match=message):
        read_torch_print(text)


def test_deep_nesting_is_refused_not_recursed():
    depth = 5000
    text = "Sequential(\n" + "(0): Sequential(\n" * depth + "(0): ReLU()\n" + ")\n" * (depth + 1)
    with pytest.raises(ConvCalcError, match="nest deeper"):
        read_torch_print(text)


def test_an_empty_sequential_passes_its_input_on():
    """ShuffleNet v2's first-stage branch is an empty Sequential(): an identity, not an unknown layer."""
    text = str(nn.Sequential(nn.Conv2d(1, 4, 3), nn.Sequential(), nn.ReLU()))
    assert "(1): Sequential()" in text
    imported = read_torch_print(text)
    assert [row.status for row in imported.rows] == ["ok", "ok", "ok"]
    assert [str(layer) for layer in imported.layers] == ["Conv2D(4, 3, s=1, p=0)", "ReLU"]
