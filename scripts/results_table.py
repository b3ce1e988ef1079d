#!/usr/bin/env python3
"""Prints the camvid-ood results table from runs/results/<model>/<split>-<score>-T<t>/report.json.

A model's name is its method and, after seed 1, the seed: msp, msp2, sowlow3.
"""
import json
import pathlib
import sys

METHODS = {"msp": "msp", "noise": "noise", "so": "so", "sow": "so + flow warm-up",
           "sowlow": "so + flow warm-up, flow seg weight 0.1", "sowl": "so + flow warm-up, λ = 1"}


def method_seed(model):
    base = model.rstrip("0123456789")
    return base, int(model[len(base):] or 1)


def label(model):
    base, seed = method_seed(model)
    name = METHODS.get(base, base)
    return name if seed == 1 else f"{name}, seed {seed}"


def order(model):
    base, seed = method_seed(model)
    keys = list(METHODS)
    return (keys.index(base) if base in keys else len(keys), base, seed)


root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "runs/results")
rows = []
for rep in sorted(root.glob("*/*/report.json")):
    model = rep.parent.parent.name
    split, score, t = rep.parent.name.split("-", 2)
    rows.append((split, model, score, t[1:], json.loads(rep.read_text())))

pct = lambda v: "—" if v is None else f"{100 * v:.2f}"
for split in ("val", "test"):
    print(f"\n**{split}**\n")
    print("| model | score | T | AP | FPR95 | AUROC | AP per image | FPR95 per image | AUROC per image | mIoU |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for s, model, score, t, r in sorted(rows, key=lambda x: (order(x[1]), x[2], float(x[3]))):
        if s != split:
            continue
        print(f"| {label(model)} | {score} | {t} | {pct(r.get('ap'))} | {pct(r.get('fpr95'))} | {pct(r.get('auroc'))} | "
              f"{pct(r.get('ap_per_image'))} | {pct(r.get('fpr95_per_image'))} | {pct(r.get('auroc_per_image'))} | {pct(r.get('miou'))} |")


def calibrated(split, method):
    """Each model's entropy report at its calibrated T (T = 1 when calibration
    chose 1, so that it is the only one)."""
    picked = {}
    for s, model, score, t, r in rows:
        if s == split and score == "entropy" and method_seed(model)[0] == method:
            if model not in picked or t != "1":
                picked[model] = r
    return list(picked.values())


for split in ("val", "test"):
    print(f"\n**{split}, entropy at the T chosen on val: mean over seeds (min-max)**\n")
    print("| method | seeds | AP | FPR95 | AUROC | mIoU |")
    print("|---|---|---|---|---|---|")
    for method, name in METHODS.items():
        runs = calibrated(split, method)
        if not runs:
            continue
        cells = []
        for key in ("ap", "fpr95", "auroc", "miou"):
            v = [100 * r[key] for r in runs]
            cells.append(f"{sum(v) / len(v):.2f} ({min(v):.2f}-{max(v):.2f})")
        print(f"| {name} | {len(runs)} | " + " | ".join(cells) + " |")

for split in ("val", "test"):
    table = {}
    for method, name in METHODS.items():
        runs = [r["false_alarms"] for r in calibrated(split, method) if r.get("false_alarms")]
        if runs:
            table[name] = runs
    if not table:
        continue
    classes = sorted({c for runs in table.values() for fa in runs for c in fa["classes"]})
    print(f"\n**{split}, false alarms at 95 % outlier TPR: each class's share of them (%), mean over seeds**\n")
    print("| method | seeds | FPR95 | " + " | ".join(classes) + " |")
    print("|---|---|---|" + "---|" * len(classes))
    for name, runs in table.items():
        share = lambda c: sum(fa["classes"].get(c, {}).get("share", 0) for fa in runs) / len(runs)
        fpr = sum(fa["fpr"] for fa in runs) / len(runs)
        print(f"| {name} | {len(runs)} | {100 * fpr:.2f} | " + " | ".join(f"{100 * share(c):.1f}" for c in classes) + " |")
