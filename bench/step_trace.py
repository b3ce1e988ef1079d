#!/usr/bin/env python3
"""How busy the cores are during osr's training steps, from an execution trace.

    go test -c -o /tmp/train.test ./train
    /tmp/train.test -test.run '^$' -test.bench SegStep -test.benchtime 6x \
        -test.trace /tmp/step.trace
    python3 bench/step_trace.py /tmp/step.trace

segStep.Run marks each replica's forward and backward pass ("replica") and
the update after them ("update"). A step runs from its first replica's start
to the end of its update. Over the steps, the script counts the goroutines
on a CPU (running, or in a cgo call such as a GEMM) at every moment, against
GOMAXPROCS: the cores' utilisation, and the idle core time split into the
body (every replica still running), the tail (after the first replica is
done) and the update, with what ran while a core idled (the innermost osr
or gorgonia function of the running goroutines' last stack). Only what the
Go scheduler sees: a loaded machine's other processes do not count as idle.
"""
import collections
import re
import subprocess
import sys

EVENT = re.compile(r'^M=-?\d+ P=-?\d+ G=-?\d+ (\w+) Time=(\d+)(.*)$')
TRANSITION = re.compile(r'GoID=(\d+) (\w+)->(\w+)')
PROCS = re.compile(r'/sched/gomaxprocs:threads" Value=Value\{Uint64\((\d+)\)')
ON_CPU = {"Running", "Syscall"}


def events(path):
    out = subprocess.run(["go", "tool", "trace", "-d=parsed", path],
                         capture_output=True, text=True, check=True).stdout
    ev, cur = [], None
    for line in out.split("\n"):
        m = EVENT.match(line)
        if m:
            cur = [int(m.group(2)), m.group(1), m.group(3), []]
            ev.append(cur)
        elif cur is not None and line.startswith("\t") and not line.startswith("\t\t"):
            cur[3].append(line.strip().split(" @ ")[0])
    ev.sort(key=lambda e: e[0])
    return ev


def label(stack):
    for f in stack:
        if f.startswith("osr/") or f.startswith("gorgonia.org/"):
            return f
    return None


def main():
    ev = events(sys.argv[1])
    procs = 2
    steps, begin, ends, update = [], None, [], None
    for t, kind, data, _ in ev:
        m = PROCS.search(data)
        if kind == "Metric" and m:
            procs = int(m.group(1))
        if kind == "RegionBegin" and 'Type="replica"' in data and begin is None:
            begin, ends = t, []
        elif kind == "RegionEnd" and 'Type="replica"' in data and begin is not None:
            ends.append(t)
        elif kind == "RegionBegin" and 'Type="update"' in data and begin is not None:
            update = t
        elif kind == "RegionEnd" and 'Type="update"' in data and begin is not None:
            steps.append((begin, min(ends), update, t))
            begin = None
    if not steps:
        sys.exit("no step regions in the trace")
    # The first step is the benchmark's warm-up.
    steps = steps[1:] or steps
    running, names = set(), {}
    busy = collections.Counter()
    idle = collections.Counter()
    idle_by = collections.Counter()
    si, last = 0, None
    for t, kind, data, stack in ev:
        while si < len(steps) and last is not None and steps[si][3] <= last:
            si += 1
        if last is not None and si < len(steps):
            b, first_end, upd, e = steps[si]
            lo, hi = max(b, last), min(e, t)
            if hi > lo:
                n = len(running)
                busy[min(n, procs + 1)] += hi - lo
                if n < procs:
                    phase = "update" if lo >= upd else "tail" if lo >= first_end else "body"
                    idle[phase] += (hi - lo) * (procs - n)
                    what = " + ".join(sorted(names.get(g, "?") for g in running)) or "nothing"
                    idle_by[what] += (hi - lo) * (procs - n)
        last = t
        if kind != "StateTransition":
            continue
        m = TRANSITION.search(data)
        if not m:
            continue
        g = int(m.group(1))
        if label(stack):
            names[g] = label(stack)
        if m.group(3) in ON_CPU:
            running.add(g)
        else:
            running.discard(g)
    k = len(steps)
    wall = sum(e - b for b, _, _, e in steps) / k / 1e6
    print(f"{k} steps, {wall:.1f} ms each, GOMAXPROCS {procs}")
    for n in sorted(busy):
        share = 100 * busy[n] / (wall * k * 1e6)
        print(f"  {n}{'+' if n > procs else ''} goroutines on a CPU: {share:5.1f} % of the time")
    total_idle = sum(idle.values()) / k / 1e6
    print(f"utilisation {100 * (1 - total_idle / (procs * wall)):.1f} %: {total_idle:.1f} idle core-ms per step")
    for phase in ("body", "tail", "update"):
        print(f"  {phase:6s} {idle[phase] / k / 1e6:6.1f} core-ms")
    tails = sum(e1 - f for _, f, e1, _ in steps) / k / 1e6
    print(f"  (the tail lasts {tails:.1f} ms, the update {sum(e - u for _, _, u, e in steps) / k / 1e6:.1f} ms)")
    print("idle core-ms per step by what ran meanwhile:")
    for what, v in idle_by.most_common(12):
        print(f"  {v / k / 1e6:6.1f}  {what}")


if __name__ == "__main__":
    main()
