#!/usr/bin/env python3
"""bench/estimate_eval.py: the month-end estimator's accuracy against simple forecasts and an oracle.

Usage: estimate_eval.py DATA.csv TRUTH.csv PB_AGGREGATE WORKDIR [--days 5,10,15,20]

DATA.csv and TRUTH.csv come from bench/gen_months.c. For each as-of day D of the month, the rows dated up to D
go to WORKDIR/cut-D.csv, `PB_AGGREGATE estimate --as-of DATE WORKDIR/cut-D.csv` estimates every series, and
its estimate and intervals are compared with the true month total next to:
  linear  month-to-date x days in the month / days elapsed;
  ols     a least-squares line through the last 30 days' usage (days outside the interquartile fences
          Q1 - 1.5 IQR .. Q3 + 1.5 IQR left out), extrapolated over the rest of the month, plus month-to-date;
  oracle  month-to-date plus the expected usage of the rest of the month given the generator's hidden state.
The oracle foresees no spike, one-off, start, level shift or stop after the as-of day: nothing can.
A series counts at an as-of day when it has rows through that day (otherwise no forecast knows it) and a
positive month total (the MAPE's denominator).
Prints a markdown table and a line per target (PASS or MISS); exits 1 when a run failed, else 0.
ESTIMATE_EVAL_DETAIL=1 adds, on stderr, the figures per kind of series (the generator's flags).
Only the standard library: floats are fine here, this is a benchmark.
"""

import csv
import datetime
import os
import statistics
import subprocess
import sys
import time

MIN_GAP_CLOSED = 0.5
COVER90 = (0.85, 0.95)
HISTORY = 90  # gen_months.c: the data start this many days before the month
DETAIL = bool(os.environ.get("ESTIMATE_EVAL_DETAIL"))


def load_data(path):
    """Rows by date text, and per series {date: (usage, all)} in floats."""
    lines = []
    series = {}
    with open(path, newline="") as f:
        header = f.readline()
        for line in f:
            key, date, cat, amount = line.rstrip("\n").split(",")
            lines.append((date, line))
            days = series.setdefault(key, {})
            u, a = days.get(date, (0.0, 0.0))
            v = float(amount)
            days[date] = (u + v if cat == "Usage" else u, a + v)
    return header, lines, series


def load_truth(path):
    """Per series: the true month total, the generator's flags, the oracle per as-of day of the month."""
    truth = {}
    with open(path, newline="") as f:
        r = csv.reader(f)
        next(r)
        for row in r:
            truth[row[0]] = (float(row[1]), row[2], [float(v) for v in row[4:]])
    return truth


def quartiles(v):
    q = statistics.quantiles(v, n=4, method="inclusive")
    return q[0], q[2]


def ols_forecast(days, as_of, month_start, month_end):
    """The baseline: OLS on the last 30 days' usage without IQR outliers, extrapolated, plus month-to-date."""
    one = datetime.timedelta(days=1)
    xs, ys = [], []
    for i in range(30):
        d = as_of - i * one
        xs.append(-i)
        ys.append(days.get(d.isoformat(), (0.0, 0.0))[0])
    q1, q3 = quartiles(ys)
    lo, hi = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
    pts = [(x, y) for x, y in zip(xs, ys) if lo <= y <= hi]
    n = len(pts)
    mx = sum(x for x, _ in pts) / n
    my = sum(y for _, y in pts) / n
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    b = sum((x - mx) * (y - my) for x, y in pts) / sxx if sxx > 0 else 0.0
    a = my - b * mx
    rest = sum(a + b * h for h in range(1, (month_end - as_of).days + 1))
    return mtd(days, month_start, as_of) + rest


def mtd(days, month_start, as_of):
    """Month-to-date, every category."""
    total = 0.0
    d = month_start
    while d <= as_of:
        total += days.get(d.isoformat(), (0.0, 0.0))[1]
        d += datetime.timedelta(days=1)
    return total


def run_ours(binary, workdir, header, lines, as_of):
    """pb-aggregate estimate on the rows up to as_of: its lines by series (None when it failed), and seconds."""
    cut = f"{workdir}/cut-{as_of.day}.csv"
    text = as_of.isoformat()
    with open(cut, "w") as f:
        f.write(header)
        f.writelines(line for date, line in lines if date <= text)
    t0 = time.monotonic()
    p = subprocess.run([binary, "estimate", "--as-of", text, cut], capture_output=True, text=True)
    took = time.monotonic() - t0
    if p.returncode != 0:
        sys.stderr.write(f"estimate_eval: {binary} failed ({p.returncode}): {p.stderr}")
        return None, took
    out = {}
    rows = csv.DictReader(p.stdout.splitlines())
    for row in rows:
        out[row["series"]] = row
    return out, took


def main(argv):
    if len(argv) not in (5, 7):
        sys.stderr.write(__doc__)
        return 2
    data, truth_path, binary, workdir = argv[1:5]
    days_list = [5, 10, 15, 20]
    if len(argv) == 7 and argv[5] == "--days":
        days_list = [int(v) for v in argv[6].split(",")]
    header, lines, series = load_data(data)
    truth = load_truth(truth_path)
    first_day = datetime.date.fromisoformat(min(date for date, _ in lines))
    month_start = first_day + datetime.timedelta(days=HISTORY)
    nxt = (month_start + datetime.timedelta(days=32)).replace(day=1)
    month_end = nxt - datetime.timedelta(days=1)
    nmonth = (nxt - month_start).days

    print(f"{len(truth)} account-months of {month_start:%Y-%m}; n: those known at the as-of day with a positive "
          "total; seconds: pb-aggregate's run.\n")
    print("| as-of day | n | MAPE ours | MAPE linear | MAPE OLS | MAPE oracle | gap closed | 90% coverage "
          "| 80% coverage | median 90% width | seconds |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    results = []
    failed = False
    for day in days_list:
        as_of = month_start + datetime.timedelta(days=day - 1)
        ours, took = run_ours(binary, workdir, header, lines, as_of)
        if ours is None:
            failed = True
            continue
        ape = {"ours": [], "linear": [], "ols": [], "oracle": []}
        detail = {} if DETAIL else None
        in90 = in80 = 0
        widths = []
        for key, (total, flags, oracle) in truth.items():
            if total <= 0:
                continue
            days = series.get(key, {})
            row = ours.get(key)
            if row is None:
                # No rows through the as-of day: the series is not known yet, to any forecast.
                continue
            m = mtd(days, month_start, as_of)
            est = float(row["estimate"])
            lin = m * nmonth / day
            ols = ols_forecast(days, as_of, month_start, month_end)
            for name, v in (("ours", est), ("linear", lin), ("ols", ols), ("oracle", oracle[day - 1])):
                ape[name].append(abs(v - total) / total)
            lo90, hi90 = float(row["low90"]), float(row["high90"])
            lo80, hi80 = float(row["low80"]), float(row["high80"])
            in90 += lo90 <= total <= hi90
            in80 += lo80 <= total <= hi80
            widths.append((hi90 - lo90) / total)
            if detail is not None:
                for flag in flags + "*":
                    dd = detail.setdefault(flag, {"n": 0, "ours": 0, "ols": 0, "oracle": 0, "in90": 0})
                    dd["n"] += 1
                    dd["ours"] += abs(est - total) / total
                    dd["ols"] += abs(ols - total) / total
                    dd["oracle"] += abs(oracle[day - 1] - total) / total
                    dd["in90"] += lo90 <= total <= hi90
                    dd.setdefault("methods", {}).setdefault(row["method"], 0)
                    dd["methods"][row["method"]] += 1
        n = len(ape["ours"])
        mape = {k: 100 * sum(v) / n for k, v in ape.items()}
        gap = (mape["ols"] - mape["ours"]) / (mape["ols"] - mape["oracle"]) if mape["ols"] != mape["oracle"] else 0
        cov90, cov80 = in90 / n, in80 / n
        width = 100 * statistics.median(widths)
        results.append((day, gap, cov90))
        if detail is not None:
            for flag, dd in sorted(detail.items()):
                k = dd["n"]
                sys.stderr.write(f"  day {day} flag {flag}: n={k} ours={100 * dd['ours'] / k:.2f} "
                                 f"ols={100 * dd['ols'] / k:.2f} oracle={100 * dd['oracle'] / k:.2f} "
                                 f"cov90={100 * dd['in90'] / k:.1f} {dd['methods']}\n")
        print(f"| {day} | {n} | {mape['ours']:.2f}% | {mape['linear']:.2f}% | {mape['ols']:.2f}% "
              f"| {mape['oracle']:.2f}% | {gap:.2f} | {100 * cov90:.1f}% | {100 * cov80:.1f}% | {width:.1f}% "
              f"| {took:.2f} |")
    print()
    print("| target | as-of day | measured | result |")
    print("|---|---:|---:|---|")
    for day, gap, cov90 in results:
        print(f"| gap closed >= {MIN_GAP_CLOSED:.2f} | {day} | {gap:.2f} | "
              f"{'PASS' if gap >= MIN_GAP_CLOSED else 'MISS'} |")
    for day, gap, cov90 in results:
        ok = COVER90[0] <= cov90 <= COVER90[1]
        print(f"| 90% coverage in {100 * COVER90[0]:.0f}-{100 * COVER90[1]:.0f}% | {day} | {100 * cov90:.1f}% | "
              f"{'PASS' if ok else 'MISS'} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
