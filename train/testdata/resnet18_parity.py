"""Writes a randomly initialised ResNet-18 for osr's --init parity test.

usage: resnet18_parity.py OUTDIR HEIGHT WIDTH

OUTDIR gets resnet18.pth (torch.save of the state dict, zip format),
resnet18_legacy.pth (pre-1.6 format), resnet18.onnx (initializers named
like the state dict), input.bin and features.bin (float32, little endian:
the input, then the outputs of layer1..4) and shapes.txt (one shape per
line). torchvision's resnet18 when it is installed, else the same network
written below with torchvision's module names.
"""

import torch
import torch.nn as nn

import parity


class BasicBlock(nn.Module):
    def __init__(self, cin, c, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, c, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(c, c, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        self.downsample = None
        if stride != 1 or cin != c:
            self.downsample = nn.Sequential(nn.Conv2d(cin, c, 1, stride, bias=False), nn.BatchNorm2d(c))

    def forward(self, x):
        y = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(y + (x if self.downsample is None else self.downsample(x)))


class ResNet18(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        c = 64
        for i in range(4):
            w = 64 << i
            stride = 1 if i == 0 else 2
            setattr(self, "layer%d" % (i + 1), nn.Sequential(BasicBlock(c, w, stride), BasicBlock(w, w, 1)))
            c = w
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, 1000)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


def main():
    out, net, x, source = parity.start("resnet18", ResNet18)
    outs = []
    with torch.no_grad():
        y = net.maxpool(net.relu(net.bn1(net.conv1(x))))
        for layer in (net.layer1, net.layer2, net.layer3, net.layer4):
            y = layer(y)
            outs.append(y)
    parity.write(out, "resnet18", net, x, outs, lambda sd: sd)
    print(source)


if __name__ == "__main__":
    main()
