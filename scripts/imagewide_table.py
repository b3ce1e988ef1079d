#!/usr/bin/env python3
"""Prints the image-wide results (train imagewide report.json files) as one
row per run and one row per setting, averaged over seeds: mean ± sample
standard deviation (min-max).

    python3 scripts/imagewide_table.py runs/iw5-*/report.json
    python3 scripts/imagewide_table.py --metric tnr95 runs/imagewide-*/report.json

--metric picks the figure: auroc (default), tnr95 (TNR at 95 % TPR, inliers
positive, as the paper's Table 1) or detacc (detection accuracy).
"""
import argparse
import json
import statistics
from collections import defaultdict

METRICS = {"auroc": ("AUROC", "auroc"), "tnr95": ("TNR95", "tnr_at_tpr95"), "detacc": ("det. acc.", "detection_accuracy")}


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


def figure(r, outliers, score, key):
    for row in r["rows"]:
        if row["outliers"].startswith(outliers) and row.get("score", "msp") == score:
            return 100 * row[key]
    return float("nan")


ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--metric", choices=sorted(METRICS), default="auroc")
ap.add_argument("reports", nargs="+")
args = ap.parse_args()
name, key = METRICS[args.metric]
cols = [("MNIST", "msp"), ("MNIST", "entropy"), ("natural", "msp"), ("natural", "entropy")]
head = " | ".join(f"{name} {o} ({s})" for o, s in cols)
runs = [json.load(open(p)) for p in args.reports]
print(f"| setting | seed | accuracy | {head} | seconds |")
print("|---|---|---|---|---|---|---|---|")
groups = defaultdict(list)
for r in sorted(runs, key=lambda r: (setting(r), r["Config"]["Seed"])):
    groups[setting(r)].append(r)
    cells = " | ".join(f"{figure(r, o, s, key):.2f}" for o, s in cols)
    print(f"| {setting(r)} | {r['Config']['Seed']} | {100 * r['fashion_mnist_test_accuracy']:.2f} | {cells} | {r['seconds']:.0f} |")
print(f"\n| setting | seeds | accuracy | {head} |")
print("|---|---|---|---|---|---|---|")
for label, rs in groups.items():
    def cell(vals):
        sd = statistics.stdev(vals) if len(vals) > 1 else 0.0
        return f"{statistics.mean(vals):.2f} ± {sd:.2f} ({min(vals):.2f}-{max(vals):.2f})"
    cells = " | ".join(cell([figure(r, o, s, key) for r in rs]) for o, s in cols)
    print(f"| {label} | {len(rs)} | {cell([100 * r['fashion_mnist_test_accuracy'] for r in rs])} | {cells} |")
