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
    order = {"msp": 0, "msp2": 1, "msp3": 2, "noise": 3, "so": 4, "so2": 5, "sow": 6, "sow2": 7, "sowlow": 8, "sowlow2": 9}
    names = {"msp2": "msp, seed 2", "msp3": "msp, seed 3", "so2": "so, seed 2", "sow": "so + flow warm-up",
             "sow2": "so + flow warm-up, seed 2", "sowlow": "so + flow warm-up, flow seg weight 0.1",
             "sowlow2": "so + flow warm-up, flow seg weight 0.1, seed 2"}
    for s, model, score, t, r in sorted(rows, key=lambda x: (order.get(x[1], 9), x[1], x[2], float(x[3]))):
        if s != split:
            continue
        print(f"| {names.get(model, model)} | {score} | {t} | {pct(r.get('ap'))} | {pct(r.get('fpr95'))} | {pct(r.get('auroc'))} | "
              f"{pct(r.get('ap_per_image'))} | {pct(r.get('fpr95_per_image'))} | {pct(r.get('auroc_per_image'))} | {pct(r.get('miou'))} |")

# Seeds of one method: the model names without their seed digit.
print("\n**test, entropy at the T chosen on val: mean over seeds (min-max)**\n")
print("| method | seeds | AP | FPR95 | AUROC | mIoU |")
print("|---|---|---|---|---|---|")
methods = {"msp": "msp", "noise": "noise", "so": "so", "sow": "so + flow warm-up",
           "sowlow": "so + flow warm-up, flow seg weight 0.1"}
for method, label in methods.items():
    # Each model's test entropy report at its calibrated T (T = 1 when
    # calibration chose 1, so that it is the only one).
    picked = {}
    for s, model, score, t, r in rows:
        if s == "test" and score == "entropy" and model.rstrip("0123456789") == method:
            if model not in picked or t != "1":
                picked[model] = r
    runs = list(picked.values())
    if not runs:
        continue
    cells = []
    for key in ("ap", "fpr95", "auroc", "miou"):
        v = [100 * r[key] for r in runs]
        cells.append(f"{sum(v) / len(v):.2f} ({min(v):.2f}-{max(v):.2f})")
    print(f"| {label} | {len(runs)} | " + " | ".join(cells) + " |")
