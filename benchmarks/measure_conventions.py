"""Measure what torchinfo, thop, ptflops and fvcore count for single PyTorch modules.

Not a test: the oracle figures in tests/test_registry.py (``MEASURED``) were printed by this script
with torchinfo 1.8.0, thop 0.1.1.post2209072238, ptflops 0.7.5 (pytorch backend) and fvcore
0.1.5.post20221221 on torch 2.13 (``pip install torchinfo==1.8.0 thop==0.1.1.post2209072238
ptflops==0.7.5 fvcore==0.1.5.post20221221``). Run ``python benchmarks/measure_conventions.py``;
each line is ``case: {tool: (batch 1, batch 2)}``.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings

import torch
from torch import nn

CASES = {
    "depthwise": (lambda: nn.Conv2d(4, 8, 3, padding=1, groups=4), (4, 8, 8)),
    "separable": (lambda: nn.Sequential(nn.Conv2d(4, 8, 3, groups=4, bias=False), nn.Conv2d(8, 6, 1)), (4, 8, 8)),
    "upsample-nearest": (lambda: nn.Upsample(scale_factor=2, mode="nearest"), (3, 4, 5)),
    "upsample-bilinear": (lambda: nn.Upsample(scale_factor=2, mode="bilinear"), (3, 4, 5)),
    "pixelshuffle": (lambda: nn.PixelShuffle(2), (8, 4, 5)),
    "pixelunshuffle": (lambda: nn.PixelUnshuffle(2), (2, 4, 6)),
    "zeropad": (lambda: nn.ZeroPad2d(1), (3, 4, 5)),
    "adaptivemaxpool": (lambda: nn.AdaptiveMaxPool2d((2, 2)), (3, 8, 8)),
    "adaptiveavgpool": (lambda: nn.AdaptiveAvgPool2d((2, 2)), (3, 8, 8)),
    "globalmaxpool": (lambda: nn.AdaptiveMaxPool2d(1), (3, 8, 8)),
    "identity": (lambda: nn.Identity(), (3, 4, 4)),
    "flatten": (lambda: nn.Flatten(), (3, 4, 4)),
    "unflatten": (lambda: nn.Unflatten(1, (3, 16)), (48,)),
    "layernorm-c": (lambda: nn.LayerNorm((3, 4, 4)), (3, 4, 4)),
    "groupnorm": (lambda: nn.GroupNorm(2, 4), (4, 4, 4)),
    "instancenorm": (lambda: nn.InstanceNorm2d(4), (4, 4, 4)),
    "instancenorm-affine": (lambda: nn.InstanceNorm2d(4, affine=True), (4, 4, 4)),
    "batchnorm-nobias": (lambda: nn.BatchNorm2d(4, bias=False), (4, 4, 4)),
    "batchnorm-noaffine": (lambda: nn.BatchNorm2d(4, affine=False), (4, 4, 4)),
    "gelu": (lambda: nn.GELU(), (3, 4, 4)),
    "silu": (lambda: nn.SiLU(), (3, 4, 4)),
    "relu6": (lambda: nn.ReLU6(), (3, 4, 4)),
    "hardswish": (lambda: nn.Hardswish(), (3, 4, 4)),
    "leakyrelu": (lambda: nn.LeakyReLU(0.1), (3, 4, 4)),
    "prelu": (lambda: nn.PReLU(), (3, 4, 4)),
    "prelu-c": (lambda: nn.PReLU(3), (3, 4, 4)),
    "elu": (lambda: nn.ELU(), (3, 4, 4)),
    "sigmoid": (lambda: nn.Sigmoid(), (3, 4, 4)),
    "tanh": (lambda: nn.Tanh(), (3, 4, 4)),
    "dropout2d": (lambda: nn.Dropout2d(0.1), (3, 4, 4)),
}


def measure(factory, shape, batch):
    from fvcore.nn import FlopCountAnalysis
    from ptflops import get_model_complexity_info
    from thop import profile
    from torchinfo import summary

    x = torch.zeros(batch, *shape)
    out = {}
    module = factory().eval()
    out["torchinfo"] = summary(module, input_data=x, verbose=0).total_mult_adds
    module = factory().eval()
    with contextlib.redirect_stdout(io.StringIO()):
        out["thop"] = int(profile(module, inputs=(x,), verbose=False)[0])
    module = factory().eval()
    with contextlib.redirect_stdout(io.StringIO()):
        macs, _ = get_model_complexity_info(module, tuple(x.shape[1:]), as_strings=False, print_per_layer_stat=False,
                                            input_constructor=lambda _: {"input": x} if False else x,
                                            backend="pytorch")
    out["ptflops"] = int(macs)
    module = factory().eval()
    analysis = FlopCountAnalysis(module, x)
    analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    out["fvcore"] = int(analysis.total())
    return out


def main() -> None:
    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    for name, (factory, shape) in CASES.items():
        one, two = measure(factory, shape, 1), measure(factory, shape, 2)
        print(f'"{name}": {{' + ", ".join(f"{k}=({one[k]}, {two[k]})" for k in one) + "},")


if __name__ == "__main__":
    main()
