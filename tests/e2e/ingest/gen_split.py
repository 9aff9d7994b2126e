#!/usr/bin/env python3
"""Writes a CUR file for the split-file tests: records whose quoted descriptions hold many line feeds, so
that most byte offsets fall inside a quoted field, and plain records between them. The file is as wide as
real legacy reports (--width columns, default 300): filler columns stand between the ones pb-ingest reads,
so that most read columns sit past index 128.

Usage: gen_split.py ROWS SEED [--width N] [--bad LINE_INDEX...]  (stdout; --bad puts "1,5" as an amount in
those rows)
"""
import argparse
import random
import sys

HEAD = ['identity/LineItemId', 'bill/BillingPeriodStartDate', 'lineItem/UsageAccountId', 'lineItem/LineItemType']
TAIL = ['lineItem/UsageStartDate', 'lineItem/CurrencyCode', 'lineItem/UnblendedCost', 'pricing/publicOnDemandCost',
        'lineItem/LineItemDescription', 'product/ProductName', 'product/region']


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('rows', type=int)
    ap.add_argument('seed', type=int)
    ap.add_argument('--width', type=int, default=300)
    ap.add_argument('--bad', type=int, nargs='*', default=[])
    a = ap.parse_args()
    fill = max(0, a.width - len(HEAD) - len(TAIL))
    bad = set(a.bad)
    rnd = random.Random(a.seed)
    out = sys.stdout
    filler_names = ['product/attribute%03d' % k for k in range(fill)]
    out.write(','.join(HEAD + filler_names + TAIL) + '\n')
    types = ['Usage', 'DiscountedUsage', 'Tax', 'Credit', 'Fee', 'SavingsPlanCoveredUsage']
    for i in range(a.rows):
        acct = '%012d' % (100000000000 + rnd.randrange(7) * 111111111)
        t = rnd.choice(types)
        day = rnd.randrange(1, 32)
        billed = '%d.%010d' % (rnd.randrange(0, 50), rnd.randrange(10**10))
        if t == 'Credit':
            billed = '-' + billed
        if rnd.random() < 0.1:
            billed = '%dE-%d' % (rnd.randrange(1, 999), rnd.randrange(1, 12))
        lst = '' if t in ('Tax', 'Credit') else '%d.%08d' % (rnd.randrange(0, 60), rnd.randrange(10**8))
        if i in bad:
            billed = '"1,5"'
        if rnd.random() < 0.5:
            lines = ['line %d of a long, "quoted" description' % k for k in range(rnd.randrange(5, 40))]
            desc = '"' + '\n'.join(lines).replace('"', '""') + '"'
        else:
            desc = 'plain description %d' % i
        fillers = ','.join('v%d' % (k % 7) if k % 5 else '' for k in range(fill))
        out.write('id%d,2026-10-01T00:00:00Z,%s,%s,%s%s2026-10-%02dT%02d:00:00Z,USD,%s,%s,%s,Amazon EC2,us-east-1\n' %
                  (i, acct, t, fillers, ',' if fill else '', day, rnd.randrange(24), billed, lst, desc))


main()
