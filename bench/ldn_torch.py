#!/usr/bin/env python3
"""PyTorch reference for osr's training-step benchmark.

Builds the same ladder-DenseNet as train/ldn.go (from the JSON config osr
passes), runs forward, backward and an Adam step on random data, and prints
one JSON line: {"step_ms": ..., "threads": ..., "torch": ...}.
Needs Debian's python3-torch; osr skips the comparison without it.
"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class BNReLUConv(nn.Sequential):
    def __init__(self, cin, cout, k, stride=1, bias=False):
        super().__init__(nn.BatchNorm2d(cin), nn.ReLU(inplace=False),
                         nn.Conv2d(cin, cout, k, stride, k // 2, bias=bias))


class LDN(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.stem = nn.Conv2d(3, c["stem"], 3, 2, 1, bias=False)
        self.stem_bn = nn.BatchNorm2d(c["stem"])
        ch = c["stem"]
        self.blocks, self.trans, skips = nn.ModuleList(), nn.ModuleList(), []
        for b, layers in enumerate(c["blocks"]):
            if b > 0:
                skips.append(ch)
                out = max(1, int(ch * c["compression"]))
                self.trans.append(BNReLUConv(ch, out, 1))
                ch = out
            block = nn.ModuleList()
            for _ in range(layers):
                mods = []
                if c["bottleneck"] > 0:
                    mods.append(BNReLUConv(ch, c["bottleneck"] * c["growth"], 1))
                    mods.append(BNReLUConv(c["bottleneck"] * c["growth"], c["growth"], 3))
                else:
                    mods.append(BNReLUConv(ch, c["growth"], 3))
                block.append(nn.Sequential(*mods))
                ch += c["growth"]
            self.blocks.append(block)
        self.context = BNReLUConv(ch, c["up"], 1)
        self.lateral = nn.ModuleList(BNReLUConv(s, c["up"], 1) for s in skips)
        self.blend = nn.ModuleList(BNReLUConv(c["up"], c["up"], 3) for _ in skips)
        self.logits = BNReLUConv(c["up"], c["classes"], 1, bias=True)

    def forward(self, x):
        size = x.shape[2:]
        h = F.avg_pool2d(F.relu(self.stem_bn(self.stem(x))), 2, ceil_mode=True)
        skips = []
        for b, block in enumerate(self.blocks):
            if b > 0:
                skips.append(h)
                h = F.avg_pool2d(self.trans[b - 1](h), 2, ceil_mode=True)
            feats = [h]
            for layer in block:
                feats.append(layer(torch.cat(feats, 1)))
            h = torch.cat(feats, 1)
        u = self.context(h)
        for i in reversed(range(len(skips))):
            s = skips[i]
            u = F.interpolate(u, size=s.shape[2:], mode="bilinear", align_corners=False)
            u = self.blend[i](u + self.lateral[i](s))
        return F.interpolate(self.logits(u), size=size, mode="bilinear", align_corners=False)


def main():
    args = json.loads(sys.argv[1])
    torch.set_num_threads(args["threads"])
    torch.manual_seed(0)
    net = LDN(args["config"])
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)
    n, h, w = args["batch"], args["height"], args["width"]
    x = torch.randn(n, 3, h, w)
    y = torch.randint(0, args["config"]["classes"], (n, h, w))
    times = []
    for i in range(args["warmup"] + args["steps"]):
        t = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        if i >= args["warmup"]:
            times.append(time.perf_counter() - t)
    times.sort()
    print(json.dumps({"step_ms": 1000 * times[len(times) // 2], "threads": torch.get_num_threads(),
                      "torch": torch.__version__}))


if __name__ == "__main__":
    main()
