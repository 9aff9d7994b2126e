#!/usr/bin/env python3
"""The demo's invoice lines computed from its raw exports alone, independently of partnerbill: the final AWS and
Azure files of a month (scripts/demo_data.py), the links scripts/demo_accounts.sh makes, and the pricing of
config/pricing.conf for the charge types the demo has (usage at list, a fee at list, a credit as billed, tax
left out). Sums are exact (decimal), each account's amount rounded once to the cent, half away from zero, and split
over the vendors by largest remainder.

Usage: demo_invoice.py DEMO_DIR MONTH    prints ALIAS,AMOUNT,AWS_AMOUNT,AZURE_AMOUNT per invoiced account
"""
import csv
import decimal
import sys

D = decimal.Decimal
# scripts/demo_accounts.sh: partner account -> (CLC account, linked from).
LINKS = {
    'aws': {'111111111101': ('ACME1', '2026-07-01'), '111111111102': ('BETA4', '2026-07-01')},
    'azure': {'6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f01': ('ACME1', '2026-07-01'),
              '9a4d2e61-7c0b-4b95-8f3a-d2c6e1b0a947': ('GLOB2', '2026-07-01'),
              '0c7e9a14-52b3-4d8f-a1e6-3f9b2d7c5e88': ('BETA4', '2026-10-15')},
}


def add(total, vendor, account, day, amount):
    link = LINKS[vendor].get(account)
    if link is None or day < link[1]:
        return  # unmapped, or before the link
    key = (link[0], vendor)
    total[key] = total.get(key, D(0)) + amount


def main(folder, month):
    total = {}
    with open('%s/aws/%s/final/cur.csv' % (folder, month), newline='') as f:
        for r in csv.DictReader(f):
            kind, listed, billed = r['line_item_line_item_type'], r['pricing_public_on_demand_cost'], \
                r['line_item_unblended_cost']
            amount = {'Usage': lambda: D(listed), 'Fee': lambda: D(listed or billed),
                      'Credit': lambda: D(billed), 'Tax': lambda: None}[kind]()
            if amount is not None:
                add(total, 'aws', r['line_item_usage_account_id'], r['line_item_usage_start_date'][:10], amount)
    with open('%s/azure/%s/final/cost.csv' % (folder, month), newline='') as f:
        for r in csv.DictReader(f):
            assert r['ChargeType'] == 'Usage' and r['PricingModel'] == 'OnDemand'
            m, d, y = r['Date'].split('/')
            add(total, 'azure', r['SubscriptionId'], '%s-%s-%s' % (y, m, d), D(r['PayGPrice']) * D(r['Quantity']))

    def cents(x):
        return x.quantize(D('0.01'), rounding=decimal.ROUND_HALF_UP)

    def parts(amount, exact):
        """The parts by largest remainder (schemas/invoice_csv.md): each floored to the cent, the cents left
        over one each to the largest remainders, the earlier vendor first among equal ones."""
        floors = [x.quantize(D('0.01'), rounding=decimal.ROUND_FLOOR) for x in exact]
        left = int((amount - sum(floors)) / D('0.01'))
        for i in sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))[:left]:
            floors[i] += D('0.01')
        return floors
    for alias in sorted({a for a, _ in total}):
        aws, azure = total.get((alias, 'aws'), D(0)), total.get((alias, 'azure'), D(0))
        amount = cents(aws + azure)
        print('%s,%s,%s,%s' % ((alias, amount) + tuple(parts(amount, [aws, azure]))))


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        sys.exit(2)
    main(sys.argv[1], sys.argv[2])
