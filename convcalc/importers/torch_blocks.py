"""torchvision's block classes: what each one's ``forward()`` does, known from its name and printed children.

``print(model)`` shows a module's children but not the edges its ``forward()``
draws between them. For torchvision's own classes the class name settles it:
a printed ``(0): BasicBlock(`` with ``conv1 ... bn2`` and an optional
``downsample`` runs ``relu(bn2(...) + downsample(x))`` whatever the numbers.
:data:`BLOCKS` maps each class name to a function that builds that forward as
rows of a graph (residual adds, concatenations, squeeze-and-excitation
gates, the ``torch.flatten`` and functional pools the text does not show),
written from torchvision 0.29's ``torchvision/models/*.py`` and
``torchvision/ops/misc.py``.

A block function checks that the printed children are exactly the ones
torchvision's constructor makes (names, and the classes it dispatches on)
before it emits any row; when they are not, it raises :class:`NotTorchvision`
and the reader falls back to the children in printed order, marked
``partial``. (Checking first keeps a refused block from having run its
children once already: nested refusals would otherwise cost 2**depth.) Where ``forward()``
branches on an attribute the text does not print (``use_res_connect``), the
condition is derived from the printed children exactly as the constructor
sets it, said at each place.

Functional rows (a merge, ``F.relu``, ``torch.flatten``) are named after the
module whose output they are (``inception3a`` is its ``torch.cat``), or
``"<module> (input)"`` for the module they feed (``layer1.0.relu (input)`` is
the residual add), so every row names a place a forward hook can see.
Modules that ``forward()`` does not call (a ``StochasticDepth`` without a
residual, GoogLeNet's auxiliary heads in eval mode) are no rows: they are
listed in the model's notes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["Printed", "NotTorchvision", "Builder", "BLOCKS", "SEQUENTIAL"]


@dataclass
class Printed:
    """One module of ``print(model)`` text: a leaf with its repr, or a container with its children in order."""

    path: str
    name: str
    cls: str
    source: str = ""  # a leaf's repr ("Conv2d(3, 64, ...)"); "" for a container
    children: list[Printed] = field(default_factory=list)

    def child(self, name: str) -> Printed:
        """The child called ``name``; :class:`NotTorchvision` when there is none."""
        for child in self.children:
            if child.name == name:
                return child
        raise NotTorchvision(f"it has no child {name!r}")

    def has(self, name: str) -> bool:
        """Whether a child is called ``name``."""
        return any(child.name == name for child in self.children)

    def at(self, name: str) -> str:
        """The path of a (possibly functional) place ``name`` inside this module."""
        return f"{self.path}.{name}" if self.path else name

    @property
    def here(self) -> str:
        """The row path naming this module's own output (the class name for the outermost module)."""
        return self.path or self.cls

    def leaves(self) -> list[Printed]:
        """Every leaf under this module, in printed order."""
        if not self.children:
            return [self] if self.source else []
        return [leaf for child in self.children for leaf in child.leaves()]


class NotTorchvision(Exception):
    """The printed children are not those torchvision's class of that name has."""


class Builder(Protocol):
    """What a block function needs from the reader (:class:`convcalc.importers.torch_text._Builder`)."""

    def run(self, module: Printed, x: str) -> str:
        """Emit the rows of ``module`` applied to row ``x``; the path of the row giving its output."""
        ...

    def op(self, path: str, source: str, layers: Sequence[Any], inputs: Sequence[str]) -> str:
        """Emit one functional row (``F.relu``, a merge) taking ``inputs``; its path."""
        ...

    def spec(self, source: str) -> tuple[Any, ...]:
        """The convcalc layers of a spec call (``"ReLU()"``)."""
        ...

    def layer(self, leaf: Printed) -> Any:
        """The convcalc layer a printed leaf builds (:class:`NotTorchvision` when it builds none)."""
        ...

    def note(self, text: str) -> None:
        """Record a module ``forward()`` does not call."""
        ...


Block = Callable[[Builder, Printed, str], str]


def _expect(m: Printed, names: Sequence[str], optional: Sequence[str] = ()) -> None:
    have = [child.name for child in m.children]
    missing = [n for n in names if n not in have]
    extra = [n for n in have if n not in names and n not in optional]
    if missing or extra:
        said = ", ".join(([f"no {n!r}" for n in missing]) + [f"an extra {n!r}" for n in extra])
        raise NotTorchvision(f"its children differ from torchvision's {m.cls}: {said}")


def _seq(b: Builder, m: Printed, x: str, *names: str) -> str:
    for name in names:
        x = b.run(m.child(name), x)
    return x


def _add(b: Builder, path: str, inputs: Sequence[str]) -> str:
    from convcalc.graph import Add

    return b.op(path, "a + b", (Add(),), inputs)


def _cat(b: Builder, path: str, inputs: Sequence[str]) -> str:
    from convcalc.graph import Concat

    return b.op(path, "torch.cat([...], 1)", (Concat(),), inputs)


def _same_shape(b: Builder, body: Printed) -> bool:
    """True when ``body`` keeps its input's shape: every conv has stride 1 and the last conv's
    output channels equal the first conv's input channels.

    This is ``use_res_connect = stride == 1 and input_channels == out_channels`` of torchvision's
    MobileNet v2/v3 ``InvertedResidual`` and EfficientNet's ``MBConv``/``FusedMBConv``, read from
    the printed convs: the constructor passes its ``stride`` to exactly one conv (the depthwise
    one, or the fused one) and every other conv is 1x1 with stride 1; the first conv takes the
    block's input channels and the last gives its output channels.
    """
    convs = [b.layer(leaf) for leaf in body.leaves() if leaf.cls == "Conv2d"]
    if not convs:
        raise NotTorchvision(f"{body.path} has no Conv2d")
    strides = [s for conv in convs for s in ((conv.stride,) if isinstance(conv.stride, int) else conv.stride)]
    return all(s == 1 for s in strides) and convs[0].in_channels == convs[-1].filters


def _flatten(b: Builder, m: Printed, before: str, x: str, pool: str = "") -> str:
    """``torch.flatten(x, 1)`` (after a functional pool ``pool``, a spec call) as one row feeding ``before``."""
    layers = (b.spec(pool) if pool else ()) + b.spec("Flatten()")
    source = (f"{pool}, " if pool else "") + "torch.flatten(x, 1)"
    return b.op(f"{m.at(before)} (input)", source, layers, (x,))


# --- containers whose forward() runs their children in order (subclasses of nn.Sequential) ----------

def sequential(b: Builder, m: Printed, x: str) -> str:
    """``nn.Sequential.forward``: each child on the output of the one before."""
    for child in m.children:
        x = b.run(child, x)
    return x


#: torchvision's ``nn.Sequential`` subclasses (their forward is Sequential's).
SEQUENTIAL = ("Sequential", "Conv2dNormActivation", "Conv3dNormActivation", "ConvNormActivation", "_Transition",
              "SimpleStemIN", "AnyStage", "BottleneckTransform")


# --- ResNet (torchvision/models/resnet.py) -------------------------------------------------------------

def basic_block(b: Builder, m: Printed, x: str) -> str:
    """``relu(bn2(conv2(relu(bn1(conv1(x))))) + identity)``, identity = ``downsample(x)`` when printed."""
    _expect(m, ("conv1", "bn1", "relu", "conv2", "bn2"), ("downsample",))
    out = _seq(b, m, x, "conv1", "bn1", "relu", "conv2", "bn2")
    identity = b.run(m.child("downsample"), x) if m.has("downsample") else x  # downsample is None otherwise
    return b.run(m.child("relu"), _add(b, f"{m.at('relu')} (input)", (out, identity)))


def bottleneck(b: Builder, m: Printed, x: str) -> str:
    """Bottleneck: conv1/bn1/relu, conv2/bn2/relu, conv3/bn3, ``+ identity``, relu (the one ReLU module, thrice)."""
    _expect(m, ("conv1", "bn1", "conv2", "bn2", "conv3", "bn3", "relu"), ("downsample",))
    out = _seq(b, m, x, "conv1", "bn1", "relu", "conv2", "bn2", "relu", "conv3", "bn3")
    identity = b.run(m.child("downsample"), x) if m.has("downsample") else x
    return b.run(m.child("relu"), _add(b, f"{m.at('relu')} (input)", (out, identity)))


def resnet(b: Builder, m: Printed, x: str) -> str:
    """ResNet._forward_impl: stem, layer1-4, avgpool, ``torch.flatten(x, 1)``, fc."""
    names = ("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool")
    _expect(m, names + ("fc",))
    return b.run(m.child("fc"), _flatten(b, m, "fc", _seq(b, m, x, *names)))


# --- VGG, AlexNet, MobileNet v3, EfficientNet: features, avgpool, flatten, classifier --------------------

def features_avgpool_classifier(b: Builder, m: Printed, x: str) -> str:
    """``classifier(torch.flatten(avgpool(features(x)), 1))`` (VGG, AlexNet, MobileNetV3, EfficientNet)."""
    _expect(m, ("features", "avgpool", "classifier"))
    return b.run(m.child("classifier"), _flatten(b, m, "classifier", _seq(b, m, x, "features", "avgpool")))


# --- MobileNet v2 (torchvision/models/mobilenetv2.py) ---------------------------------------------------

def mobilenet_v2(b: Builder, m: Printed, x: str) -> str:
    """features, ``F.adaptive_avg_pool2d(x, (1, 1))``, ``torch.flatten(x, 1)``, classifier."""
    _expect(m, ("features", "classifier"))
    x = _flatten(b, m, "classifier", b.run(m.child("features"), x), "AdaptiveAvgPool2d((1, 1))")
    return b.run(m.child("classifier"), x)


def inverted_residual(b: Builder, m: Printed, x: str) -> str:
    """``InvertedResidual``: MobileNet v2's (child ``conv``), v3's (``block``) or ShuffleNet v2's (``branch1/2``).

    MobileNet v2: ``x + conv(x)`` if ``use_res_connect`` else ``conv(x)``; v3: ``block(x)``, ``+ x``
    likewise. ``use_res_connect = stride == 1 and inp == oup`` is read from the printed convs
    (:func:`_same_shape`). In v3 a dilated block prints stride 1 where its config said 2
    (``stride = 1 if dilation > 1``) while ``use_res_connect`` keeps the config's stride; no
    torchvision configuration has such a block with equal input and output channels, so the
    printed stride decides there too.
    """
    if m.has("branch1") or m.has("branch2"):
        return shuffle_residual(b, m, x)
    body = "conv" if m.has("conv") else "block"
    _expect(m, (body,))
    residual = _same_shape(b, m.child(body))  # before any row: a block that is not torchvision's emits none
    out = b.run(m.child(body), x)
    return _add(b, m.here, (x, out) if body == "conv" else (out, x)) if residual else out


# --- EfficientNet (torchvision/models/efficientnet.py) ---------------------------------------------------

def mbconv(b: Builder, m: Printed, x: str) -> str:
    """``MBConv``/``FusedMBConv``: ``block(x)``; with ``use_res_connect``, ``stochastic_depth(result) + x``.

    ``use_res_connect = stride == 1 and input_channels == out_channels`` (:func:`_same_shape`);
    without it ``stochastic_depth`` is never called.
    """
    _expect(m, ("block", "stochastic_depth"))
    residual = _same_shape(b, m.child("block"))
    out = b.run(m.child("block"), x)
    if not residual:
        b.note(f"{m.at('stochastic_depth')}: not called ({m.cls} has no residual: stride 2 or new channels)")
        return out
    return _add(b, m.here, (b.run(m.child("stochastic_depth"), out), x))


def squeeze_excitation(b: Builder, m: Printed, x: str) -> str:
    """``SqueezeExcitation``: ``scale_activation(fc2(activation(fc1(avgpool(x))))) * x`` (torchvision/ops/misc.py)."""
    _expect(m, ("avgpool", "fc1", "fc2", "activation", "scale_activation"))
    scale = _seq(b, m, x, "avgpool", "fc1", "activation", "fc2", "scale_activation")
    from convcalc.graph import Multiply

    return b.op(m.here, "scale * input", (Multiply(),), (scale, x))


# --- GoogLeNet (torchvision/models/googlenet.py) ---------------------------------------------------------

_GOOGLENET = ("conv1", "maxpool1", "conv2", "conv3", "maxpool2", "inception3a", "inception3b", "maxpool3",
              "inception4a", "inception4b", "inception4c", "inception4d", "inception4e", "maxpool4",
              "inception5a", "inception5b", "avgpool")


def googlenet(b: Builder, m: Printed, x: str) -> str:
    """GoogLeNet._forward in eval mode: the stem and inceptions, avgpool, flatten, dropout, fc.

    ``transform_input`` (not printed) only rescales values. ``aux1``/``aux2`` run only in training
    mode (``if self.training``): they are noted, not read, and their parameters are not counted.
    """
    _expect(m, _GOOGLENET + ("dropout", "fc"), ("aux1", "aux2"))
    for aux in ("aux1", "aux2"):
        if m.has(aux):
            b.note(f"{m.at(aux)}: not called in eval mode (GoogLeNet's auxiliary classifier runs only in "
                   "training); its parameters are not counted")
    x = _flatten(b, m, "dropout", _seq(b, m, x, *_GOOGLENET))
    return _seq(b, m, x, "dropout", "fc")


def basic_conv2d(b: Builder, m: Printed, x: str) -> str:
    """``BasicConv2d``: conv, bn, ``F.relu`` (a functional row named after the block: its output)."""
    _expect(m, ("conv", "bn"))
    return b.op(m.here, "F.relu(x, inplace=True)", b.spec("ReLU()"), (_seq(b, m, x, "conv", "bn"),))


def inception(b: Builder, m: Printed, x: str) -> str:
    """``Inception``: ``torch.cat([branch1(x), branch2(x), branch3(x), branch4(x)], 1)``."""
    names = ("branch1", "branch2", "branch3", "branch4")
    _expect(m, names)
    return _cat(b, m.here, [b.run(m.child(name), x) for name in names])


# --- DenseNet (torchvision/models/densenet.py) -----------------------------------------------------------

def densenet(b: Builder, m: Printed, x: str) -> str:
    """DenseNet.forward: features, ``F.relu``, ``F.adaptive_avg_pool2d(out, (1, 1))``, flatten, classifier."""
    _expect(m, ("features", "classifier"))
    features = b.run(m.child("features"), x)
    out = b.op(f"{m.at('classifier')} (input)", "F.relu(features), F.adaptive_avg_pool2d(out, (1, 1)), "
               "torch.flatten(out, 1)", b.spec("ReLU()") + b.spec("AdaptiveAvgPool2d((1, 1))") + b.spec("Flatten()"),
               (features,))
    return b.run(m.child("classifier"), out)


_DENSE_LAYER = ("norm1", "relu1", "conv1", "norm2", "relu2", "conv2")


def dense_layer(b: Builder, m: Printed, features: Sequence[str]) -> str:
    """``_DenseLayer`` on the list of earlier features: ``torch.cat(features, 1)``, then
    norm1/relu1/conv1/norm2/relu2/conv2 (``F.dropout`` with ``drop_rate``, not printed, is the identity in eval)."""
    _expect(m, _DENSE_LAYER)
    x = features[0] if len(features) == 1 else _cat(b, f"{m.at('norm1')} (input)", features)
    return _seq(b, m, x, "norm1", "relu1", "conv1", "norm2", "relu2", "conv2")


def dense_block(b: Builder, m: Printed, x: str) -> str:
    """``_DenseBlock`` (a ModuleDict): each ``_DenseLayer`` takes all features so far; ``torch.cat`` of all."""
    if not m.children or any(child.cls != "_DenseLayer" or not child.children for child in m.children):
        raise NotTorchvision("its children are not all _DenseLayer")
    for child in m.children:  # all checked before any row is emitted
        _expect(child, _DENSE_LAYER)
    features = [x]
    for child in m.children:
        features.append(dense_layer(b, child, features))
    return _cat(b, m.here, features)


# --- SqueezeNet (torchvision/models/squeezenet.py) -------------------------------------------------------

def squeezenet(b: Builder, m: Printed, x: str) -> str:
    """SqueezeNet.forward: ``torch.flatten(classifier(features(x)), 1)`` (the flatten is the model's output)."""
    _expect(m, ("features", "classifier"))
    x = _seq(b, m, x, "features", "classifier")
    return b.op(m.here, "torch.flatten(x, 1)", b.spec("Flatten()"), (x,))


def fire(b: Builder, m: Printed, x: str) -> str:
    """``Fire``: squeeze + ReLU, then ``torch.cat`` of the 1x1 and 3x3 expands (each + ReLU)."""
    names = ("squeeze", "squeeze_activation", "expand1x1", "expand1x1_activation", "expand3x3",
             "expand3x3_activation")
    _expect(m, names)
    x = _seq(b, m, x, "squeeze", "squeeze_activation")
    return _cat(b, m.here, (_seq(b, m, x, "expand1x1", "expand1x1_activation"),
                            _seq(b, m, x, "expand3x3", "expand3x3_activation")))


# --- ShuffleNet v2 (torchvision/models/shufflenetv2.py) --------------------------------------------------

def shufflenet_v2(b: Builder, m: Printed, x: str) -> str:
    """ShuffleNetV2._forward_impl: conv1, maxpool, stage2-4, conv5, ``x.mean([2, 3])``, fc."""
    names = ("conv1", "maxpool", "stage2", "stage3", "stage4", "conv5")
    _expect(m, names + ("fc",))
    pooled = b.op(f"{m.at('fc')} (input)", "x.mean([2, 3])", b.spec("GlobalAvgPool2D()"), (_seq(b, m, x, *names),))
    return b.run(m.child("fc"), pooled)


def shuffle_residual(b: Builder, m: Printed, x: str) -> str:
    """ShuffleNet v2's ``InvertedResidual``: ``channel_shuffle(torch.cat(parts, dim=1), 2)`` where the parts are
    ``x1, branch2(x2)`` for ``x1, x2 = x.chunk(2, dim=1)`` when stride is 1, else ``branch1(x), branch2(x)``.

    The stride is not printed; the constructor makes ``branch1`` an empty ``nn.Sequential()`` exactly when
    ``stride == 1`` (and forward() then never calls it), so an empty ``branch1`` is stride 1. The shuffle's
    ``groups`` is the literal 2 of ``forward()``.
    """
    from convcalc.layers import ChannelChunk, ChannelShuffle

    _expect(m, ("branch1", "branch2"))
    branch1, branch2 = m.child("branch1"), m.child("branch2")
    if not branch1.children and branch1.cls == "Sequential":  # stride 1
        b.note(f"{branch1.path}: not called (an empty Sequential: the unit has stride 1 and splits its input)")
        x1 = b.op(f"{m.here} (x1)", "x.chunk(2, dim=1)[0]", (ChannelChunk(2, 0),), (x,))
        x2 = b.op(f"{m.at('branch2')} (input)", "x.chunk(2, dim=1)[1]", (ChannelChunk(2, 1),), (x,))
        parts = (x1, b.run(branch2, x2))
    else:
        parts = (b.run(branch1, x), b.run(branch2, x))
    from convcalc.graph import Concat

    return b.op(m.here, "channel_shuffle(torch.cat(parts, dim=1), 2)", (Concat(), ChannelShuffle(2)), parts)


# --- MNASNet (torchvision/models/mnasnet.py) and RegNet (torchvision/models/regnet.py) ------------------

def mnasnet(b: Builder, m: Printed, x: str) -> str:
    """MNASNet.forward: layers, ``x.mean([2, 3])``, classifier."""
    _expect(m, ("layers", "classifier"))
    pooled = b.op(f"{m.at('classifier')} (input)", "x.mean([2, 3])", b.spec("GlobalAvgPool2D()"),
                  (b.run(m.child("layers"), x),))
    return b.run(m.child("classifier"), pooled)


def mnasnet_residual(b: Builder, m: Printed, x: str) -> str:
    """MNASNet's ``_InvertedResidual``: ``layers(x) + x`` when ``apply_residual = in_ch == out_ch and stride == 1``
    (:func:`_same_shape`: its one strided conv is the depthwise one)."""
    _expect(m, ("layers",))
    residual = _same_shape(b, m.child("layers"))
    out = b.run(m.child("layers"), x)
    return _add(b, m.here, (out, x)) if residual else out


def res_bottleneck_block(b: Builder, m: Printed, x: str) -> str:
    """RegNet's ``ResBottleneckBlock``: ``activation(proj(x) + f(x))``, or ``activation(x + f(x))`` when
    ``proj`` is None (then it is not printed)."""
    _expect(m, ("f", "activation"), ("proj",))
    shortcut = b.run(m.child("proj"), x) if m.has("proj") else x
    added = _add(b, f"{m.at('activation')} (input)", (shortcut, b.run(m.child("f"), x)))
    return b.run(m.child("activation"), added)


def regnet(b: Builder, m: Printed, x: str) -> str:
    """RegNet.forward: stem, trunk_output, avgpool, ``x.flatten(start_dim=1)``, fc."""
    _expect(m, ("stem", "trunk_output", "avgpool", "fc"))
    return b.run(m.child("fc"), _flatten(b, m, "fc", _seq(b, m, x, "stem", "trunk_output", "avgpool")))


#: Class name (as ``print(model)`` shows it) -> the function building its ``forward()`` as rows.
BLOCKS: dict[str, Block] = {
    **{name: sequential for name in SEQUENTIAL},
    "BasicBlock": basic_block,
    "Bottleneck": bottleneck,
    "ResNet": resnet,
    "VGG": features_avgpool_classifier,
    "AlexNet": features_avgpool_classifier,
    "MobileNetV3": features_avgpool_classifier,
    "EfficientNet": features_avgpool_classifier,
    "MobileNetV2": mobilenet_v2,
    "InvertedResidual": inverted_residual,
    "MBConv": mbconv,
    "FusedMBConv": mbconv,
    "SqueezeExcitation": squeeze_excitation,
    "GoogLeNet": googlenet,
    "BasicConv2d": basic_conv2d,
    "Inception": inception,
    "DenseNet": densenet,
    "_DenseBlock": dense_block,
    "_DenseLayer": lambda b, m, x: dense_layer(b, m, (x,)),
    "SqueezeNet": squeezenet,
    "Fire": fire,
    "ShuffleNetV2": shufflenet_v2,
    "MNASNet": mnasnet,
    "_InvertedResidual": mnasnet_residual,
    "RegNet": regnet,
    "ResBottleneckBlock": res_bottleneck_block,
}
