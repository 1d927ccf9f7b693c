"""The branching presets, declared with the functional API of :mod:`convcalc.graph`.

Each builder returns ``(Graph, input_shape)``; blocks are scoped with the
names PyTorch gives the submodules (``layer1``, ``layer1.0`` ...) so
``--depth`` folds them as torchinfo does. The tests build each network in
PyTorch by hand, the same way, and compare every count.

======================  ===========  ============  =====================================================
name                    input        parameters    source
======================  ===========  ============  =====================================================
``resnet18``            3x224x224    11,689,512    ``torchvision.models.resnet18()`` (BasicBlock, 2-2-2-2)
``resnet34``            3x224x224    21,797,672    ``torchvision.models.resnet34()`` (BasicBlock, 3-4-6-3)
``resnet50``            3x224x224    25,557,032    ``torchvision.models.resnet50()`` (Bottleneck, v1.5)
``resnet50-slim``       3x224x224    25,557,032    TF-Slim ``resnet_v1_50`` ('SAME' pool, stride last)
``mobilenet_v1``        3x224x224    4,231,976     Howard et al. 2017, width 1.0, ReLU, BN
``mobilenet_v2``        3x224x224    3,504,872     ``torchvision.models.mobilenet_v2()``
``googlenet``           3x224x224    6,624,904     ``torchvision.models.googlenet()`` without aux heads
``unet``                1x572x572    31,030,658    Ronneberger et al. 2015: valid convs, crops, 2 classes
``dcgan-generator``     100x1x1      3,576,704     Radford et al. 2016 / PyTorch DCGAN tutorial, 64x64x3
``resnet8``             1x28x28      77,754        He et al. 2016 section 4.2, n=1, option B shortcuts
``resnet20``            1x28x28      272,186       He et al. 2016 section 4.2, n=3, option B shortcuts
``plain8``              1x28x28      75,002        ``resnet8`` without its shortcuts (the paper's plain net)
``plain20``             1x28x28      269,434       ``resnet20`` without its shortcuts (option A's count)
======================  ===========  ============  =====================================================

The four CIFAR networks of He et al. take any input shape; the preset's is
Fashion-MNIST's, ``--in 3x32x32`` (or ``cifar_resnet(n, shape=(3, 32, 32))``)
gives CIFAR-10's: 272,474 parameters for ``resnet20`` (the paper's Table 6 says
0.27M, for option A: 269,722) and 78,042 for ``resnet8``.

Parameters are trainable ones (PyTorch's ``parameters()``); batch-norm
running statistics are counted apart as non-trainable.
"""

from __future__ import annotations

from convcalc.graph import Add, Concat, Graph, Input, Model, Tensor, scope
from convcalc.layers import (
    AdaptiveAvgPool2D,
    BatchNorm2D,
    Conv2D,
    ConvTranspose2D,
    Cropping2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAvgPool2D,
    Layer,
    MaxPool2D,
    ReLU,
    ReLU6,
    Tanh,
)

__all__ = ["resnet", "cifar_resnet", "resnet50_slim", "mobilenet_v1", "mobilenet_v2", "googlenet", "unet",
           "dcgan_generator"]

Built = tuple[Graph, tuple[int, ...]]


def _cbr(x: Tensor, filters: int, kernel: int, stride: int = 1, padding: int | str = 0, groups: int = 1,
         relu: bool = True, name: str | None = None, activation: type[Layer] = ReLU) -> Tensor:
    """Conv (no bias) -> BatchNorm -> ReLU (or ``activation``), the unit of every network here."""
    x = BatchNorm2D()(Conv2D(filters, kernel, stride=stride, padding=padding, groups=groups, bias=False)(x))
    return activation()(x, name=name) if relu else x


def _head(x: Tensor, classes: int = 1000, dropout: float | None = None) -> Tensor:
    x = Flatten()(AdaptiveAvgPool2D(1)(x))
    if dropout is not None:
        x = Dropout(dropout)(x)
    return Dense(classes)(x)


# --------------------------------------------------------------------------- ResNet (torchvision)
def _basic(x: Tensor, planes: int, stride: int, project: bool) -> Tensor:
    y = _cbr(x, planes, 3, stride, 1)
    y = _cbr(y, planes, 3, 1, 1, relu=False)
    shortcut = _cbr(x, planes, 1, stride, relu=False) if project else x
    return ReLU()(Add()(y, shortcut))


def _bottleneck(x: Tensor, planes: int, stride: int, project: bool) -> Tensor:
    y = _cbr(x, planes, 1)
    y = _cbr(y, planes, 3, stride, 1)  # torchvision v1.5: the stride is on the 3x3
    y = _cbr(y, planes * 4, 1, relu=False)
    shortcut = _cbr(x, planes * 4, 1, stride, relu=False) if project else x
    return ReLU()(Add()(y, shortcut))


def resnet(depth: int) -> Built:
    """torchvision's ResNet-18/34 (BasicBlock) or ResNet-50 (Bottleneck, stride on the 3x3)."""
    units, block, expansion = {18: ((2, 2, 2, 2), _basic, 1), 34: ((3, 4, 6, 3), _basic, 1),
                               50: ((3, 4, 6, 3), _bottleneck, 4)}[depth]
    x = Input((3, 224, 224))
    y = _cbr(x, 64, 7, 2, 3)
    y = MaxPool2D(3, stride=2, padding=1)(y)
    channels = 64
    for stage, (count, planes) in enumerate(zip(units, (64, 128, 256, 512)), start=1):
        with scope(f"layer{stage}"):
            for unit in range(count):
                stride = 2 if stage > 1 and unit == 0 else 1
                with scope(f"layer{stage}.{unit}"):
                    y = block(y, planes, stride, stride != 1 or channels != planes * expansion)
                channels = planes * expansion
    return Model(x, _head(y)), (3, 224, 224)


def resnet50_slim() -> Built:
    """TF-Slim ``resnet_v1_50``: 'SAME' max pool, the stride on the last unit of blocks 1-3.

    conv1 is ``conv2d_same`` (explicit padding 3, then VALID); a strided 3x3 is
    ``conv2d_same`` too (padding 1); a unit whose depth does not change takes a
    1x1 max pool with the stride as its shortcut (``subsample``). The outputs of
    the four blocks are the nodes ``block1`` ... ``block4``, as the
    receptive-field table of google-research/receptive_field names them.
    """
    x = Input((3, 224, 224))
    y = _cbr(x, 64, 7, 2, 3)
    y = MaxPool2D(3, stride=2, padding="same")(y)
    channels = 64
    for number, (base, count, stride) in enumerate(((64, 3, 2), (128, 4, 2), (256, 6, 2), (512, 3, 1)), start=1):
        with scope(f"block{number}"):
            for unit in range(count):
                s = stride if unit == count - 1 else 1
                with scope(f"block{number}/unit_{unit + 1}"):
                    if channels == base * 4:
                        shortcut = MaxPool2D(1, stride=s)(y) if s > 1 else y
                    else:
                        shortcut = _cbr(y, base * 4, 1, s, relu=False)
                    r = _cbr(y, base, 1)
                    r = _cbr(r, base, 3, s, 1 if s > 1 else "same")
                    r = _cbr(r, base * 4, 1, relu=False)
                    last = unit == count - 1
                    y = ReLU()(Add()(r, shortcut), name=f"block{number}" if last else None)
                channels = base * 4
    logits = Conv2D(1000, 1)(AdaptiveAvgPool2D(1)(y))
    return Model(x, Flatten()(logits)), (3, 224, 224)


# --------------------------------------------------------------------------- He et al.'s CIFAR ResNets
def cifar_resnet(n: int, residual: bool = True, shape: tuple[int, int, int] = (1, 28, 28)) -> Built:
    """He et al. 2016's CIFAR-10 network (section 4.2): ``6n + 2`` weighted layers, with or without shortcuts.

    A 3x3 convolution with 16 filters, then three stages of ``n`` basic blocks
    (two 3x3 convolutions each, conv -> BN -> ReLU -> conv -> BN, the shortcut
    added before the last ReLU) with 16, 32 and 64 filters; the first block of
    stages 2 and 3 halves the feature map with stride 2; then global average
    pooling and a 10-way dense layer. ``n=1`` is ResNet-8, ``n=3`` ResNet-20.
    ``residual=False`` is the paper's "plain" twin: the same layers without
    the shortcuts.

    Shortcuts are **option B** (section 3.3): identity where the shape is kept,
    a 1x1 convolution with stride 2 plus batch norm (as torchvision's
    ``downsample``) at the two blocks that halve the map and double the channels.
    The paper uses option A on CIFAR (identity with zero-padded extra channels, no
    parameters); convcalc's trainer has no zero channel padding layer, and the
    projections add 2,752 parameters (1%): 272,474 for ResNet-20 on 3x32x32
    against option A's 269,722 (the paper's "0.27M"; also the count of the plain
    twin), 78,042 for ResNet-8 (option A: 75,290). On 1x28x28 the first convolution has 288 weights fewer.
    Any input of at least 5x5 works; 28x28 ends in 7x7 maps, 32x32 in 8x8.

    Conv layers have no bias (batch norm follows each); scope names follow the
    common PyTorch reimplementations: ``conv1``, ``layer1`` ... ``layer3``,
    ``layer1.0`` ..., ``fc``.

    Examples
    --------
    >>> from convcalc.stack import summarize
    >>> summarize(*cifar_resnet(3, shape=(3, 32, 32))).trainable_params
    272474
    >>> summary = summarize(*cifar_resnet(3, residual=False))
    >>> summary.trainable_params, summary.layers[-1].output_shape
    (269434, (10,))
    """
    x = Input(shape)
    with scope("conv1"):
        y = _cbr(x, 16, 3, 1, 1)
    channels = 16
    for stage, planes in enumerate((16, 32, 64), start=1):
        with scope(f"layer{stage}"):
            for unit in range(n):
                stride = 2 if stage > 1 and unit == 0 else 1
                with scope(f"layer{stage}.{unit}"):
                    if residual:
                        y = _basic(y, planes, stride, stride != 1 or channels != planes)
                    else:
                        y = _cbr(_cbr(y, planes, 3, stride, 1), planes, 3, 1, 1)
                channels = planes
    with scope("fc"):
        y = Dense(10)(GlobalAvgPool2D()(y))
    return Model(x, y), tuple(shape)


# --------------------------------------------------------------------------- MobileNets
def mobilenet_v1() -> Built:
    """MobileNet v1 (width 1.0): a strided 3x3 conv, 13 depthwise-separable blocks, average pool, fc."""
    x = Input((3, 224, 224))
    y = _cbr(x, 32, 3, 2, 1)
    channels = 32
    plan = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]
    for number, (filters, stride) in enumerate(plan, start=1):
        with scope(f"block{number}"):
            y = _cbr(y, channels, 3, stride, 1, groups=channels)  # depthwise
            y = _cbr(y, filters, 1)  # pointwise
        channels = filters
    return Model(x, _head(y)), (3, 224, 224)


def mobilenet_v2() -> Built:
    """torchvision's MobileNet v2: inverted residuals (expand 1x1, depthwise 3x3, project 1x1), ReLU6."""
    x = Input((3, 224, 224))
    with scope("features.0"):
        y = _cbr(x, 32, 3, 2, 1, activation=ReLU6)
    channels, number = 32, 1
    for t, c, n, s in ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                       (6, 320, 1, 1)):
        for unit in range(n):
            stride = s if unit == 0 else 1
            hidden = channels * t
            with scope(f"features.{number}"):
                z = _cbr(y, hidden, 1, activation=ReLU6) if t != 1 else y
                z = _cbr(z, hidden, 3, stride, 1, groups=hidden, activation=ReLU6)
                z = _cbr(z, c, 1, relu=False)
                y = Add()(z, y) if stride == 1 and channels == c else z
            channels, number = c, number + 1
    with scope(f"features.{number}"):
        y = _cbr(y, 1280, 1, activation=ReLU6)
    return Model(x, _head(y, dropout=0.2)), (3, 224, 224)


# --------------------------------------------------------------------------- GoogLeNet
def _inception(x: Tensor, c1: int, c3r: int, c3: int, c5r: int, c5: int, pool: int) -> Tensor:
    b1 = _cbr(x, c1, 1)
    b2 = _cbr(_cbr(x, c3r, 1), c3, 3, 1, 1)
    b3 = _cbr(_cbr(x, c5r, 1), c5, 3, 1, 1)  # torchvision's branch3 uses 3x3, not the paper's 5x5
    b4 = _cbr(MaxPool2D(3, stride=1, padding=1, ceil_mode=True)(x), pool, 1)
    return Concat()(b1, b2, b3, b4)


def googlenet() -> Built:
    """torchvision's GoogLeNet (no auxiliary heads): ceil-mode pools, nine Inception blocks."""
    x = Input((3, 224, 224))
    y = _cbr(x, 64, 7, 2, 3)
    y = MaxPool2D(3, stride=2, ceil_mode=True)(y)
    y = _cbr(_cbr(y, 64, 1), 192, 3, 1, 1)
    y = MaxPool2D(3, stride=2, ceil_mode=True)(y)
    blocks = [("3a", (64, 96, 128, 16, 32, 32)), ("3b", (128, 128, 192, 32, 96, 64)), "pool",
              ("4a", (192, 96, 208, 16, 48, 64)), ("4b", (160, 112, 224, 24, 64, 64)),
              ("4c", (128, 128, 256, 24, 64, 64)), ("4d", (112, 144, 288, 32, 64, 64)),
              ("4e", (256, 160, 320, 32, 128, 128)), "pool2",
              ("5a", (256, 160, 320, 32, 128, 128)), ("5b", (384, 192, 384, 48, 128, 128))]
    for block in blocks:
        if block == "pool":
            y = MaxPool2D(3, stride=2, ceil_mode=True)(y)
        elif block == "pool2":
            y = MaxPool2D(2, stride=2, ceil_mode=True)(y)
        else:
            with scope(f"inception{block[0]}"):
                y = _inception(y, *block[1])
    return Model(x, _head(y, dropout=0.2)), (3, 224, 224)


# --------------------------------------------------------------------------- U-Net and DCGAN
def unet() -> Built:
    """The 2015 U-Net: two valid 3x3 convs + ReLU per level, 2x2 up-convolutions, cropped skips, 572 -> 388."""
    x = Input((1, 572, 572))
    y, skips = x, []
    for level, filters in enumerate((64, 128, 256, 512), start=1):
        with scope(f"down{level}"):
            y = ReLU()(Conv2D(filters, 3)(ReLU()(Conv2D(filters, 3)(y))), name=f"d{level}")
            skips.append((y, filters))
            y = MaxPool2D(2)(y)
    with scope("bottom"):
        y = ReLU()(Conv2D(1024, 3)(ReLU()(Conv2D(1024, 3)(y))))
    size = {4: 28}
    for level, (skip, filters) in zip((4, 3, 2, 1), reversed(skips)):
        with scope(f"up{level}"):
            y = ConvTranspose2D(filters, 2, stride=2)(y)
            crop = {4: 4, 3: 16, 2: 40, 1: 88}[level]  # (skip size - upsampled size) / 2
            y = Concat()(Cropping2D(crop)(skip), y)
            y = ReLU()(Conv2D(filters, 3)(ReLU()(Conv2D(filters, 3)(y))))
    del size
    return Model(x, Conv2D(2, 1)(y)), (1, 572, 572)


def dcgan_generator() -> Built:
    """The DCGAN generator of the PyTorch tutorial: z (100x1x1) -> 64x64x3 through strided transposed convs."""
    x = Input((100, 1, 1))
    y = x
    for number, (filters, stride, padding) in enumerate(((512, 1, 0), (256, 2, 1), (128, 2, 1), (64, 2, 1)),
                                                        start=1):
        with scope(f"up{number}"):
            y = ReLU()(BatchNorm2D()(ConvTranspose2D(filters, 4, stride=stride, padding=padding, bias=False)(y)))
    return Model(x, Tanh()(ConvTranspose2D(3, 4, stride=2, padding=1, bias=False)(y))), (100, 1, 1)
