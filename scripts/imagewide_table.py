#!/usr/bin/env python3
"""Prints the image-wide results (train imagewide report.json files) as one
row per run and one row per setting, averaged over seeds (min-max).

    python3 scripts/imagewide_table.py runs/iw5-*/report.json
"""
import json
import sys
from collections import defaultdict


def setting(r):
    c = r["Config"]
    widths = "/".join(str(w) for w in c["Widths"])
    # Reports before the replicas setting ran with one per core (2 here).
    if c.get("Replicas", 2) != 2:
        widths += f", replicas {c['Replicas']}"
    if r["mode"] == "msp":
        return f"msp ({widths})"
    if r["mode"] == "gan":
        g = c["GAN"]
        return f"gan ({widths}), noise {g['Noise']}, features {g['Features']}, lr {g['LR']:g}, beta {g['Beta']:g}, lambda {c['Lambda']:g}"
    return f"so ({widths}), flow seg weight {c.get('FlowSegWeight', 1):g}, T {c.get('FlowTemperature', 1):g}"


def auroc(r, outliers, score):
    for row in r["rows"]:
        if row["outliers"].startswith(outliers) and row.get("score", "msp") == score:
            return 100 * row["auroc"]
    return float("nan")


cols = [("MNIST", "msp"), ("MNIST", "entropy"), ("natural", "msp"), ("natural", "entropy")]
runs = [json.load(open(p)) for p in sys.argv[1:]]
print("| setting | seed | accuracy | AUROC MNIST (msp) | AUROC MNIST (entropy) | AUROC natural (msp) | AUROC natural (entropy) | seconds |")
print("|---|---|---|---|---|---|---|---|")
groups = defaultdict(list)
for r in sorted(runs, key=lambda r: (setting(r), r["Config"]["Seed"])):
    groups[setting(r)].append(r)
    cells = " | ".join(f"{auroc(r, o, s):.2f}" for o, s in cols)
    print(f"| {setting(r)} | {r['Config']['Seed']} | {100 * r['fashion_mnist_test_accuracy']:.2f} | {cells} | {r['seconds']:.0f} |")
print("\n| setting | seeds | accuracy | AUROC MNIST (msp) | AUROC MNIST (entropy) | AUROC natural (msp) | AUROC natural (entropy) |")
print("|---|---|---|---|---|---|---|")
for name, rs in groups.items():
    def cell(vals):
        return f"{sum(vals) / len(vals):.2f} ({min(vals):.2f}-{max(vals):.2f})"
    cells = " | ".join(cell([auroc(r, o, s) for r in rs]) for o, s in cols)
    print(f"| {name} | {len(rs)} | {cell([100 * r['fashion_mnist_test_accuracy'] for r in rs])} | {cells} |")
