#!/usr/bin/env python3
"""Break a CPU profile of osr's training step down by op.

    go test -c -o /tmp/train.test ./train
    /tmp/train.test -test.run '^$' -test.bench SegStep -test.benchtime 6x \
        -test.cpuprofile /tmp/step.prof
    python3 bench/step_profile.py /tmp/train.test /tmp/step.prof

Reads every sampled stack (`go tool pprof -traces`) and charges it to the
first op of train/nn found in it, GEMMs to the convolution pass that called
them. Prints each part's CPU seconds and share of the samples.
"""
import collections
import re
import subprocess
import sys

# (part, substrings of which a stack must contain all), first match wins.
PARTS = [
    ("im2col of dy (conv backward-data)", ["im2colRows", "convDataGrad"]),
    ("im2col (conv backward-weight, recomputed)", ["im2colRows", "convFilterGrad"]),
    ("im2col (conv forward)", ["im2colRows"]),
    ("col2im (conv backward-data)", ["col2imRows"]),
    ("conv forward GEMM", ["convOp).Do", "cgocall"]),
    ("conv backward-data GEMM", ["convDataGrad", "cgocall"]),
    ("conv backward-weight GEMM", ["convFilterGrad", "cgocall"]),
    ("conv other (bias, partial sums)", ["nn.(*conv"]),
    ("conv other (bias, partial sums)", ["nn.(*biasGrad"]),
    ("BN+ReLU backward", ["bnGrad"]),
    ("BN+ReLU backward", ["bnOp).sums"]),
    ("BN+ReLU forward", ["bnOp"]),
    ("loss backward", ["segLossGrad"]),
    ("loss forward", ["segLoss"]),
    ("bilinear resize, forward and backward", ["nn.(*resize"]),
    ("concat and slice copies", ["nn.(*concatOp"]),
    ("concat and slice copies", ["nn.(*sliceOp"]),
    ("concat and slice copies", ["nn.(*unsliceOp"]),
    ("pooling, forward and backward", ["nn.(*pool"]),
    ("pooling, forward and backward", ["nn.(*maxPool"]),
    ("Adam and the replicas' gradient sums", ["Adam"]),
    ("Adam and the replicas' gradient sums", ["AddGrads"]),
    ("Adam and the replicas' gradient sums", ["ZeroGrad"]),
    ("gorgonia (Add, tape machine)", ["gorgonia"]),
]
UNITS = {"s": 1, "ms": 1e-3, "us": 1e-6, "µs": 1e-6}


def main():
    binary, profile = sys.argv[1], sys.argv[2]
    out = subprocess.run(["go", "tool", "pprof", "-traces", binary, profile],
                         capture_output=True, text=True, check=True).stdout
    parts, total = collections.Counter(), 0.0
    for block in out.split("-----------+-------------------------------------------------------"):
        lines = [ln.strip() for ln in block.strip("\n").split("\n") if ln.strip()]
        m = re.match(r"([\d.]+)(ms|s|us|µs)\s+(.*)", lines[0]) if lines else None
        if not m:
            continue
        secs = float(m.group(1)) * UNITS[m.group(2)]
        stack = " ".join([m.group(3)] + lines[1:])
        part = next((p for p, keys in PARTS if all(k in stack for k in keys)),
                    "other (runtime, setup, threads outside Go)")
        parts[part] += secs
        total += secs
    for part, secs in parts.most_common():
        print(f"{part:45s} {secs:7.2f} s {100 * secs / total:5.1f} %")
    print(f"{'total':45s} {total:7.2f} s")


if __name__ == "__main__":
    main()
