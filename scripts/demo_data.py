#!/usr/bin/env python3
"""Writes the demo's partner exports: a few partner accounts' daily usage, as an AWS CUR 2.0 file and an Azure
cost details file per delivery, with a fixed seed, so that `make demo` shows estimates with a history behind
them. Python's standard library only; amounts are written as exact decimal text.

Usage: demo_data.py DIR
Writes, for each month from 2026-07 to 2026-10:
  DIR/aws/MONTH/final/cur.csv, DIR/azure/MONTH/final/cost.csv      the month's final data
and for 2026-10 also the month-to-date deliveries the nightly job reads, one per as-of day D (data through
D, as exports lag a day): DIR/aws/2026-10/D/cur.csv and DIR/azure/2026-10/D/cost.csv for D in 2026-10-05,
2026-10-12, 2026-10-19 and 2026-10-26.
"""
import datetime
import decimal
import os
import random
import sys

D = decimal.Decimal
SEED = 20261001
MONTHS = ['2026-07', '2026-08', '2026-09', '2026-10']
NIGHTS = ['05', '12', '19', '26']

# (partner account, base daily cost in USD, weekend factor, daily drift, starts on day) per vendor.
AWS = [('111111111101', 180, D('0.55'), D('0.002'), 1),   # ACME1
       ('111111111102', 60, D('0.9'), D('0'), 1),          # BETA4
       ('111111111103', 25, D('1'), D('0'), 1),            # GLOB2, a UK office: AWS is not offered there
       ('111111111104', 15, D('1'), D('0'), 1),            # INIT3, a reseller's customer
       ('111111111105', 8, D('1'), D('0'), 1)]             # linked to no CLC account: unmapped
AZURE = [('6b1f3c2a-8d4e-4f7a-9b2c-1e5d7a9c3f01', 95, D('0.6'), D('0.001'), 1),   # ACME1
         ('9a4d2e61-7c0b-4b95-8f3a-d2c6e1b0a947', 40, D('1'), D('0'), 1),         # GLOB2 (Azure is offered in GB)
         ('0c7e9a14-52b3-4d8f-a1e6-3f9b2d7c5e88', 30, D('1'), D('0'), 15)]        # BETA4, from mid-October

CUR_HEADER = ('bill_invoice_id,bill_billing_period_start_date,line_item_usage_account_id,line_item_line_item_type,'
              'line_item_usage_start_date,line_item_currency_code,line_item_unblended_cost,'
              'pricing_public_on_demand_cost,product_product_name,product_region_code\n')
AZ_HEADER = ('SubscriptionId,SubscriptionName,Date,BillingPeriodStartDate,ChargeType,PricingModel,BillingCurrency,'
             'CostInBillingCurrency,PayGPrice,Quantity,MeterCategory,ResourceLocation\n')


def days_of(month):
    y, m = int(month[:4]), int(month[5:])
    first = datetime.date(y, m, 1)
    nxt = datetime.date(y + (m == 12), m % 12 + 1, 1)
    return [first + datetime.timedelta(days=i) for i in range((nxt - first).days)]


def q(x, places='0.0000000001'):
    return x.quantize(D(places), rounding=decimal.ROUND_HALF_EVEN)


def daily(rnd, acct, day, index):
    """The list cost of one partner account on one day: base, weekly pattern, drift, noise, a spike now and then."""
    _, base, weekend, drift, start = acct
    if day.month == 10 and day.day < start:
        return None
    v = D(base) * (1 + drift * index)
    if day.weekday() >= 5:
        v *= weekend
    v *= D(str(round(rnd.uniform(0.88, 1.12), 4)))
    if rnd.random() < 0.02:
        v *= 4
    return q(v)


def month_rows(month, rnd, index0):
    aws, azure = [], []
    for k, day in enumerate(days_of(month)):
        for a in AWS:
            v = daily(rnd, a, day, index0 + k)
            if v is not None:
                aws.append((day, a[0], 'Usage', q(v * D('0.83')), v, 'Amazon Elastic Compute Cloud'))
        for a in AZURE:
            v = daily(rnd, a, day, index0 + k)
            if v is not None:
                azure.append((day, a[0], 'Usage', q(v * D('0.8')), v))
    first = days_of(month)[0]
    # One-off charges: a support fee and a partner credit for ACME1, tax the reseller does not pass on.
    aws.append((first + datetime.timedelta(days=9), '111111111101', 'Fee', D('250'), D('250'), 'AWS Support (Business)'))
    aws.append((first + datetime.timedelta(days=16), '111111111101', 'Credit', D('-75.5'), None,
                'Amazon Elastic Compute Cloud'))
    aws.append((first + datetime.timedelta(days=20), '111111111101', 'Tax', D('41.17'), None, 'Amazon Elastic Compute Cloud'))
    return aws, azure


def write_aws(path, month, rows, through, final):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w', newline='') as f:
        f.write(CUR_HEADER)
        for day, acct, typ, billed, listed, service in rows:
            if day > through:
                continue
            f.write('%s,%s-01T00:00:00.000Z,%s,%s,%sT06:00:00.000Z,USD,%s,%s,%s,us-east-1\n' % (
                '8042%s' % month.replace('-', '') if final else '', month, acct, typ, day.isoformat(), billed,
                '' if listed is None else listed, service))


def write_azure(path, month, rows, through):
    names = {AZURE[0][0]: 'clc-ACME1-prod', AZURE[1][0]: 'Globex (GLOB2)', AZURE[2][0]: 'beta4 analytics'}
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w', newline='') as f:
        f.write(AZ_HEADER)
        for day, acct, typ, billed, listed in rows:
            if day > through:
                continue
            f.write('%s,%s,%s,%s-01,%s,OnDemand,USD,%s,%s,1,Virtual Machines,westeurope\n' % (
                acct, names[acct], day.strftime('%m/%d/%Y'), month, typ, billed, listed))


def main(out):
    rnd = random.Random(SEED)
    index = 0
    for month in MONTHS:
        aws, azure = month_rows(month, rnd, index)
        index += len(days_of(month))
        last = days_of(month)[-1]
        write_aws(os.path.join(out, 'aws', month, 'final', 'cur.csv'), month, aws, last, True)
        write_azure(os.path.join(out, 'azure', month, 'final', 'cost.csv'), month, azure, last)
        if month != MONTHS[-1]:
            continue
        for night in NIGHTS:
            through = datetime.date(int(month[:4]), int(month[5:]), int(night)) - datetime.timedelta(days=1)
            folder = '%s-%s' % (month, night)
            write_aws(os.path.join(out, 'aws', month, folder, 'cur.csv'), month, aws, through, False)
            write_azure(os.path.join(out, 'azure', month, folder, 'cost.csv'), month, azure, through)


if __name__ == '__main__':
    if len(sys.argv) != 2 or sys.argv[1].startswith('-'):
        (sys.stdout if sys.argv[1:] in (['--help'], ['-h']) else sys.stderr).write(__doc__)
        sys.exit(0 if sys.argv[1:] in (['--help'], ['-h']) else 2)
    main(sys.argv[1])
