#!/usr/bin/env python3
"""Writes a CUR file for the split-file tests: records whose quoted descriptions hold many line feeds, so
that most byte offsets fall inside a quoted field, and plain records between them.

Usage: gen_split.py ROWS SEED [--bad LINE_INDEX...]  (stdout; --bad puts "1,5" as an amount in those rows)
"""
import random
import sys


def main():
    rows, seed = int(sys.argv[1]), int(sys.argv[2])
    bad = set(int(x) for x in sys.argv[4:]) if len(sys.argv) > 3 and sys.argv[3] == '--bad' else set()
    rnd = random.Random(seed)
    out = sys.stdout
    out.write('identity/LineItemId,bill/BillingPeriodStartDate,lineItem/UsageAccountId,lineItem/LineItemType,'
              'lineItem/UsageStartDate,lineItem/CurrencyCode,lineItem/UnblendedCost,pricing/publicOnDemandCost,'
              'lineItem/LineItemDescription,product/ProductName,product/region\n')
    types = ['Usage', 'DiscountedUsage', 'Tax', 'Credit', 'Fee', 'SavingsPlanCoveredUsage']
    for i in range(rows):
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
        out.write('id%d,2026-10-01T00:00:00Z,%s,%s,2026-10-%02dT%02d:00:00Z,USD,%s,%s,%s,Amazon EC2,us-east-1\n' %
                  (i, acct, t, day, rnd.randrange(24), billed, lst, desc))


main()
