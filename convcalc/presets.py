"""Named networks: the seed's homework CNNs, LeNet-5, AlexNet, VGG-16, and branching ones.

``preset(name)`` returns ``(layers, input_shape)`` with the input shape channels
first: a list of layer specs for the chains below, a :class:`convcalc.graph.Graph`
for the branching networks of :mod:`convcalc.networks` (``resnet18``,
``resnet34``, ``resnet50``, ``resnet50-slim``, ``mobilenet_v1``,
``mobilenet_v2``, ``googlenet``, ``unet``, ``dcgan-generator``, and He et al.'s
CIFAR nets ``resnet8``, ``resnet20``, ``plain8``, ``plain20``). The counts are
checked in the tests against PyTorch modules built the same way.

======================  ===========  ============  ==========================================
name                    input        parameters    source
======================  ===========  ============  ==========================================
``hw5``                 1x28x28      542,230       seed HW5 CNN (Keras ``Sequential``)
``hw5-2conv``           1x28x28      179,926       seed HW5 question 4: a second conv + pool
``lenet5``              1x32x32      61,706        seed LeNet-5 (Keras), ReLU, max pooling
``alexnet``             3x224x224    61,100,840    ``torchvision.models.alexnet()``
``vgg16``               3x224x224    138,357,544   ``torchvision.models.vgg16()``
======================  ===========  ============  ==========================================

Examples
--------
>>> layers, shape = preset("hw5")
>>> shape, [str(layer) for layer in layers][:3]
((1, 28, 28), ['Conv2D(32, 3, s=1, p=0)', 'ReLU', 'MaxPool2D(2)'])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from convcalc import networks
from convcalc.errors import invalid
from convcalc.layers import (
    AdaptiveAvgPool2D,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Layer,
    MaxPool2D,
    ReLU,
    Softmax,
)

__all__ = ["PRESETS", "preset"]

if TYPE_CHECKING:  # pragma: no cover - typing only
    from convcalc.graph import Graph

Stack = tuple["list[Layer] | Graph", tuple[int, ...]]


def _hw5() -> Stack:
    """Seed HW5: Conv2D(32, (3,3), valid, relu), MaxPool2D((2,2)), Flatten, Dense(100, relu), Dense(10, softmax)."""
    return [Conv2D(32, 3), ReLU(), MaxPool2D(2), Flatten(),
            Dense(100), ReLU(), Dense(10), Softmax()], (1, 28, 28)


def _hw5_2conv() -> Stack:
    """Seed HW5 question 4: ``hw5`` with Conv2D(64, (3,3), relu) + MaxPool2D((2,2)) before Flatten."""
    return [Conv2D(32, 3), ReLU(), MaxPool2D(2), Conv2D(64, 3), ReLU(), MaxPool2D(2), Flatten(),
            Dense(100), ReLU(), Dense(10), Softmax()], (1, 28, 28)


def _lenet5() -> Stack:
    """Seed LeNet-5 on 32x32: conv 6@5x5, pool 2, conv 16@5x5, pool 2, dense 120, 84, 10 (ReLU, softmax)."""
    return [Conv2D(6, 5), ReLU(), MaxPool2D(2), Conv2D(16, 5), ReLU(), MaxPool2D(2), Flatten(),
            Dense(120), ReLU(), Dense(84), ReLU(), Dense(10), Softmax()], (1, 32, 32)


def _alexnet() -> Stack:
    """torchvision ``AlexNet``: features, ``AdaptiveAvgPool2d((6, 6))``, classifier with dropout."""
    return [
        Conv2D(64, 11, stride=4, padding=2), ReLU(), MaxPool2D(3, stride=2),
        Conv2D(192, 5, padding=2), ReLU(), MaxPool2D(3, stride=2),
        Conv2D(384, 3, padding=1), ReLU(),
        Conv2D(256, 3, padding=1), ReLU(),
        Conv2D(256, 3, padding=1), ReLU(), MaxPool2D(3, stride=2),
        AdaptiveAvgPool2D((6, 6)), Flatten(),
        Dropout(0.5), Dense(4096), ReLU(),
        Dropout(0.5), Dense(4096), ReLU(),
        Dense(1000),
    ], (3, 224, 224)


def _vgg16() -> Stack:
    """torchvision ``vgg16`` (configuration "D", no batch norm), ``AdaptiveAvgPool2d((7, 7))``."""
    layers: list[Layer] = []
    for width, repeat in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)):
        for _ in range(repeat):
            layers += [Conv2D(width, 3, padding=1), ReLU()]
        layers.append(MaxPool2D(2, stride=2))
    layers += [AdaptiveAvgPool2D((7, 7)), Flatten(),
               Dense(4096), ReLU(), Dropout(0.5),
               Dense(4096), ReLU(), Dropout(0.5),
               Dense(1000)]
    return layers, (3, 224, 224)


def _resnet18() -> Stack:
    """torchvision ``resnet18()``: BasicBlocks 2-2-2-2, 11,689,512 parameters, 1.814 GMACs."""
    return networks.resnet(18)  # type: ignore[return-value]


def _resnet34() -> Stack:
    """torchvision ``resnet34()``: BasicBlocks 3-4-6-3, 21,797,672 parameters, 3.664 GMACs."""
    return networks.resnet(34)  # type: ignore[return-value]


def _resnet50() -> Stack:
    """torchvision ``resnet50()``: Bottlenecks 3-4-6-3 (v1.5), 25,557,032 parameters, 4.089 GMACs."""
    return networks.resnet(50)  # type: ignore[return-value]


def _resnet50_slim() -> Stack:
    """TF-Slim ``resnet_v1_50`` ('SAME' pool, stride last): the Distill/receptive_field table's RFs (483)."""
    return networks.resnet50_slim()  # type: ignore[return-value]


def _mobilenet_v1() -> Stack:
    """MobileNet v1 (width 1.0, ReLU): depthwise-separable blocks, 4,231,976 parameters."""
    return networks.mobilenet_v1()  # type: ignore[return-value]


def _mobilenet_v2() -> Stack:
    """torchvision ``mobilenet_v2()``: inverted residuals, 3,504,872 parameters, 0.301 GMACs."""
    return networks.mobilenet_v2()  # type: ignore[return-value]


def _googlenet() -> Stack:
    """torchvision ``googlenet()`` without aux heads: ceil-mode pools, Inception concatenations."""
    return networks.googlenet()  # type: ignore[return-value]


def _unet() -> Stack:
    """The 2015 U-Net: valid convolutions, up-convolutions and cropped skips, 1x572x572 -> 2x388x388."""
    return networks.unet()  # type: ignore[return-value]


def _dcgan_generator() -> Stack:
    """The DCGAN generator (PyTorch tutorial): 100x1x1 noise -> 3x64x64 by transposed convolutions."""
    return networks.dcgan_generator()  # type: ignore[return-value]


def _resnet8() -> Stack:
    """He et al. 2016's CIFAR ResNet, n=1 (8 layers, option B shortcuts), for 1x28x28 (--in 3x32x32: CIFAR)."""
    return networks.cifar_resnet(1)  # type: ignore[return-value]


def _resnet20() -> Stack:
    """He et al. 2016's CIFAR ResNet, n=3 (20 layers, option B shortcuts), for 1x28x28 (--in 3x32x32: CIFAR)."""
    return networks.cifar_resnet(3)  # type: ignore[return-value]


def _plain8() -> Stack:
    """``resnet8`` without its shortcuts: He et al. 2016's 8-layer plain net, for 1x28x28."""
    return networks.cifar_resnet(1, residual=False)  # type: ignore[return-value]


def _plain20() -> Stack:
    """``resnet20`` without its shortcuts: He et al. 2016's 20-layer plain net, for 1x28x28."""
    return networks.cifar_resnet(3, residual=False)  # type: ignore[return-value]


_BUILDERS: dict[str, Callable[[], Stack]] = {
    "hw5": _hw5, "hw5-2conv": _hw5_2conv, "lenet5": _lenet5, "alexnet": _alexnet, "vgg16": _vgg16,
    "resnet18": _resnet18, "resnet34": _resnet34, "resnet50": _resnet50, "resnet50-slim": _resnet50_slim,
    "mobilenet_v1": _mobilenet_v1, "mobilenet_v2": _mobilenet_v2, "googlenet": _googlenet, "unet": _unet,
    "dcgan-generator": _dcgan_generator,
    "resnet8": _resnet8, "resnet20": _resnet20, "plain8": _plain8, "plain20": _plain20,
}
#: Preset names and a one-line description of each.
PRESETS = {name: (builder.__doc__ or "").strip().splitlines()[0] for name, builder in _BUILDERS.items()}
_ALIASES = {"hw5_2conv": "hw5-2conv", "hw52conv": "hw5-2conv", "lenet": "lenet5", "lenet-5": "lenet5",
            "vgg-16": "vgg16", "vgg": "vgg16", "resnet-18": "resnet18", "resnet-34": "resnet34",
            "resnet-50": "resnet50", "resnet50_slim": "resnet50-slim", "resnet_v1_50": "resnet50-slim",
            "mobilenet-v1": "mobilenet_v1", "mobilenetv1": "mobilenet_v1", "mobilenet-v2": "mobilenet_v2",
            "mobilenetv2": "mobilenet_v2", "inception_v1": "googlenet", "u-net": "unet",
            "dcgan": "dcgan-generator", "dcgan_generator": "dcgan-generator",
            "resnet-8": "resnet8", "resnet-20": "resnet20", "plain-8": "plain8", "plain-20": "plain20"}


def preset(name: str) -> Stack:
    """The layers and channels-first input shape of a named network.

    Parameters
    ----------
    name : str
        A key of :data:`PRESETS` or an alias (``LeNet-5``, ``resnet-50`` ...), case-insensitive.

    Returns
    -------
    (list of Layer or Graph, tuple of int)
        A fresh list (or graph) each call, and the input shape ``(C, H, W)``.

    Raises
    ------
    ConvCalcError
        For an unknown name, listing the known ones.

    Examples
    --------
    >>> from convcalc.stack import summarize
    >>> summarize(*preset("lenet5")).total_params
    61706
    >>> summarize(*preset("alexnet")).total_params
    61100840
    >>> summarize(*preset("resnet18")).trainable_params
    11689512
    """
    key = str(name).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in _BUILDERS:
        raise invalid("preset", name, "one of " + ", ".join(_BUILDERS))
    return _BUILDERS[key]()


def is_preset(name: str) -> bool:
    """True when ``name`` names a preset (used by the command line to tell presets from specs)."""
    key = str(name).strip().lower()
    return _ALIASES.get(key, key) in _BUILDERS
