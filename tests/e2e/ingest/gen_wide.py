#!/usr/bin/env python3
"""Writes a CUR 2.0 file of about SIZE bytes and WIDTH columns, the columns pb-ingest reads last (past index
128): the shape of issue 11's heap overflow, a wanted field stored past the first record's slots.

Usage: gen_wide.py SIZE WIDTH   (stdout)
"""
import sys

READ = ['bill_billing_period_start_date', 'line_item_usage_account_id', 'line_item_line_item_type',
        'line_item_usage_start_date', 'line_item_product_code', 'line_item_currency_code',
        'line_item_unblended_cost', 'pricing_public_on_demand_cost', 'product_region_code']


def main():
    size, width = int(sys.argv[1]), int(sys.argv[2])
    fill = width - len(READ)
    out = sys.stdout
    out.write(','.join(['filler_%03d' % k for k in range(fill)] + READ) + '\n')
    fillers = ','.join('v%d' % (k % 7) if k % 3 else '' for k in range(fill))
    written, i = 0, 0
    while written < size:
        acct = '%012d' % (100000000000 + (i % 7) * 111111111)
        row = '%s,2026-10-01T00:00:00Z,%s,Usage,2026-10-%02dT%02d:00:00Z,AmazonEC2,USD,%d.%04d,%d.%02d,us-east-1\n' % (
            fillers, acct, i % 31 + 1, i % 24, i % 50, i % 10000, i % 60, i % 100)
        out.write(row)
        written += len(row)
        i += 1


main()
