#!/usr/bin/env python3
"""Prints the camvid-ood results table from runs/results/<model>/<split>-<score>-T<t>/report.json."""
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "runs/results")
rows = []
for rep in sorted(root.glob("*/*/report.json")):
    model = rep.parent.parent.name
    split, score, t = rep.parent.name.split("-", 2)
    r = json.loads(rep.read_text())
    rows.append((split, model, score, t[1:], r))

pct = lambda v: "—" if v is None else f"{100 * v:.2f}"
for split in ("val", "test"):
    print(f"\n**{split}**\n")
    print("| model | score | T | AP | FPR95 | AUROC | AP per image | FPR95 per image | AUROC per image | mIoU |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    order = {"msp": 0, "msp2": 1, "noise": 2, "so": 3, "so2": 4, "sow": 5}
    names = {"msp2": "msp, seed 2", "so2": "so, seed 2", "sow": "so + flow warm-up"}
    for s, model, score, t, r in sorted(rows, key=lambda x: (order.get(x[1], 9), x[1], x[2], float(x[3]))):
        if s != split:
            continue
        print(f"| {names.get(model, model)} | {score} | {t} | {pct(r.get('ap'))} | {pct(r.get('fpr95'))} | {pct(r.get('auroc'))} | "
              f"{pct(r.get('ap_per_image'))} | {pct(r.get('fpr95_per_image'))} | {pct(r.get('auroc_per_image'))} | {pct(r.get('miou'))} |")
