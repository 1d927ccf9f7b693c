"""Model code read with ``ast`` (never run by convcalc), checked against the module the same code builds.

The test itself executes each PyTorch snippet to get the oracle (a forward
pass and ``sum(p.numel())``); convcalc only reads the text.
"""

from __future__ import annotations

import textwrap

import pytest

from convcalc import summarize
from convcalc.errors import ConvCalcError
from convcalc.importers.python_source import looks_like_python, read_python_source

torch = pytest.importorskip("torch")

TORCH_SNIPPETS = {
    "class with forward (PyTorch MNIST example)": ("""
        import torch
        import torch.nn as nn
        import torch.nn.functional as F

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(1, 32, 3, 1)
                self.conv2 = nn.Conv2d(32, 64, 3, 1)
                self.dropout1 = nn.Dropout(0.25)
                self.fc1 = nn.Linear(9216, 128)
                self.fc2 = nn.Linear(128, 10)

            def forward(self, x):
                x = self.conv1(x)
                x = F.relu(x)
                x = F.relu(self.conv2(x))
                x = F.max_pool2d(x, 2)
                x = self.dropout1(x)
                x = torch.flatten(x, 1)
                x = F.relu(self.fc1(x))
                return F.log_softmax(self.fc2(x), dim=1)
        model = Net()
        """, (1, 28, 28), "ok"),
    "LeNet with view and a reused pool": ("""
        import torch.nn as nn
        import torch.nn.functional as F
        C = 6
        class LeNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(1, C, 5)
                self.pool = nn.MaxPool2d(2, 2)
                self.conv2 = nn.Conv2d(C, 16, 5)
                self.fc1 = nn.Linear(16 * 5 * 5, 120)
                self.fc2 = nn.Linear(120, 10)
            def forward(self, x):
                x = self.pool(F.relu(self.conv1(x)))
                x = self.pool(F.relu(self.conv2(x)))
                x = x.view(-1, 16 * 5 * 5)
                return self.fc2(F.relu(self.fc1(x)))
        model = LeNet()
        """, (1, 32, 32), "ok"),
    "nested nn.Sequential": ("""
        import torch.nn as nn
        model = nn.Sequential(
            nn.Sequential(nn.Conv2d(3, 8, kernel_size=3, padding=1), nn.BatchNorm2d(8), nn.ReLU()),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(8 * 8 * 8, 10),
        )
        """, (3, 16, 16), "ok"),
    "class whose forward has a residual add (order from __init__)": ("""
        import torch.nn as nn
        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(4, 4, 3, padding=1)
                self.act = nn.ReLU()
            def forward(self, x):
                out = self.conv(x)
                out += x
                return self.act(out)
        model = Block()
        """, (4, 8, 8), "partial"),
}


def _build(code: str):
    namespace: dict = {}
    exec(compile(textwrap.dedent(code), "<snippet>", "exec"), namespace)  # the oracle only; convcalc never runs code
    return namespace["model"].eval()


@pytest.mark.parametrize("name", list(TORCH_SNIPPETS))
def test_torch_code_matches_the_module(name):
    code, shape, status = TORCH_SNIPPETS[name]
    model = _build(code)
    imported = read_python_source(textwrap.dedent(code))
    assert {row.status for row in imported.rows} == {status}, imported.rows
    summary = summarize(imported.layers, shape)
    with torch.no_grad():
        out = model(torch.zeros(1, *shape))
    assert summary.output_shape == tuple(out.shape[1:])
    assert summary.trainable_params == sum(p.numel() for p in model.parameters())


KERAS_SEQUENTIAL = """
from tensorflow import keras
from tensorflow.keras import layers
model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
    layers.MaxPooling2D(pool_size=(2, 2)),
    layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
    layers.MaxPooling2D(pool_size=(2, 2)),
    layers.Flatten(),
    layers.Dropout(0.5),
    layers.Dense(10, activation="softmax"),
])
"""

KERAS_ADD = """
model = Sequential()
model.add(Conv2D(32, (3, 3), activation='relu', input_shape=(28, 28, 1)))
model.add(MaxPooling2D((2, 2)))
model.add(Flatten())
model.add(Dense(10, activation='softmax'))
"""

KERAS_FUNCTIONAL = """
inputs = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(32, 3, activation="relu")(inputs)
x = layers.MaxPooling2D(2)(x)
x = layers.Flatten()(x)
outputs = layers.Dense(10)(x)
model = keras.Model(inputs, outputs)
"""


@pytest.mark.parametrize("code, params", [
    (KERAS_SEQUENTIAL, 34_826),  # the Keras "Simple MNIST convnet" example's published total
    (KERAS_ADD, 320 + 13 * 13 * 32 * 10 + 10),
    (KERAS_FUNCTIONAL, 320 + 13 * 13 * 32 * 10 + 10),
])
def test_keras_code_reads_the_input_channels_last(code, params):
    imported = read_python_source(code)
    assert imported.input_shape == (1, 28, 28) and imported.layout == "nhwc"
    assert {row.status for row in imported.rows} == {"ok"}
    assert summarize(imported.layers, imported.input_shape).trainable_params == params


def test_non_literal_argument_is_an_unsupported_row():
    imported = read_python_source("model = nn.Sequential(nn.Conv2d(1, width, 3), nn.ReLU())")
    assert [row.status for row in imported.rows] == ["unsupported", "ok"]
    assert "width" in imported.rows[0].reason


def test_comprehension_is_an_unsupported_row_not_a_drop():
    imported = read_python_source("model = nn.Sequential(nn.ReLU(), *[nn.Conv2d(8, 8, 3) for _ in range(3)])")
    assert [row.status for row in imported.rows] == ["ok", "unsupported"]


def test_code_is_never_run(tmp_path):
    marker = tmp_path / "ran"
    code = f"open({str(marker)!r}, 'w').write('x')\nmodel = nn.Sequential(nn.ReLU())\n"
    read_python_source(code)
    assert not marker.exists()


@pytest.mark.parametrize("code, message", [
    ("model = nn.Sequential(nn.Conv2d(1, 8, 3)", "syntax error at line 1"),
    ("x = 1\n", "No model found"),
    ("model = nn.Sequential(\0)", "cannot be parsed|syntax error"),
])
def test_bad_source_is_one_clear_error(code, message):
    with pytest.raises(ConvCalcError, match=message):
        read_python_source(code)


def test_detection():
    assert looks_like_python(KERAS_SEQUENTIAL) and looks_like_python(KERAS_ADD)
    assert not looks_like_python("conv(32, 3) relu pool(2)")
