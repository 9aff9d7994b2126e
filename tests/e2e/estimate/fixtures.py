#!/usr/bin/env python3
"""Writes the inputs of tests/e2e/estimate/run.sh into DIR, and DIR/truth: the true month total of the usage of
the series whose rest of the month the fixtures know (name total, one a line).

Usage: fixtures.py DIR

The series are made by formulas and a fixed linear congruential generator, so the files are the same on every
machine and every Python. Amounts have 4 decimals; the month is March 2026, the history from 2025-12-01.
"""

import datetime
import sys
from decimal import Decimal

FIRST = datetime.date(2025, 12, 1)
LAST = datetime.date(2026, 3, 31)
MONTH = datetime.date(2026, 3, 1)


class Lcg:
    """Numbers in [0, 1) from the 48-bit generator of drand48."""

    def __init__(self, seed):
        self.x = seed

    def next(self):
        self.x = (self.x * 0x5DEECE66D + 0xB) % (1 << 48)
        return self.x / (1 << 48)

    def noise(self, spread):
        """1 plus a deviation uniform in -spread .. spread."""
        return 1 + spread * (2 * self.next() - 1)


def days(first=FIRST, last=LAST):
    d = first
    while d <= last:
        yield d
        d += datetime.timedelta(days=1)


def amount(v):
    return Decimal(v).quantize(Decimal("0.0001"))


def series(name, value, first=FIRST, last=LAST):
    """[(name, date, Decimal)] of value(date) for the days first..last, days of value 0 left out."""
    rows = []
    for d in days(first, last):
        v = value(d)
        if v:
            rows.append((name, d, amount(v)))
    return rows


def write(path, rows, as_of, extra=()):
    """The rows dated up to as_of (and the extra rows, category given) as an input file."""
    with open(path, "w") as f:
        f.write("series,date,charge_category,amount\n")
        for name, d, v in rows:
            if d <= as_of:
                f.write(f"{name},{d.isoformat()},Usage,{v}\n")
        for name, d, cat, v in extra:
            f.write(f"{name},{d.isoformat()},{cat},{v}\n")


def month_total(rows):
    return sum((v for _, d, v in rows if d >= MONTH), Decimal(0))


def main(out):
    truth = []

    # Weekdays about 100, weekends about 40, +-15 % of noise.
    rng = Lcg(20260301)
    weekly = series("weekly", lambda d: (40 if d.weekday() >= 5 else 100) * rng.noise(0.15))
    write(f"{out}/weekly.csv", weekly, datetime.date(2026, 3, 12))
    truth.append(("weekly", month_total(weekly)))

    # A workload that starts on the 12th, about 50 a day; and one that steps from about 20 to about 60.
    rng = Lcg(12)
    start = series("new", lambda d: 50 * rng.noise(0.1) if d >= datetime.date(2026, 3, 12) else 0)
    rng = Lcg(13)
    step = series("step", lambda d: (60 if d >= datetime.date(2026, 3, 12) else 20) * rng.noise(0.1))
    write(f"{out}/step.csv", start + step, datetime.date(2026, 3, 20))
    truth.append(("new", month_total(start)))
    truth.append(("step", month_total(step)))

    # About 30 a day; spiky has the same days and one of 50 times as much on the 8th.
    rng = Lcg(5)
    calm = series("calm", lambda d: 30 * rng.noise(0.1))
    spiky = [("spiky", d, v * 50 if d == datetime.date(2026, 3, 8) else v) for _, d, v in calm]
    write(f"{out}/spike.csv", calm + spiky, datetime.date(2026, 3, 15))

    with open(f"{out}/truth", "w") as f:
        for name, total in truth:
            f.write(f"{name} {total}\n")


if __name__ == "__main__":
    main(sys.argv[1])
