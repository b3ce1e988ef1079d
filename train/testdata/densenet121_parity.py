"""Writes a randomly initialised DenseNet-121 for osr's --init parity test.

usage: densenet121_parity.py OUTDIR HEIGHT WIDTH

OUTDIR gets densenet121.pth (torch.save of the state dict, zip format),
densenet121_legacy.pth (pre-1.6 format with the pre-0.3 torchvision names
norm.1/conv.1, as torchvision's own download has them), densenet121.onnx
(initializers named like the state dict), input.bin and features.bin
(float32, little endian: the input, then the outputs of denseblock1..3 and
relu(features(x))) and shapes.txt (one shape per line). torchvision's
densenet121 when it is installed, else the same network written below with
torchvision's module names.
"""
import re
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

import parity


class DenseLayer(nn.Module):
    def __init__(self, c, growth, bn_size):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(c)
        self.relu1 = nn.ReLU()
        self.conv1 = nn.Conv2d(c, bn_size * growth, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth)
        self.relu2 = nn.ReLU()
        self.conv2 = nn.Conv2d(bn_size * growth, growth, 3, padding=1, bias=False)

    def forward(self, x):
        y = self.conv1(self.relu1(self.norm1(x)))
        return torch.cat([x, self.conv2(self.relu2(self.norm2(y)))], 1)


def densenet121_script(growth=32, blocks=(6, 12, 24, 16), stem=64, bn_size=4):
    f = OrderedDict(conv0=nn.Conv2d(3, stem, 7, 2, 3, bias=False), norm0=nn.BatchNorm2d(stem),
                    relu0=nn.ReLU(), pool0=nn.MaxPool2d(3, 2, 1))
    c = stem
    for i, n in enumerate(blocks):
        block = nn.Sequential()
        for j in range(n):
            block.add_module("denselayer%d" % (j + 1), DenseLayer(c + j * growth, growth, bn_size))
        f["denseblock%d" % (i + 1)] = block
        c += n * growth
        if i != len(blocks) - 1:
            f["transition%d" % (i + 1)] = nn.Sequential(OrderedDict(
                norm=nn.BatchNorm2d(c), relu=nn.ReLU(), conv=nn.Conv2d(c, c // 2, 1, bias=False),
                pool=nn.AvgPool2d(2, 2)))
            c //= 2
    f["norm5"] = nn.BatchNorm2d(c)
    net = nn.Module()
    net.features = nn.Sequential(f)
    net.classifier = nn.Linear(c, 1000)
    net.forward = lambda x: net.classifier(F.adaptive_avg_pool2d(F.relu(net.features(x)), 1).flatten(1))
    return net


def main():
    out, net, x, source = parity.start("densenet121", densenet121_script)
    outs, y = [], x
    with torch.no_grad():
        for name, mod in net.features.named_children():
            y = mod(y)
            if name in ("denseblock1", "denseblock2", "denseblock3"):
                outs.append(y)
        outs.append(F.relu(y))
    # torchvision's own download has the pre-0.3 names norm.1/conv.1.
    parity.write(out, "densenet121", net, x, outs, lambda sd: OrderedDict(
        (re.sub(r"(denselayer\d+\.(?:norm|conv))([12])\.", r"\1.\2.", k), v) for k, v in sd.items()))
    print(source)


if __name__ == "__main__":
    main()
