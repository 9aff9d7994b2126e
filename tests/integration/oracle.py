#!/usr/bin/env python3
"""A differential oracle of the month's invoice: a seeded generator of a small month of raw partner exports (an AWS
Cost and Usage Report, legacy or CUR 2.0, an Azure cost details export and a Partner Center reconciliation file),
with links, conversion rates and the state of a pool of CLC accounts, and an independent computation of the invoice
lines from those files and the documented rules alone (README.md, the man pages, schemas/invoice_csv.md,
config/pricing.conf and config/eligibility.conf). Sums are exact (decimal, never float).

Usage:
  oracle.py pool                 prints the pool's accounts CSV (for pb-accounts import), a reseller's included
  oracle.py terms                prints the terms the pool's accounts accepted, ALIAS VENDOR [REGION] a line
  oracle.py gen SEED DIR         writes DIR/aws.csv, DIR/azure.csv, DIR/pc.json (Partner Center, billed) and
                                 DIR/pc-unbilled.json, DIR/links.csv, DIR/rates.csv,
                                 DIR/accounts.txt (ALIAS COUNTRY CURRENCY MARKUP reseller|child|customer a line:
                                 the state the month is billed in, child a customer of the reseller),
                                 DIR/eligibility.conf (the countries each vendor is offered in), DIR/month
                                 (YYYY-MM), and for some seeds the price lists loaded before the exports
                                 (DIR/prices.txt: FORMAT SOURCE FILE a line, the oldest first); for some
                                 seeds a second source's exports (DIR/aws-b.csv, DIR/azure-b.csv) and an older
                                 delivery of the first's that the newer replaces (DIR/aws-old.csv,
                                 DIR/azure-old.csv); for some seeds the AWS reports in CUR 2.0, some of them
                                 without the pricing columns; for some seeds the unbilled usage of each currency
                                 (DIR/pc-unbilled-CUR.json) and the invoice's id (DIR/pc-invoice), stored under
                                 the sources the Partner Center export names
  oracle.py expect DIR [CONF]    prints the invoice lines the files of DIR give, as
                                 ALIAS,LINE_TYPE,CURRENCY,AMOUNT,AWS_AMOUNT,AZURE_AMOUNT (CONF: the config
                                 folder, default config)
  oracle.py exact DIR CSV [DETAIL]
                                 prints where CSV (pb-aggregate --csv) differs from the oracle's exact month
                                 to date and markup per account and vendor, and where the sums of DETAIL's
                                 amounts (the invoice's detail) per account and vendor differ from their sum;
                                 nothing when they do not
  oracle.py restate SEED DIR OUT writes OUT, DIR's month restated: some amounts changed, a credit added and a
                                 line removed in each export of the first source
  oracle.py next SEED DIR OUT N  writes OUT, a small month of its own exports N months after DIR's, the same
                                 links, and the accounts as they are once DIR's month is issued
  oracle.py adjusted DIR CORRECTED NOW...
                                 prints DIR's invoice lines as ALIAS,LINE_TYPE,CORRECTS,CURRENCY,AMOUNT,
                                 AWS_AMOUNT,AZURE_AMOUNT, its adjustments of CORRECTED's month included: NOW are
                                 that month's folders as invoiced, then as adjusted on each invoice after it
"""
import calendar
import csv
import datetime
import decimal
import fnmatch
import json
import os
import random
import sys

D = decimal.Decimal
decimal.getcontext().prec = 200
POOL = ['ORA1', 'ORA2', 'ORA3', 'ORA4', 'ORA5']
MINOR = {'USD': 2, 'EUR': 2, 'GBP': 2, 'JPY': 0, 'BHD': 3}
SOURCE_CURRENCIES = ['USD', 'EUR']
RESELLER = 'ORAR'  # a reseller: an account of kind child is its customer
# The vendors' terms each account accepted, per region (a billing country): every one in the US, where its links
# are made, and a few in the United Kingdom or Germany.
TERMS = {a: {('aws', 'US'), ('azure', 'US')} | extra for a, extra in (
    ('ORA1', {('azure', 'GB'), ('aws', 'GB')}), ('ORA2', {('azure', 'GB'), ('aws', 'DE')}),
    ('ORA3', {('azure', 'DE'), ('azure', 'GB')}), ('ORA4', {('aws', 'GB')}), ('ORA5', set()))}

AWS_HEADER = ['identity/LineItemId', 'bill/InvoiceId', 'bill/BillingPeriodStartDate', 'lineItem/UsageAccountId',
              'lineItem/LineItemType', 'lineItem/UsageStartDate', 'lineItem/ProductCode', 'lineItem/CurrencyCode',
              'lineItem/UnblendedCost', 'product/ProductName', 'product/regionCode', 'pricing/publicOnDemandCost',
              'reservation/ReservationARN', 'savingsPlan/SavingsPlanARN']
# AWS CUR 2.0 (Data Exports) names of the legacy columns; the product name is in its product map column.
CUR2_NAMES = {'identity/LineItemId': 'identity_line_item_id', 'bill/InvoiceId': 'bill_invoice_id',
              'bill/BillingPeriodStartDate': 'bill_billing_period_start_date',
              'lineItem/UsageAccountId': 'line_item_usage_account_id',
              'lineItem/LineItemType': 'line_item_line_item_type',
              'lineItem/UsageStartDate': 'line_item_usage_start_date', 'lineItem/ProductCode': 'line_item_product_code',
              'lineItem/CurrencyCode': 'line_item_currency_code', 'lineItem/UnblendedCost': 'line_item_unblended_cost',
              'product/ProductName': 'product', 'product/regionCode': 'product_region_code',
              'pricing/publicOnDemandCost': 'pricing_public_on_demand_cost',
              'reservation/ReservationARN': 'reservation_reservation_a_r_n',
              'savingsPlan/SavingsPlanARN': 'savings_plan_savings_plan_a_r_n', 'product/sku': 'product_sku',
              'lineItem/UsageAmount': 'line_item_usage_amount', 'pricing/unit': 'pricing_unit',
              'lineItem/UsageType': 'line_item_usage_type', 'lineItem/Operation': 'line_item_operation'}
LEGACY_NAMES = {v: k for k, v in CUR2_NAMES.items()}
AZ_HEADER = ['SubscriptionId', 'SubscriptionName', 'Date', 'BillingPeriodStartDate', 'ChargeType', 'PricingModel',
             'PublisherType', 'BillingCurrency', 'CostInBillingCurrency', 'PayGPrice', 'Quantity', 'MeterCategory',
             'ResourceLocation']


# ---- the generator ------------------------------------------------------------------------------------------

def pool():
    w = csv.writer(sys.stdout, lineterminator='\n')
    w.writerow(['alias', 'name', 'billing_country', 'is_reseller'])
    for i, a in enumerate(POOL):
        w.writerow([a, 'Oracle Account %d' % (i + 1), 'US', 'false'])
    w.writerow([RESELLER, 'Oracle Reseller', 'US', 'true'])


def terms():
    """The terms the pool's accounts accepted, ALIAS VENDOR [REGION] a line (for pb-accounts accept-terms): the
    CenturyLink terms, and each vendor's in the regions of TERMS."""
    for a in POOL:
        print('%s centurylink' % a)
        for vendor, region in sorted(TERMS[a]):
            print('%s %s %s' % (a, vendor, region))


def month_of(seed):
    """A past month of its own for each seed (the accounts are shared, the partner accounts are the seed's), and
    the two after it free for the seed's adjustments: seeds next to each other 44 years apart (a February keeps
    its days)."""
    k = seed % 480
    i = (1980 - 44 * (k % 3)) * 12 + k
    return i // 12, i % 12 + 1


def amount(rnd, lo=-50, hi=400, odd=True):
    """An amount as exact text: a few decimals or many, now and then an exponent, a negative, a fraction of a
    cent, half a cent, or a large one."""
    r = rnd.random() if odd else 1
    if r < 0.04:
        return rnd.choice(['0.005', '-0.005', '0.0050', '0.001', '-0.004', '0.0049999999999999999999', '0'])
    if r < 0.06:
        return str(D(rnd.randint(-10 ** 12, 10 ** 12)).scaleb(-rnd.choice([0, 2, 7])))
    places = rnd.choice([0, 2, 2, 4, 6, 10, 12, 15, 18, 20])
    v = D(rnd.randint(lo * 10 ** places, hi * 10 ** places)).scaleb(-places)
    if rnd.random() < 0.05 and v != 0:
        return '%E' % v if places < 6 else str(v)
    return str(v)


def gen(seed, out):
    rnd = random.Random(seed)
    y, m = month_of(seed)
    last = calendar.monthrange(y, m)[1]
    month = '%04d-%02d' % (y, m)
    first = datetime.date(y, m, 1)
    os.makedirs(out, exist_ok=True)

    def day(d):
        return first + datetime.timedelta(days=d - 1)

    # The accounts: invoice currency, markup, and the country they are billed in (linked as US first).
    accounts = []
    for a in POOL:
        cur = rnd.choice(['USD', 'USD', 'EUR', 'JPY', 'BHD', 'GBP'])
        markup = rnd.choice(['0', '0', '12.5', '-5', '100', '-100', '%.6f' % rnd.uniform(-30, 60),
                             str(rnd.randint(-20, 40))])
        markup = str(D(markup).normalize()) if D(markup) != 0 else '0'
        if 'E' in markup:
            markup = format(D(markup), 'f')
        country = rnd.choice(['US', 'US', 'US', 'GB', 'DE'])
        reseller = 'reseller' if rnd.random() < 0.1 else 'customer'
        accounts.append([a, country, cur, markup, reseller])
    # Now and then the last account bills only half cents and less, in its exports' currency: its total
    # is rounded on a half.
    tiny = rnd.random() < 0.35
    linkable = POOL[:-1] if tiny else POOL
    if tiny:
        accounts[-1][1:] = ['US', 'USD', rnd.choice(['0', '0', '100', '-50', '200']), 'customer']
    with open(os.path.join(out, 'accounts.txt'), 'w') as f:
        for a in accounts:
            f.write('%s %s %s %s %s\n' % tuple(a))

    # Partner accounts, each unmapped, linked for the month, from or until a day in it, or moved mid-month.
    aws_ids = ['%06d%06d' % (seed % 1000000, i + 1) for i in range(5)]
    az_ids = ['%08x-%04x-4%03x-8%03x-%012x' % (seed, i, rnd.randrange(4096), rnd.randrange(4096),
                                                 rnd.randrange(16 ** 12)) for i in range(5)]
    links = []
    for vendor, ids in (('aws', aws_ids), ('azure', az_ids)):
        for i, p in enumerate(ids):
            kind = 'unmapped' if i == 0 else rnd.choice(['whole', 'whole', 'from', 'until', 'moved', 'before'])
            a, b = rnd.choice(linkable), rnd.choice(linkable)
            if tiny and i == 1:
                kind, a = 'whole', POOL[-1]
            d1 = rnd.randint(2, last - 1)
            if kind == 'whole':
                links.append((a, vendor, p, (first - datetime.timedelta(days=40)).isoformat(), ''))
            elif kind == 'from':
                links.append((a, vendor, p, day(d1).isoformat(), ''))
            elif kind == 'until':
                links.append((a, vendor, p, (first - datetime.timedelta(days=3)).isoformat(), day(d1).isoformat()))
            elif kind == 'moved':
                links.append((a, vendor, p, first.isoformat(), day(d1).isoformat()))
                links.append((b, vendor, p, day(d1 + 1).isoformat(), ''))
            elif kind == 'before':  # a link that ended before the month: unmapped in it
                links.append((a, vendor, p, (first - datetime.timedelta(days=60)).isoformat(),
                              (first - datetime.timedelta(days=1)).isoformat()))
    with open(os.path.join(out, 'links.csv'), 'w', newline='') as f:
        w = csv.writer(f, lineterminator='\n')
        w.writerow(['alias', 'vendor', 'partner_account_id', 'from', 'to'])
        w.writerows(links)

    # Rates for every pair the month may need: exact decimals of many digits.
    with open(os.path.join(out, 'rates.csv'), 'w', newline='') as f:
        f.write('month,from,to,rate\n')
        base = {'USD': D(1), 'EUR': D('1.08'), 'GBP': D('1.27'), 'JPY': D('0.0067'), 'BHD': D('2.65')}
        for s in SOURCE_CURRENCIES:
            for t in MINOR:
                if s != t:
                    r = base[s] / base[t] * D(str(round(rnd.uniform(0.9, 1.1), 6)))
                    places = rnd.choice([4, 6, 10, 14, 18])
                    f.write('%s,%s,%s,%s\n' % (month, s, t, r.quantize(D(1).scaleb(-places))))

    # The AWS report: every line type the pricing rules tell apart, all with an invoice id (a final month).
    aws_types = [('Usage', 10), ('Usage-nolist', 3), ('DiscountedUsage', 2), ('SavingsPlanCoveredUsage', 2),
                 ('SavingsPlanNegation', 2), ('Fee', 2), ('Fee-nolist', 1), ('Fee-RI', 1), ('RIFee', 1),
                 ('SavingsPlanUpfrontFee', 1), ('SavingsPlanRecurringFee', 1), ('Tax', 2), ('Credit', 2),
                 ('Refund', 2), ('Refund-RI', 1), ('Refund-SP', 1), ('EdpDiscount', 1), ('PrivateRateDiscount', 1),
                 ('BundledDiscount', 1), ('TieredDiscount', 1), ('SppDiscount', 1), ('DistributorDiscount', 1),
                 ('Discount', 1), ('VolumeAdjustment', 1)]
    kinds = [k for k, n in aws_types for _ in range(n)]
    rows = []
    n = 0
    halves = ['0.005', '-0.005', '0.0025', '0.015', '-0.01', '0.0050', '0.001', '0.0075']
    for p in aws_ids:
        cur = rnd.choice(['USD', 'USD', 'EUR'])
        if tiny and p == aws_ids[1]:
            for _ in range(rnd.randint(1, 4)):
                n += 1
                v = rnd.choice(halves)
                rows.append(['L%d' % n, 'INV-%s' % month, '%sT00:00:00Z' % first.isoformat(), p, 'Usage',
                             '%sT00:00:00Z' % day(rnd.randint(1, last)).isoformat(), 'AmazonEC2', 'USD', v,
                             'Amazon Elastic Compute Cloud', 'us-east-1', v, '', ''])
            continue
        for _ in range(rnd.randint(15, 40)):
            n += 1
            kind = rnd.choice(kinds)
            typ = kind.split('-')[0]
            d = rnd.randint(1, last)
            billed = amount(rnd)
            listed = amount(rnd, -20, 500)
            ri = sp = ''
            if kind.endswith('nolist') or typ in ('Tax',) or rnd.random() < 0.1:
                listed = ''
            if typ in ('Credit', 'Refund') or typ.endswith('Discount'):
                billed = '-' + billed.lstrip('-') if D(billed) != 0 else billed
            if kind == 'Fee-RI' or kind == 'Refund-RI' or (typ == 'RIFee' and rnd.random() < 0.5):
                ri = 'arn:aws:ec2:us-east-1:%s:reserved-instances/r-%d' % (p, n)
            if kind == 'Refund-SP':
                sp = 'arn:aws:savingsplans::%s:savingsplan/sp-%d' % (p, n)
            service = rnd.choice(['Amazon Elastic Compute Cloud', 'Amazon Simple Storage Service', 'AWS Support'])
            if typ == 'Credit' and rnd.random() < 0.3:
                sp = 'arn:aws:savingsplans::%s:savingsplan/sp-%d' % (p, n)
            rows.append(['L%d' % n, 'INV-%s' % month, '%sT00:00:00Z' % first.isoformat(), p, typ,
                         '%sT%02d:00:00Z' % (day(d).isoformat(), rnd.randint(0, 23)), 'AmazonEC2', cur, billed,
                         service, rnd.choice(['us-east-1', 'eu-west-1', '']), listed, ri, sp])
    with open(os.path.join(out, 'aws.csv'), 'w', newline='') as f:
        w = csv.writer(f, lineterminator='\n')
        w.writerow(AWS_HEADER)
        w.writerows(rows)

    # The Azure export: charge types and pricing models, marketplace lines, subscriptions billed in EUR.
    az_kinds = [('Usage', 'OnDemand', 10), ('Usage', 'Spot', 2), ('Usage', 'Reservation', 2),
                ('Usage', 'SavingsPlan', 1), ('UnusedReservation', 'Reservation', 1),
                ('UnusedSavingsPlan', 'SavingsPlan', 1), ('Purchase', 'OnDemand', 2),
                ('Purchase', 'Reservation', 1), ('Purchase', 'SavingsPlan', 1), ('Refund', 'OnDemand', 1),
                ('Refund', 'Reservation', 1), ('Credit', 'OnDemand', 1), ('Tax', 'OnDemand', 1),
                ('RoundingAdjustment', 'OnDemand', 1), ('Cancel', 'OnDemand', 1), ('Renew', 'OnDemand', 1),
                ('ServiceCredit', 'OnDemand', 1)]
    kinds = [(c, pm) for c, pm, k in az_kinds for _ in range(k)]
    # The same types as they may be written: other cases, the other spellings of the models, none.
    spelled = {'Reservation': ['Reservation', 'Reservations', 'reservation'],
               'SavingsPlan': ['SavingsPlan', 'Savings Plan', 'savingsplan'], 'OnDemand': ['OnDemand', 'OnDemand', '', 'On Demand', 'ondemand', 'On-Demand']}
    rows = []
    for i, p in enumerate(az_ids):
        cur = rnd.choice(SOURCE_CURRENCIES)
        if tiny and i == 1:
            for _ in range(rnd.randint(1, 4)):
                v = rnd.choice(halves)
                rows.append([p, 'half cents', day(rnd.randint(1, last)).strftime('%m/%d/%Y'),
                             first.strftime('%m/%d/%Y'), 'Usage', 'OnDemand', 'Azure', 'USD', v, v, '1',
                             'Storage', 'eastus'])
            continue
        for _ in range(rnd.randint(15, 40)):
            ct, pm = rnd.choice(kinds)
            pm = rnd.choice(spelled.get(pm, [pm]))
            ct = rnd.choice([ct, ct, ct, ct.lower(), ct.upper()])
            # Azure usage may come late, billed in the month after it (an AWS line's usage is in its month).
            d = rnd.randint(1, last) if rnd.random() < 0.97 else rnd.randint(-3, 0)
            billed = amount(rnd)
            publisher = rnd.choice(['Azure', 'Azure', 'Azure', 'Marketplace'])
            price = amount(rnd, 0, 3, False)
            qty = amount(rnd, 0, 200, False)
            r = rnd.random()
            if r < 0.1:
                price = ''
            elif r < 0.3 or pm in ('Reservation', 'SavingsPlan') and r < 0.8:
                price = '0'
            if ct in ('Refund', 'Credit', 'Cancel'):
                billed = '-' + billed.lstrip('-') if D(billed) != 0 else billed
            date = day(d).strftime(rnd.choice(['%m/%d/%Y', '%Y-%m-%d', '%-m/%-d/%Y']))
            if 1 < d < last and rnd.random() < 0.2:  # a time and a zone: the UTC day, within the month
                date = day(d).strftime('%Y-%m-%d') + rnd.choice(['T23:30:00-02:00', 'T00:30:00+05:30', ' 12:00',
                                                                 'T06:00:00Z', 'T23:59:59.5+00:00'])
            period = first.strftime('%m/%d/%Y') if rnd.random() < 0.9 or d < 1 else ''
            rows.append([p, 'sub %d of %d' % (i, seed), date, period, ct, pm, publisher, cur,
                         billed, price, qty, rnd.choice(['Virtual Machines', 'Storage', '']),
                         rnd.choice(['westeurope', 'eastus', ''])])
    with open(os.path.join(out, 'azure.csv'), 'w', newline='') as f:
        w = csv.writer(f, lineterminator='\n')
        w.writerow(AZ_HEADER)
        w.writerows(rows)
    with open(os.path.join(out, 'month'), 'w') as f:
        f.write(month + '\n')
    gen_pc(seed, out, first, last, linkable)
    gen_prices(seed, out, first, last, aws_ids, az_ids, tiny)
    gen_imports(seed, out, aws_ids, az_ids, tiny)
    gen_terms(seed, out, tiny)
    for name in ('aws.csv', 'aws-b.csv', 'aws-old.csv'):
        to_cur2(seed, os.path.join(out, name))


def cur2_of(seed):
    """Whether the seed's AWS reports are CUR 2.0 (about 1 in 3), and whether they leave the pricing columns
    out (half of those)."""
    rnd = random.Random('cur2 %d' % seed)
    cur2 = rnd.random() < 1 / 3
    return cur2, cur2 and rnd.random() < 0.5


def to_cur2(seed, path):
    """PATH, a legacy report, written again as CUR 2.0 (CSV) when the seed's reports are: the same lines, under
    snake_case names in CUR 2.0's order; the product name in its product map; the tags in resource_tags (a JSON
    map, empty or {} when a line has none); the account's name; and when the seed says so without the pricing
    columns (pricing_public_on_demand_cost, pricing_unit and the others), whose lines then have no list price
    (man/pb-ingest.1). Drawn from a random generator of its own."""
    cur2, bare = cur2_of(seed)
    if not cur2 or not os.path.exists(path):
        return
    rnd = random.Random('cur2 %d %s' % (seed, os.path.basename(path)))
    with open(path, newline='') as f:
        rows = list(csv.reader(f))
    head, rows = rows[0], rows[1:]
    names = [CUR2_NAMES[h] for h in head]
    extra = ['line_item_usage_account_name', 'resource_tags', 'pricing_term', 'pricing_public_on_demand_rate',
             'pricing_currency']
    out = []
    for r in rows:
        line = dict(zip(names, r))
        line['product'] = json.dumps({'product_name': line['product'], 'servicecode': 'AmazonEC2'})
        line['line_item_usage_account_name'] = 'payer %s' % line['line_item_usage_account_id'][-4:]
        tags = {}
        for key, values in (('user_env', ['prod', 'test']), ('user_cost_center', ['cc-1', 'cc,2', 'cc "3"']),
                            ('aws_created_by', ['IAMUser:x:y'])):
            if rnd.random() < 0.4:
                tags[key] = rnd.choice(values)
        line['resource_tags'] = json.dumps(tags) if tags else rnd.choice(['', '{}'])
        line['pricing_term'] = 'OnDemand' if line.get('pricing_public_on_demand_cost') else ''
        line['pricing_public_on_demand_rate'] = line.get('pricing_public_on_demand_cost', '')
        line['pricing_currency'] = line['line_item_currency_code']
        out.append(line)
    cols = sorted(set(names + extra))
    if bare:
        cols = [c for c in cols if not c.startswith('pricing_')]
    with open(path, 'w', newline='') as f:
        w = csv.writer(f, lineterminator='\n')
        w.writerow(cols)
        w.writerows([line.get(c, '') for c in cols] for line in out)


def aws_name(header, legacy):
    """A column's name in a report of header: legacy, or CUR 2.0's."""
    return legacy if any('/' in h for h in header) else CUR2_NAMES[legacy]


def aws_line(row):
    """A report's line (a csv.DictReader row, legacy or CUR 2.0) under the legacy names; a column the report
    leaves out is absent."""
    if any('/' in k for k in row):
        return row
    return {LEGACY_NAMES[k]: v for k, v in row.items() if k in LEGACY_NAMES}


def gen_imports(seed, out, aws_ids, az_ids, tiny):
    """For some seeds, two imports of each vendor in the month: DIR/aws-b.csv and DIR/azure-b.csv, a second
    source's files (another payer's report, another export) holding lines of DIR/aws.csv and DIR/azure.csv moved
    there (a partner account's, or those from a day on: each import's lines are billed); and DIR/aws-old.csv and
    DIR/azure-old.csv, an older delivery of each first source (lines missing, amounts changed, lines the newer no
    longer has), stored before the newer one replaces it: the older never counts. Drawn from a random generator
    of its own."""
    rnd = random.Random('imports %d' % seed)
    if seed % 3 == 1:
        return
    month = open(os.path.join(out, 'month')).read().strip()
    also = random.Random('imports priced %d' % seed)
    for name, account, cost in (('aws', 3, 8), ('azure', 0, 8)):
        with open(os.path.join(out, name + '.csv'), newline='') as f:
            rows = list(csv.reader(f))
        head, rows = rows[0], rows[1:]
        # Each partner account stays, moves to the second source, or moves there from a day of the month on (its
        # days in either apart: pb-invoice refuses days two imports both hold).
        priced = {r[account] for r in rows if len(r) > len(AWS_HEADER if name == 'aws' else AZ_HEADER) and r[-3]}
        split = {}
        for i, p in enumerate(aws_ids if name == 'aws' else az_ids):
            if p not in priced and not (tiny and i == 1):
                split[p] = rnd.choice([None, None, '0000-00-00', '%s-%02d' % (month, rnd.randint(1, 28))])
            elif p in priced and not (tiny and i == 1):  # each import crosses the tiers from 0
                split[p] = also.choice([None, None, '0000-00-00', '%s-%02d' % (month, also.randint(1, 28))])
        keep, moved = [], []
        for r in rows:
            d = r[5][:10] if name == 'aws' else utc_day(r[2])
            (moved if split.get(r[account]) is not None and d > split[r[account]] else keep).append(r)
        if not keep:
            keep, moved = moved, []
        old = []
        for r in keep:
            if rnd.random() < 0.15:
                continue
            r = list(r)
            if rnd.random() < 0.2:
                r[cost] = amount(rnd)
            old.append(r)
        for _ in range(rnd.randint(1, 3)):
            r = list(rnd.choice(keep))
            r[account] = rnd.choice(aws_ids if name == 'aws' else az_ids)
            r[cost] = amount(rnd, 1, 900, False)
            old.insert(rnd.randrange(len(old) + 1), r)
        for suffix, lines in (('', keep), ('-b', moved), ('-old', old)):
            if not lines:
                continue
            with open(os.path.join(out, name + suffix + '.csv'), 'w', newline='') as f:
                csv.writer(f, lineterminator='\n').writerows([head] + lines)


def gen_terms(seed, out, tiny):
    """DIR/eligibility.conf, the countries each vendor is offered in for the seed (more than config's, so that
    the terms an account accepted, or not, for its country decide), and now and then an account made a customer
    of the reseller (kind child in DIR/accounts.txt) after its links. Drawn from a random generator of its own."""
    rnd = random.Random('terms %d' % seed)
    with open(os.path.join(out, 'accounts.txt')) as f:
        accounts = [line.split() for line in f]
    for i, a in enumerate(accounts):
        if a[4] == 'customer' and not (tiny and i == len(accounts) - 1) and rnd.random() < 0.12:
            a[4] = 'child'
    with open(os.path.join(out, 'accounts.txt'), 'w') as f:
        for a in accounts:
            f.write('%s %s %s %s %s\n' % tuple(a))
    with open(os.path.join(out, 'eligibility.conf'), 'w') as f:
        f.write('# the seed\'s\naws = %s\nazure = %s\n' % (
            ' '.join(['US'] + [c for c in ('GB', 'DE') if rnd.random() < 0.5]),
            ' '.join(['US', 'GB'] + [c for c in ('DE',) if rnd.random() < 0.5])))


PC_TYPES = ['Usage'] * 8 + ['usage', 'new', 'renew', 'cycleCharge', 'cancel', 'Credit', 'Refund', 'Tax',
                            'RoundingAdjustment', 'activationFee']


def gen_pc(seed, out, first, last, linkable):
    """DIR/pc.json: a Partner Center reconciliation file of the month's billed usage (JSON lines), a CSP
    customer's usage with its list price (UnitPrice x Quantity x PCToBCExchangeRate) and billed price
    (BillingPreTaxTotal, after the partner earned credit), purchases, credits and tax, lines billed in USD and in
    EUR, numbers as JSON numbers or strings; DIR/pc-unbilled.json, the same month's unbilled usage stored before
    it; the customer's tenant linked (as an Azure partner account) in DIR/links.csv. Drawn from a random
    generator of its own, so that the other exports of a seed stay what they were."""
    rnd = random.Random('pc %d' % seed)

    def day(d):
        return first + datetime.timedelta(days=d - 1)

    tenant = '%08x-%04x-4%03x-a%03x-%012x' % (seed, 0xcc, rnd.randrange(4096), rnd.randrange(4096),
                                             rnd.randrange(16 ** 12))
    kind = rnd.choice(['whole', 'whole', 'from', 'moved'])
    a, b = rnd.choice(linkable), rnd.choice(linkable)
    d1 = rnd.randint(2, last - 1)
    with open(os.path.join(out, 'links.csv'), 'a', newline='') as f:
        w = csv.writer(f, lineterminator='\n')
        if kind == 'whole':
            w.writerow((a, 'azure', tenant, (first - datetime.timedelta(days=40)).isoformat(), ''))
        elif kind == 'from':
            w.writerow((a, 'azure', tenant, day(d1).isoformat(), ''))
        else:
            w.writerow((a, 'azure', tenant, first.isoformat(), day(d1).isoformat()))
            w.writerow((b, 'azure', tenant, day(d1 + 1).isoformat(), ''))

    def num(v):  # a JSON number as its exact text, or a string holding one
        return '"%s"' % v if rnd.random() < 0.2 else v

    lines = []
    written = rnd.choice([tenant, tenant, tenant.upper()])
    for _ in range(rnd.randint(6, 16)):
        ct = rnd.choice(PC_TYPES)
        cur = rnd.choice(['USD', 'USD', 'EUR'])
        unit = amount(rnd, 0, 3, False)
        qty = amount(rnd, 0, 200, False)
        pec = rnd.choice(['0', '15', '15', '0'])
        if cur == 'USD':
            rate = rnd.choice(['1', '1', None, '0'])
            pricing = 'USD'
        else:
            rate = rnd.choice(['0.9%04d' % rnd.randrange(10000), '0.92', None, '0', '-0.5'])
            pricing = rnd.choice(['USD', 'USD', 'EUR', ''])
        r = D(rate) if rate is not None else D(1)
        billed = D(unit) * (1 - D(pec) / 100) * D(qty) * r
        billed = str(billed.quantize(D(1).scaleb(-rnd.choice([2, 6, 13, 18, 22])),
                                     rounding=decimal.ROUND_HALF_EVEN))
        if ct.lower() in ('cancel', 'credit', 'refund') or rnd.random() < 0.05:
            billed = '-' + billed.lstrip('-') if D(billed) != 0 else billed
        if ct == 'Tax' or rnd.random() < 0.1:
            billed = amount(rnd)
        d = rnd.randint(1, last)
        when = day(d).isoformat() + rnd.choice(['T00:00:00Z', 'T00:00:00Z', 'T12:00:00', 'T23:30:00-02:00',
                                                'T00:30:00+05:30'] if 1 < d < last else ['T00:00:00Z'])
        m = ['"CustomerId":"%s"' % written, '"CustomerName":"Oracle tenant %d"' % seed]
        u = rnd.random()
        if u < 0.8:
            m.append('"UsageDate":"%s"' % when)
            m.append('"ChargeStartDate":"%sT00:00:00Z"' % first.isoformat())
        else:  # UsageDate absent, null or empty: the charge's start
            m.append(rnd.choice(['"UsageDate":null', '"UsageDate":""', '"InvoiceNumber":""']))
            m.append('"ChargeStartDate":"%s"' % when)
        m += ['"MeterCategory":"%s"' % rnd.choice(['Virtual Machines', 'Storage', '']),
              '"MeterRegion":"eastus"', '"ChargeType":"%s"' % ct, '"UnitPrice":%s' % num(unit),
              '"Quantity":%s' % num(qty), '"BillingPreTaxTotal":%s' % num(billed),
              '"BillingCurrency":"%s"' % cur, '"PartnerEarnedCreditPercentage":%s' % pec,
              '"Tags":{"env":"prod"}']
        if pricing:
            m.append('"PricingCurrency":"%s"' % pricing)
        if rate is not None:
            m.append('"PCToBCExchangeRate":%s' % num(rate))
        elif rnd.random() < 0.3:
            m.append(rnd.choice(['"PCToBCExchangeRate":null', '"PCToBCExchangeRate":""']))
        rnd.shuffle(m)
        lines.append('{%s}\n' % ','.join(m))
    with open(os.path.join(out, 'pc.json'), 'w') as f:
        f.writelines(lines)
    # The month's unbilled usage as a nightly run stored it before the invoice: some of those lines, and lines
    # the invoice no longer has. The billed file replaces it (the same source): only pc.json is billed.
    extra = lines[:]
    rnd.shuffle(extra)
    with open(os.path.join(out, 'pc-unbilled.json'), 'w') as f:
        f.writelines(extra[:rnd.randint(1, len(extra))])
        f.write(lines[0].replace('Oracle tenant', 'Unbilled tenant'))
    # For some seeds the sources are those the Partner Center export names: the nightly job stores the month's
    # unbilled usage of each currency under partner-center:unbilled:CUR (DIR/pc-unbilled-CUR.json, its lines
    # in that currency), and the month close the invoice's billed usage under partner-center:billed:INVOICE
    # (DIR/pc-invoice holds the id), which supersedes the unbilled usage in each of its currencies.
    close = random.Random('pc sources %d' % seed)
    if close.random() < 0.5:
        with open(os.path.join(out, 'pc-unbilled.json')) as f:
            unbilled = f.readlines()
        for cur in SOURCE_CURRENCIES:
            mine = [line for line in unbilled if json.loads(line)['BillingCurrency'] == cur]
            if mine:
                with open(os.path.join(out, 'pc-unbilled-%s.json' % cur), 'w') as f:
                    f.writelines(mine)
        with open(os.path.join(out, 'pc-invoice'), 'w') as f:
            f.write('G%09d\n' % close.randrange(10 ** 9))


def gen_prices(seed, out, first, last, aws_ids, az_ids, tiny):
    """For some seeds, the price lists pb-prices loads before the exports are stored (DIR/prices.txt: FORMAT
    SOURCE FILE a line, in the order loaded, the newest last), and usage lines of the exports without a list
    price that the lists price: an Azure price sheet (a flat meter, one in graduated tiers, one whose price
    changes mid-month, one per "1 GB" in tiers), then a newer Retail Prices page (the flat meter's price from a day
    of the month, the "1 GB" meter per "10 GB" in tiers of tens from another, a meter per "100 Hours"); an AWS offer
    file (a flat SKU, one in tiers), then a newer one changing the flat SKU's price from a day of the month. Usage of
    a meter no list prices, and lines in a currency no list prices in, get none. Drawn from a random generator
    of its own, so that the other exports of a seed stay what they were."""
    rnd = random.Random('prices %d' % seed)
    if seed % 4 == 3:
        return
    os.makedirs(os.path.join(out, 'prices'), exist_ok=True)

    def day(d):
        return first + datetime.timedelta(days=d - 1)

    def price(lo, hi):
        places = rnd.choice([2, 4, 6, 10, 16, 23])
        return str(D(rnd.randint(lo * 10 ** places, hi * 10 ** places)).scaleb(-places))

    def us(d):  # a price sheet's date, ISO or US
        return d.isoformat() if rnd.random() < 0.5 else d.strftime('%m/%d/%Y')

    early = first - datetime.timedelta(days=40)
    meter = ['%08x-0000-4000-8000-%012x' % (seed, k) for k in range(7)]
    ma, mb, mc, md, me, mf = meter[1:]
    x, y, z = rnd.randint(2, last), rnd.randint(2, last - 1), rnd.randint(2, last)
    t1, t2 = rnd.randint(20, 150), rnd.randint(160, 400)
    d1 = rnd.randint(50, 200)
    sheet = [['meterId', 'meterName', 'meterCategory', 'meterRegion', 'unitOfMeasure', 'tierMinimumUnits',
              'unitPrice', 'marketPrice', 'currency', 'effectiveStartDate', 'effectiveEndDate', 'priceType']]

    def row(m, unit, tier, p, start, end=''):
        sheet.append([m, 'meter', 'Virtual Machines', 'eastus', unit, tier, str(D(p) * D('0.8')), p, 'USD',
                      us(start), us(end) if end else '', 'Consumption'])
    row(ma, '1 Hour', '0', price(0, 3), early)
    row(mb, '1 GB', '0', rnd.choice(['0', price(0, 2)]), early)
    row(mb, '1 GB', str(t1), price(0, 2), early)
    row(mb, '1 GB', '%d.0' % t2, price(0, 1), early)
    row(mc, '1 Hour', '0', price(0, 5), early, day(y))
    row(mc, '1 Hour', '0', price(0, 5), day(y + 1))
    row(md, '1 GB', '0', price(0, 2), early)
    row(md, '1 GB', str(d1), price(0, 1), early)
    sheet.append([me, 'reserved', 'Virtual Machines', 'eastus', '1 Hour', '0', '50', '60', 'USD', us(early), '',
                  'ReservedInstance'])  # not a list price: the meter has none
    sheet[1:] = rnd.sample(sheet[1:], len(sheet) - 1)
    # The flat meter in EUR too, for some seeds: its EUR lines get that price all month, the newer load giving
    # the meter none in EUR.
    euro = random.Random('prices eur %d' % seed)
    eur = euro.random() < 0.6
    if eur:
        p = str(D(euro.randint(1, 10 ** 7)).scaleb(-euro.choice([3, 7])))
        sheet.insert(euro.randint(1, len(sheet)), [ma, 'meter', 'Virtual Machines', 'eastus', '1 Hour', '0', p, p,
                                                   'EUR', us(early), '', 'Consumption'])
    with open(os.path.join(out, 'prices', 'sheet.csv'), 'w', newline='') as f:
        csv.writer(f, lineterminator='\n').writerows(sheet)

    items = []

    def item(m, unit, tier, p, start):
        items.append('{"currencyCode": "USD", "tierMinimumUnits": %s, "retailPrice": %s, "unitPrice": %s, '
                     '"armRegionName": "eastus", "location": "US East", "effectiveStartDate": "%sT00:00:00Z", '
                     '"meterId": "%s", "meterName": "meter", "productName": "Oracle", "skuName": "Standard", '
                     '"serviceName": "Virtual Machines", "unitOfMeasure": "%s", "type": "Consumption", '
                     '"isPrimaryMeterRegion": true}' % (tier, p, p, start.isoformat(), m.upper(), unit))
    item(ma, '1 Hour', '0.0', price(0, 3), day(x))
    item(md, '10 GB', '0.0', price(0, 20), day(z))
    item(md, '10 GB', '%d.0' % (d1 // 10), price(0, 10), day(z))
    item(mf, '100 Hours', '0.0', price(1, 90), early)
    rnd.shuffle(items)
    # A meter whose first price ends at midnight UTC (the first day after it) and the next starts that day.
    extra = random.Random('prices alt %d' % seed)
    mg, w = '%08x-0000-4000-8000-%012x' % (seed, 7), extra.randint(2, last)
    for p, start, end in ((str(D(extra.randint(1, 10 ** 6)).scaleb(-5)), early, day(w)),
                          (str(D(extra.randint(1, 10 ** 6)).scaleb(-5)), day(w), None)):
        items.insert(extra.randint(0, len(items)), (
            '{"currencyCode": "USD", "tierMinimumUnits": 0.0, "retailPrice": %s, "unitPrice": %s, '
            '"armRegionName": "eastus", "location": "US East", "effectiveStartDate": "%sT00:00:00Z", %s'
            '"meterId": "%s", "unitOfMeasure": "1 Hour", "type": "Consumption"}'
            % (p, p, start.isoformat(), '"effectiveEndDate": "%sT00:00:00Z", ' % end.isoformat() if end else '',
               mg.upper())))
    with open(os.path.join(out, 'prices', 'retail.json'), 'w') as f:
        f.write('{"BillingCurrency": "USD", "CustomerEntityId": "Default", "CustomerEntityType": "Retail", '
                '"Items": [\n%s\n], "NextPageLink": null, "Count": %d}\n' % (',\n'.join(items), len(items)))

    meta = ('"FormatVersion","v1.0"\n"Disclaimer","For the oracle."\n"Publication Date","%sT00:00:00Z"\n'
            '"Version","1"\n"OfferCode","AmazonEC2"\n' % early.isoformat())
    head = ['SKU', 'OfferTermCode', 'RateCode', 'TermType', 'PriceDescription', 'EffectiveDate', 'StartingRange',
            'EndingRange', 'Unit', 'PricePerUnit', 'Currency', 'usageType', 'operation', 'Region Code']
    sa, sb, sc, se, sf = ('ORA%dSKU%c' % (seed, c) for c in 'ABCEF')
    u1, u2 = rnd.randint(10, 150), rnd.randint(160, 500)
    ax = rnd.randint(2, last)
    for name, rows in (('offer1.csv', [[sa, 'T', 'R1', 'OnDemand', '', early.isoformat(), '0', 'Inf', 'Hrs',
                                        price(0, 2), 'USD', 'BoxUsage%d' % seed, 'RunInstances', 'us-east-1'],
                                       [sa, 'T', 'R2', 'Reserved', '', early.isoformat(), '0', 'Inf', 'Hrs',
                                        '0.001', 'USD', 'BoxUsage%d' % seed, 'RunInstances', 'us-east-1'],
                                       [sb, 'T', 'R3', 'OnDemand', '', early.isoformat(), '0', str(u1), 'GB',
                                        price(0, 1), 'USD', 'DataTransfer', '', 'us-east-1'],
                                       [sb, 'T', 'R4', 'OnDemand', '', early.isoformat(), str(u1), str(u2), 'GB',
                                        price(0, 1), 'USD', 'DataTransfer', '', 'us-east-1'],
                                       [sb, 'T', 'R5', 'OnDemand', '', early.isoformat(), str(u2), 'Inf', 'GB',
                                        price(0, 1), 'USD', 'DataTransfer', '', 'us-east-1']]),
                       ('offer2.csv', [[sa, 'T', 'R6', 'OnDemand', '', day(ax).isoformat(), '0', 'Inf', 'Hrs',
                                        price(0, 2), 'USD', 'BoxUsage%d' % seed, 'RunInstances', 'us-east-1']])):
        if name == 'offer1.csv':  # two SKUs of one usage type, operation and region, at different prices
            rows += [[k, 'T', 'R7', 'OnDemand', '', early.isoformat(), '0', 'Inf', 'Hrs',
                      str(D(extra.randint(1, 10 ** 6)).scaleb(-6)), 'USD', 'Shared%d' % seed, 'RunInstances',
                      'us-east-1'] for k in (se, sf)]
        with open(os.path.join(out, 'prices', name), 'w', newline='') as f:
            f.write(meta)
            csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator='\n').writerows([head] + rows)
    with open(os.path.join(out, 'prices.txt'), 'w') as f:
        for fmt, src, name in (('azure-pricesheet', 'sheet', 'sheet.csv'), ('aws-offer', 'offer1', 'offer1.csv'),
                               ('azure-retail', 'retail', 'retail.json'), ('aws-offer', 'offer2', 'offer2.csv')):
            f.write('%s oracle-%d-%s %s\n' % (fmt, seed, src, os.path.abspath(os.path.join(out, 'prices', name))))

    # The usage lines without a list price, in date order (tiers are crossed in the order the lines are read).
    def lines(n):
        return sorted(rnd.randint(1, last) for _ in range(n))

    with open(os.path.join(out, 'azure.csv'), newline='') as f:
        rows = list(csv.reader(f))
    rows[0] += ['MeterId', 'UnitOfMeasure', 'MeterRegion']
    for r in rows[1:]:
        r += ['', '', '']
    subs = [p for i, p in enumerate(az_ids) if not (tiny and i == 1)]
    for m, units in ((ma, ['1 Hour']), (mb, ['1 GB']), (mc, ['1 Hour', '100 Hours']), (md, ['1 GB', '10 GB']),
                     (me, ['1 Hour']), (mf, ['1 Hour', '100 Hours']), (meter[0], ['1 Hour'])):
        for p in rnd.sample(subs, min(len(subs), rnd.randint(1, 2))):
            for d in lines(rnd.randint(1, 6)):
                pm = rnd.choice(['OnDemand', 'Reservation', 'SavingsPlan', 'Spot'])
                pay = '0' if pm in ('Reservation', 'SavingsPlan') and rnd.random() < 0.7 else ''
                # A line in another currency than the prices' gets none (lines of tiered meters are in theirs).
                cur = 'USD' if m in (mb, md) or rnd.random() < 0.85 else 'EUR'
                rows.append([p, 'priced', day(d).isoformat(), first.strftime('%m/%d/%Y'), 'Usage', pm, 'Azure', cur,
                             amount(rnd), pay, amount(rnd, 0, 120, False), 'Virtual Machines', 'eastus',
                             rnd.choice([m, m.upper()]), rnd.choice(units), 'eastus'])
    # Lines of the tiered meters in another currency, anywhere in the file: priced by no list, they count
    # towards no tier. Late usage of the month before, billed in this one: priced at that day's prices.
    other = random.Random('prices other %d' % seed)
    for m in (mb, md):
        for _ in range(other.randint(0, 2)):
            rows.insert(other.randint(1, len(rows)), [
                other.choice(subs), 'other', day(other.randint(1, last)).isoformat(), first.strftime('%m/%d/%Y'),
                'Usage', 'OnDemand', 'Azure', 'EUR', amount(other), '', amount(other, 0, 300, False),
                'Virtual Machines', 'eastus', m, '1 GB', 'eastus'])
    for d in [w, w - 1] + [extra.randint(1, last) for _ in range(extra.randint(0, 2))]:
        rows.insert(extra.randint(1, len(rows)), [
            extra.choice(subs), 'ended', day(d).isoformat(), first.strftime('%m/%d/%Y'),
            'Usage', 'OnDemand', 'Azure', 'USD', amount(extra), '', amount(extra, 0, 300, False),
            'Virtual Machines', 'eastus', mg, '1 Hour', 'eastus'])
    for d in [euro.randint(x, last) for _ in range(euro.randint(1, 2) if eur else 0)]:
        rows.insert(euro.randint(1, len(rows)), [
            euro.choice(subs), 'euro', day(d).isoformat(), first.strftime('%m/%d/%Y'), 'Usage', 'OnDemand', 'Azure',
            'EUR', amount(euro), '', amount(euro, 0, 300, False), 'Virtual Machines', 'eastus', ma, '1 Hour',
            'eastus'])
    for m, unit in ((ma, '1 Hour'), (mb, '1 GB'), (mc, '1 Hour')):
        for _ in range(other.randint(0, 1)):
            rows.insert(other.randint(1, len(rows)), [
                other.choice(subs), 'late', day(other.randint(-3, 0)).strftime('%m/%d/%Y'),
                first.strftime('%m/%d/%Y'), 'Usage', 'OnDemand', 'Azure', 'USD', amount(other), '',
                amount(other, 0, 300, False), 'Virtual Machines', 'eastus', m, unit, 'eastus'])
    with open(os.path.join(out, 'azure.csv'), 'w', newline='') as f:
        csv.writer(f, lineterminator='\n').writerows(rows)

    with open(os.path.join(out, 'aws.csv'), newline='') as f:
        rows = list(csv.reader(f))
    rows[0] += ['product/sku', 'lineItem/UsageAmount', 'pricing/unit', 'lineItem/UsageType', 'lineItem/Operation']
    for r in rows[1:]:
        r += ['', '', '', '', '']
    accts = [p for i, p in enumerate(aws_ids) if not (tiny and i == 1)]
    month = first.strftime('%Y-%m')
    n = 0
    bare = random.Random('prices unit %d' % seed)  # now and then a line without its pricing unit
    for s, unit in ((sa, 'Hrs'), (sb, 'GB'), (sc, 'Hrs')):
        for p in rnd.sample(accts, min(len(accts), rnd.randint(1, 2))):
            for d in lines(rnd.randint(1, 6)):
                n += 1
                cur = 'USD' if s == sb or rnd.random() < 0.85 else 'EUR'
                rows.append(['P%d' % n, 'INV-%s' % month, '%sT00:00:00Z' % first.isoformat(), p,
                             rnd.choice(['Usage', 'Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage']),
                             '%sT%02d:00:00Z' % (day(d).isoformat(), rnd.randint(0, 23)), 'AmazonEC2', cur,
                             amount(rnd), 'Amazon Elastic Compute Cloud', 'us-east-1', '', '', '', s,
                             amount(rnd, 0, 200, False), unit if bare.random() < 0.9 else '', '', ''])
    for _ in range(other.randint(0, 2)):
        rows.insert(other.randint(1, len(rows)), [
            'Q%d' % other.randrange(10 ** 6), 'INV-%s' % month, '%sT00:00:00Z' % first.isoformat(),
            other.choice(accts), 'Usage', '%sT05:00:00Z' % day(other.randint(1, last)).isoformat(), 'AmazonEC2', 'EUR',
            amount(other), 'Amazon Elastic Compute Cloud', 'us-east-1', '', '', '', sb, amount(other, 0, 300, False),
            'GB', '', ''])
    # Lines without a SKU: found by usage type, operation and region, where one SKU has them.
    for usage in ['BoxUsage%d' % seed] * extra.randint(1, 3) + ['Shared%d' % seed] * extra.randint(0, 2):
        rows.insert(extra.randint(1, len(rows)), [
            'S%d' % extra.randrange(10 ** 6), 'INV-%s' % month, '%sT00:00:00Z' % first.isoformat(),
            extra.choice(accts), 'Usage', '%sT07:00:00Z' % day(extra.randint(1, last)).isoformat(), 'AmazonEC2',
            'USD', amount(extra), 'Amazon Elastic Compute Cloud', 'us-east-1', '', '', '', '',
            amount(extra, 0, 300, False), 'Hrs', usage, 'RunInstances'])
    with open(os.path.join(out, 'aws.csv'), 'w', newline='') as f:
        csv.writer(f, lineterminator='\n').writerows(rows)


# ---- the oracle ---------------------------------------------------------------------------------------------

def read_rules(path):
    """config/pricing.conf: VENDOR CATEGORY CHARGE_TYPE PRICE [REASON], '*' wildcards, any case, a pattern
    with blanks in double quotes; the first rule that matches decides."""
    rules = []
    with open(path) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            words, rest = [], line
            while rest:
                rest = rest.lstrip()
                if rest.startswith('"'):
                    end = rest.index('"', 1)
                    words.append(rest[1:end])
                    rest = rest[end + 1:]
                else:
                    w = rest.split(None, 1)
                    words.append(w[0])
                    rest = w[1] if len(w) > 1 else ''
            rules.append(words)
    return rules


def price(rules, vendor, category, charge_type):
    for r in rules:
        if all(fnmatch.fnmatchcase(v.lower(), p.lower()) for v, p in
               ((vendor, r[0]), (category, r[1]), (charge_type, r[2]))):
            return r[3]
    raise SystemExit('no rule prices %s %s %s' % (vendor, category, charge_type))


def read_eligibility(path):
    allowed = {}
    with open(path) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if '=' in line:
                v, cc = line.split('=', 1)
                allowed[v.strip()] = set(cc.split())
    return allowed


AWS_CATEGORY = {'Usage': 'Usage', 'DiscountedUsage': 'Usage', 'SavingsPlanCoveredUsage': 'Usage',
                'SavingsPlanNegation': 'Usage', 'Fee': 'Purchase', 'RIFee': 'Purchase',
                'SavingsPlanUpfrontFee': 'Purchase', 'SavingsPlanRecurringFee': 'Purchase', 'Tax': 'Tax',
                'Credit': 'Credit', 'Refund': 'Credit', 'Discount': 'Credit', 'BundledDiscount': 'Credit',
                'EdpDiscount': 'Credit', 'PrivateRateDiscount': 'Credit', 'SppDiscount': 'Credit',
                'DistributorDiscount': 'Credit', 'TieredDiscount': 'Credit'}
AZURE_CATEGORY = {'usage': 'Usage', 'unusedreservation': 'Usage', 'unusedsavingsplan': 'Usage',
                  'purchase': 'Purchase', 'new': 'Purchase', 'renew': 'Purchase', 'cyclecharge': 'Purchase',
                  'refund': 'Credit', 'credit': 'Credit', 'cancel': 'Credit', 'tax': 'Tax',
                  'roundingadjustment': 'Adjustment'}
COMMITMENT_MODELS = ('reservation', 'reservations', 'savingsplan', 'savings plan')


def priced(rules, vendor, category, charge_type, listed, billed):
    """What the customer pays for a charge (None: excluded): list, else the billed cost when there is none."""
    how = price(rules, vendor, category, charge_type)
    if how == 'exclude':
        return None
    if how in ('list', 'list-or-billed'):
        return listed if listed is not None else billed
    if how == 'billed':
        return billed
    raise SystemExit('unknown price %s' % how)


def money(text):
    """An amount of an export: beyond 18 decimal places, rounded half-to-even (man/pb-ingest.1)."""
    return D(text).quantize(D(1).scaleb(-18), rounding=decimal.ROUND_HALF_EVEN)


def read_prices(folder):
    """The loads of DIR/prices.txt, oldest first: per vendor, a list of loads, each a list of (meter, unit,
    currency, tier minimum, price, first day, last day or None) read from the files as pb-prices(1) describes
    them (a price sheet's marketPrice and effective end day, a Retail Prices item's retailPrice, an offer file's
    OnDemand rows)."""
    loads = {'aws': [], 'azure': [], 'skus': {}}
    path = os.path.join(folder, 'prices.txt')
    if not os.path.exists(path):
        return loads

    def date(t):
        if '/' in t:
            mm, dd, yy = t.split('/')
            return '%s-%02d-%02d' % (yy, int(mm), int(dd))
        return t[:10]
    for line in open(path):
        fmt, _, name = line.split()
        prices = []
        if fmt == 'azure-pricesheet':
            with open(name, newline='') as f:
                for r in csv.DictReader(f):
                    if r['priceType'] == 'Consumption':
                        prices.append((r['meterId'].lower(), r['unitOfMeasure'], r['currency'],
                                       D(r['tierMinimumUnits']), D(r['marketPrice']), date(r['effectiveStartDate']),
                                       date(r['effectiveEndDate']) if r['effectiveEndDate'] else None))
            loads['azure'].append(prices)
        elif fmt == 'azure-retail':
            with open(name) as f:
                page = json.load(f, parse_float=D, parse_int=D)
            for i in page['Items']:
                if i['type'] == 'Consumption':
                    end = i.get('effectiveEndDate')  # midnight UTC: the first day after
                    end = (datetime.date.fromisoformat(end[:10]) - datetime.timedelta(days=1)).isoformat() \
                        if end else None
                    prices.append((i['meterId'].lower(), i['unitOfMeasure'], i['currencyCode'],
                                   D(i['tierMinimumUnits']), D(i['retailPrice']), i['effectiveStartDate'][:10], end))
            loads['azure'].append(prices)
        else:
            with open(name, newline='') as f:
                rows = list(csv.reader(f))[5:]
            head = rows[0]
            for r in rows[1:]:
                r = dict(zip(head, r))
                if r['TermType'] == 'OnDemand':
                    loads['skus'].setdefault((r['usageType'], r['operation'], r['Region Code']), set()).add(r['SKU'])
                    prices.append((r['SKU'], r['Unit'], r['Currency'], D(r['StartingRange']), D(r['PricePerUnit']),
                                   r['EffectiveDate'][:10], None))
            loads['aws'].append(prices)
    return loads


def unit_of(text):
    """A unit of measure as a count of its base unit (man/pb-ingest.1, Units): "100 Hours" is 100 of "hour"."""
    words = text.strip().split(None, 1)
    count, base = (D(words[0]), words[1] if len(words) > 1 else '') if words[0][0].isdigit() else (D(1), text)
    base = base.strip().lower()
    if base.endswith('s') and len(base) > 3:
        base = base[:-1]
    return count, base


class PriceLists:
    """What pb-ingest gives a usage line without a list price from the loads (man/pb-ingest.1, LIST PRICES): on
    the line's day the newest load with a price of its meter in force in its currency decides; graduated tiers
    over the partner account's quantity of the meter in the month, counted in the unit's base in the order the
    lines are read, to 18 places for a meter in tiers; each tier's part of the product rounded once, half-to-even,
    to 18 places."""

    def __init__(self, folder):
        self.loads = read_prices(folder)
        self.used = {}

    def cost(self, vendor, account, meter, unit, quantity, currency, day):
        if not meter or quantity in (None, ''):
            return None
        meter = meter.lower() if vendor == 'azure' else meter
        for load in reversed(self.loads[vendor]):
            tiers = [p for p in load if p[0] == meter and p[2] == currency and p[5] <= day
                     and (p[6] is None or day <= p[6])]
            if tiers:
                break
        else:
            return None
        count, base = unit_of(tiers[0][1])
        if unit is None:  # no unit of the line's to compare: its quantity counts the price's
            unit = tiers[0][1]
        if unit_of(unit)[1] != base:
            return None
        lcount = unit_of(unit)[0]
        tiers.sort(key=lambda p: p[3])
        q = D(quantity) * lcount
        if any(p[0] == meter and p[3] != 0 for load in self.loads[vendor] for p in load):
            # A meter in tiers counts the quantity kept to 18 places, as the month's total of it (man/pb-ingest.1).
            q = q.quantize(D(1).scaleb(-18), rounding=decimal.ROUND_HALF_EVEN)
        key = (vendor, account, meter, base)
        lo = self.used.get(key, D(0))
        hi = lo + q
        self.used[key] = hi
        total = D(0)
        for i, p in enumerate(tiers):
            a = p[3] * count
            b = tiers[i + 1][3] * count if i + 1 < len(tiers) else None
            part = min(hi, b) if b is not None else hi
            part -= max(lo, a)
            if part > 0:
                total += (p[4] * part / count).quantize(D(1).scaleb(-18), rounding=decimal.ROUND_HALF_EVEN)
        return total


def charges(folder, rules):
    """(vendor, partner account, usage day, currency, priced amount) of every charge the customer pays."""
    lists = PriceLists(folder)
    for name in ('aws.csv', 'aws-b.csv'):  # each current import of the month, of either source
        if os.path.exists(os.path.join(folder, name)):
            lists.used = {}  # each import counts the quantity towards the tiers from 0
            yield from aws_charges(os.path.join(folder, name), rules, lists)
    for name in ('azure.csv', 'azure-b.csv'):
        if os.path.exists(os.path.join(folder, name)):
            lists.used = {}
            yield from azure_charges(os.path.join(folder, name), rules, lists)
    yield from pc_charges(folder, rules)


def aws_charges(path, rules, lists):
    with open(path, newline='') as f:
        for r in csv.DictReader(f):
            r = aws_line(r)
            typ = r['lineItem/LineItemType']
            ct = typ
            if typ in ('Fee', 'Refund') and r['reservation/ReservationARN']:
                ct = typ + '/Reservation'
            elif typ == 'Refund' and r['savingsPlan/SavingsPlanARN']:
                ct = 'Refund/SavingsPlan'
            listed = money(r['pricing/publicOnDemandCost']) if r.get('pricing/publicOnDemandCost') else None
            if listed is None and AWS_CATEGORY.get(typ) == 'Usage' and typ != 'SavingsPlanNegation':
                sku = r.get('product/sku')
                if not sku:  # the one SKU of its usage type, operation and region (all of one price: none here)
                    skus = lists.loads['skus'].get((r.get('lineItem/UsageType'), r.get('lineItem/Operation'),
                                                    r['product/regionCode']), ())
                    sku = next(iter(skus)) if len(skus) == 1 else None
                # A line without its pricing unit (empty, or a report without the column) counts its quantity
                # in the price's own unit.
                listed = lists.cost('aws', r['lineItem/UsageAccountId'], sku,
                                    r.get('pricing/unit') or None, r.get('lineItem/UsageAmount'),
                                    r['lineItem/CurrencyCode'], r['lineItem/UsageStartDate'][:10])
            v = priced(rules, 'aws', AWS_CATEGORY.get(typ, typ), ct, listed, money(r['lineItem/UnblendedCost']))
            if v is not None:
                yield 'aws', r['lineItem/UsageAccountId'], r['lineItem/UsageStartDate'][:10], \
                    r['lineItem/CurrencyCode'], v


def azure_charges(path, rules, lists):
    with open(path, newline='') as f:
        for r in csv.DictReader(f):
            ct, pm = r['ChargeType'], r['PricingModel']
            charge_type = ct if pm.lower() in ('ondemand', 'on demand', '') else '%s/%s' % (ct, pm)
            listed = None
            if r['PayGPrice'] != '':
                p = D(r['PayGPrice'])
                if not (p == 0 and (r['PublisherType'].lower() == 'marketplace' or pm.lower() in COMMITMENT_MODELS)):
                    listed = (p * D(r['Quantity'])).quantize(D(1).scaleb(-18), rounding=decimal.ROUND_HALF_EVEN)
            if listed is None and AZURE_CATEGORY.get(ct.lower()) == 'Usage':
                listed = lists.cost('azure', r['SubscriptionId'].lower(), r.get('MeterId'), r.get('UnitOfMeasure', ''),
                                    r['Quantity'], r['BillingCurrency'], utc_day(r['Date']))
            v = priced(rules, 'azure', AZURE_CATEGORY.get(ct.lower(), ct), charge_type, listed,
                       money(r['CostInBillingCurrency']))
            if v is None:
                continue
            yield 'azure', r['SubscriptionId'].lower(), utc_day(r['Date']), r['BillingCurrency'], v


def pc_charges(folder, rules):
    pc = os.path.join(folder, 'pc.json')
    if not os.path.exists(pc):
        return
    with open(pc) as f:
        for line in f:
            r = {k.lower(): v for k, v in json.loads(line, parse_float=D, parse_int=D).items()}
            ct, cur = r['chargetype'], r['billingcurrency']
            # The list cost: UnitPrice x Quantity (x PCToBCExchangeRate when present and not empty), none when
            # that rate is 0 or below, or absent on a line priced in another currency than it is billed in.
            listed = D(r['unitprice']) * D(r['quantity'])
            rate = r.get('pctobcexchangerate')
            if rate is not None and rate != '':
                listed = listed * D(rate) if D(rate) > 0 else None
            elif r.get('pricingcurrency') not in (None, '', cur):
                listed = None
            if listed is not None:
                listed = listed.quantize(D(1).scaleb(-18), rounding=decimal.ROUND_HALF_EVEN)
            v = priced(rules, 'azure', AZURE_CATEGORY.get(ct.lower(), ct), ct, listed,
                       money(str(r['billingpretaxtotal'])))
            if v is None:
                continue
            day = r.get('usagedate') or r['chargestartdate']
            yield 'azure', r['customerid'].lower(), utc_day(day), cur, v


def utc_day(date):
    """An Azure date (MM/DD/YYYY, or YYYY-MM-DD with a time and a zone, none being UTC) as its UTC day."""
    if '/' in date:
        mm, dd, yy = date.split('/')
        return '%s-%02d-%02d' % (yy, int(mm), int(dd))
    if len(date) == 10:
        return date
    t = datetime.datetime.fromisoformat(date.replace('Z', '+00:00'))
    if t.tzinfo is not None:
        t = t.astimezone(datetime.timezone.utc)
    return t.date().isoformat()


def cents(x, places):
    return x.quantize(D(1).scaleb(-places), rounding=decimal.ROUND_HALF_UP)


def text(x):
    return str(x if x != 0 else abs(x))


def rounded(parts, places):
    """The line's amount, rounded once half away from zero, and its vendor parts by largest remainder."""
    amount = cents(sum(parts), places)
    unit = D(1).scaleb(-places)
    floors = [x.quantize(unit, rounding=decimal.ROUND_FLOOR) for x in parts]
    left = int((amount - sum(floors)) / unit)
    for i in sorted(range(len(parts)), key=lambda i: (-(parts[i] - floors[i]), i))[:left]:
        floors[i] += unit
    return amount, floors


def expect(folder, conf='config', aggregate_csv=None, detail_csv=None, collect=None):
    """Prints the invoice lines; with aggregate_csv (pb-aggregate --csv's output), what differs between its
    exact month to date and markup per account and vendor and the oracle's instead; with collect (a dict), puts
    each account's (currency, exact parts per vendor) in it and prints nothing."""
    rules = read_rules(os.path.join(conf, 'pricing.conf'))
    # Eligible for a vendor (man/pb-accounts.1): neither a reseller nor a reseller's customer, billed in a country
    # the vendor is offered in (the seed's eligibility config), and its terms accepted for that country.
    seeds = os.path.join(folder, 'eligibility.conf')
    allowed = read_eligibility(seeds if os.path.exists(seeds) else os.path.join(conf, 'eligibility.conf'))
    accounts, eligible = {}, {}
    with open(os.path.join(folder, 'accounts.txt')) as f:
        for line in f:
            alias, country, cur, markup, kind = line.split()
            accounts[alias] = (country, cur, D(markup))
            eligible[alias] = {v for v in allowed if kind == 'customer' and country in allowed[v]
                               and (v, country) in TERMS[alias]}
    links = {}
    with open(os.path.join(folder, 'links.csv'), newline='') as f:
        for r in csv.DictReader(f):
            links.setdefault((r['vendor'], r['partner_account_id'].lower()), []).append(
                (r['from'], r['to'] or '9999-12-31', r['alias']))
    month = open(os.path.join(folder, 'month')).read().strip()
    rates = {}
    with open(os.path.join(folder, 'rates.csv'), newline='') as f:
        for r in csv.DictReader(f):
            if r['month'] == month:
                rates[(r['from'], r['to'])] = D(r['rate'])

    # Attributed to the account linked on the usage day, when it is eligible for the vendor; summed exactly per
    # account, vendor and source currency.
    total = {}
    for vendor, partner, day, cur, v in charges(folder, rules):
        alias = next((a for lo, hi, a in links.get((vendor, partner), []) if lo <= day <= hi), None)
        if alias is None or vendor not in eligible[alias]:
            continue
        key = (alias, vendor, cur)
        total[key] = total.get(key, D(0)) + v

    exact = {}
    for alias in sorted(accounts):
        _, inv, markup = accounts[alias]
        parts = []
        for vendor in ('aws', 'azure'):
            mtd = D(0)
            for (a, v, cur), t in total.items():
                if a != alias or v != vendor:
                    continue
                if cur != inv:  # each source currency's total converted once, half-to-even to 18 places
                    t = (t * rates[(cur, inv)]).quantize(D(1).scaleb(-18), rounding=decimal.ROUND_HALF_EVEN)
                mtd += t
            # The markup on it, rounded half-to-even to 18 places (man/pb-aggregate.1).
            up = (mtd * markup / 100).quantize(D(1).scaleb(-18), rounding=decimal.ROUND_HALF_EVEN)
            parts.append(mtd + up)
            if any(a == alias and v == vendor for a, v, _ in total):
                exact[(alias, vendor)] = (inv, mtd, up)
        if collect is not None:
            collect[alias] = (inv, parts)
        if aggregate_csv is not None or collect is not None:
            continue
        amount, floors = rounded(parts, MINOR[inv])
        if amount == 0:
            continue
        print('%s,%s,%s,%s,%s,%s' % (alias, 'charge' if amount > 0 else 'credit', inv, text(amount),
                                     text(floors[0]), text(floors[1])))
    if aggregate_csv is None:
        return
    if detail_csv is not None:  # the detail adds up, per account and vendor, to what the line is rounded from
        sums = {}
        with open(detail_csv, newline='') as f:
            for r in csv.DictReader(f):
                key = (r['account_alias'], r['vendor'])
                sums[key] = sums.get(key, D(0)) + D(r['amount'])
        for key in sorted(set(sums) | set(exact)):
            want = exact[key][1] + exact[key][2] if key in exact else D(0)
            if sums.get(key, D(0)) != want:
                print('%s %s: the detail adds up to %s, the oracle %s' % (key + (sums.get(key, D(0)), want)))
    with open(aggregate_csv, newline='') as f:
        for r in csv.DictReader(f):
            got = (r['currency'], D(r['month_to_date']), D(r['markup']))
            want = exact.pop((r['alias'], r['vendor']), (r['currency'], D(0), D(0)))
            if got != want:
                print('%s %s: month to date and markup %s %s %s, the oracle %s %s %s' % ((r['alias'], r['vendor'])
                                                                                        + got + want))
    for (alias, vendor), want in sorted(exact.items()):
        if want[1] != 0 or want[2] != 0:
            print('%s %s: not in the aggregate, the oracle %s %s %s' % ((alias, vendor) + want))


# ---- adjustments ---------------------------------------------------------------------------------------------

def copy_state(folder, out, names=('accounts.txt', 'links.csv', 'rates.csv', 'month')):
    os.makedirs(out, exist_ok=True)
    for n in names + ('eligibility.conf',):
        if n == 'eligibility.conf' and not os.path.exists(os.path.join(folder, n)):
            continue
        with open(os.path.join(folder, n)) as f, open(os.path.join(out, n), 'w') as g:
            g.write(f.read())


def restate(seed, folder, out):
    """A changed export of folder's month in out: some lines' amounts changed, a credit added, a line removed
    (in each vendor's file), the accounts, links and rates the same."""
    rnd = random.Random('restate %d %s' % (seed, os.path.basename(out)))
    copy_state(folder, out, ('accounts.txt', 'links.csv', 'rates.csv', 'month', 'pc.json')
               + tuple(n for n in ('prices.txt', 'aws-b.csv', 'azure-b.csv')
                       if os.path.exists(os.path.join(folder, n))))
    for name, cost, listed, credit in (('aws.csv', 'lineItem/UnblendedCost', 'pricing/publicOnDemandCost',
                                        ('lineItem/LineItemType', 'Credit')),
                                       ('azure.csv', 'CostInBillingCurrency', 'PayGPrice', ('ChargeType', 'Credit'))):
        with open(os.path.join(folder, name), newline='') as f:
            r = csv.reader(f)
            header = next(r)
            rows = list(r)
        if name == 'aws.csv' and not any('/' in h for h in header):  # a CUR 2.0 report's names
            cost, listed, credit = CUR2_NAMES[cost], CUR2_NAMES[listed], (CUR2_NAMES[credit[0]], credit[1])
        # A report without the pricing columns has no list cost to change.
        c, ct = header.index(cost), header.index(credit[0])
        lp = header.index(listed) if listed in header else None
        for row in rnd.sample(rows, min(len(rows), rnd.randint(1, 4))):
            row[c] = amount(rnd)
            if name == 'azure.csv' and row[ct].lower() in ('refund', 'credit', 'cancel') and D(row[c]) != 0:
                row[c] = '-' + row[c].lstrip('-')  # an Azure credit stays negative
            if lp is not None and row[lp] != '':
                row[lp] = amount(rnd, 0, 300, False) if name == 'aws.csv' else amount(rnd, 0, 3, False)
        added = list(rnd.choice(rows))
        added[ct] = credit[1]
        added[c] = '-' + amount(rnd, 1, 90, False).lstrip('-')
        if name == 'aws.csv':
            added[header.index(aws_name(header, 'identity/LineItemId'))] = 'R%d' % rnd.randrange(10 ** 9)
            added[header.index(aws_name(header, 'reservation/ReservationARN'))] = ''
            if lp is not None:
                added[lp] = ''
            if 'pricing_term' in header:
                added[header.index('pricing_term')] = added[header.index('pricing_public_on_demand_rate')] = ''
        else:
            added[header.index('PricingModel')] = 'OnDemand'
        del rows[rnd.randrange(len(rows))]
        rows.insert(rnd.randrange(len(rows) + 1), added)
        with open(os.path.join(out, name), 'w', newline='') as f:
            w = csv.writer(f, lineterminator='\n')
            w.writerow(header)
            w.writerows(rows)


def gen_next(seed, folder, out, ahead):
    """A small month of its own exports in out, ahead months after folder's, the same links, its own rates; and
    the accounts as they are after folder's month is issued: for some seeds one of them changed (made a
    reseller's customer or no longer one, a reseller no longer, or billed in another country), which the months
    after bill by and the issued month, adjusted, never does."""
    rnd = random.Random('next %d %d' % (seed, ahead))
    copy_state(folder, out, ('accounts.txt', 'links.csv'))
    change = random.Random('after issue %d' % seed)
    if change.random() < 0.5:
        with open(os.path.join(out, 'accounts.txt')) as f:
            accounts = [line.split() for line in f]
        a = change.choice(accounts)
        if a[4] != 'customer':
            a[4] = 'customer'
        elif change.random() < 0.5:
            a[4] = 'child'
        else:
            a[1] = change.choice([c for c in ('US', 'GB', 'DE') if c != a[1]])
        with open(os.path.join(out, 'accounts.txt'), 'w') as f:
            for a in accounts:
                f.write('%s %s %s %s %s\n' % tuple(a))
    y, m = (int(x) for x in open(os.path.join(folder, 'month')).read().split('-'))
    i = y * 12 + m - 1 + ahead
    y, m = i // 12, i % 12 + 1
    last = calendar.monthrange(y, m)[1]
    first = datetime.date(y, m, 1)
    month = '%04d-%02d' % (y, m)
    with open(os.path.join(out, 'month'), 'w') as f:
        f.write(month + '\n')
    with open(os.path.join(folder, 'rates.csv')) as f, open(os.path.join(out, 'rates.csv'), 'w') as g:
        g.write(f.readline())
        for line in f:
            _, a, b, r = line.strip().split(',')
            g.write('%s,%s,%s,%s\n' % (month, a, b, D(r) * D(str(round(rnd.uniform(0.95, 1.05), 4)))))
    with open(os.path.join(folder, 'links.csv'), newline='') as f:
        parts = sorted({(r['vendor'], r['partner_account_id']) for r in csv.DictReader(f)})
    aws, az = [], []
    seen = set()
    for vendor, p in parts:
        # At least a line of each vendor: an AWS report without one has no invoice id, and is not final.
        for n in range(rnd.randint(0 if vendor in seen else 1, 2)):
            seen.add(vendor)
            day = first + datetime.timedelta(days=rnd.randint(0, last - 1))
            v = amount(rnd)
            if vendor == 'aws':
                aws.append(['N%d' % len(aws), 'INV-%s' % month, '%sT00:00:00Z' % first.isoformat(), p, 'Usage',
                            '%sT01:00:00Z' % day.isoformat(), 'AmazonEC2', rnd.choice(SOURCE_CURRENCIES), v,
                            'Amazon Simple Storage Service', 'us-east-1', rnd.choice(['', amount(rnd, 0, 300)]),
                            '', ''])
            else:
                az.append([p, 'next', day.strftime('%m/%d/%Y'), first.strftime('%m/%d/%Y'), 'Usage', 'OnDemand',
                           'Azure', rnd.choice(SOURCE_CURRENCIES), v, rnd.choice(['', amount(rnd, 0, 3, False)]),
                           amount(rnd, 0, 20, False), 'Storage', 'eastus'])
    for name, header, rows in (('aws.csv', AWS_HEADER, aws), ('azure.csv', AZ_HEADER, az)):
        with open(os.path.join(out, name), 'w', newline='') as f:
            w = csv.writer(f, lineterminator='\n')
            w.writerow(header)
            w.writerows(rows)
    to_cur2(seed, os.path.join(out, 'aws.csv'))  # the seed's reports stay in their format


def expect_adjusted(folder, corrected, *now):
    """Prints folder's invoice lines, as ALIAS,LINE_TYPE,CORRECTS,CURRENCY,AMOUNT,AWS_AMOUNT,AZURE_AMOUNT, with
    the adjustment of the month of corrected: what the last of now (folders of that month as it was each time
    it was invoiced or adjusted, the first the one invoiced) comes to less everything invoiced for it before."""
    own = {}
    expect(folder, collect=own)
    billed = []
    for f in now:
        got = {}
        expect(f, collect=got)
        billed.append({a: (cur, ) + rounded(parts, MINOR[cur]) for a, (cur, parts) in got.items()})
    month = open(os.path.join(corrected, 'month')).read().strip()
    out = []
    invoiced = {}  # per account: currency, amount, parts
    for k, lines in enumerate(billed):
        for alias in sorted(set(lines) | set(invoiced)):
            cur, amt, parts = lines.get(alias, invoiced.get(alias, ('', D(0), [D(0), D(0)])))
            if alias not in lines:
                amt, parts = D(0), [D(0), D(0)]
            was = invoiced.get(alias, (cur, D(0), [D(0), D(0)]))
            if amt == was[1]:
                continue
            if k == len(billed) - 1:
                out.append(((alias, 1), '%s,adjustment,%s-01,%s,%s,%s,%s' % (
                    alias, month, cur, text(amt - was[1]), text(parts[0] - was[2][0]), text(parts[1] - was[2][1]))))
            invoiced[alias] = (cur, amt, parts)
    for alias in sorted(own):
        cur, parts = own[alias]
        amt, floors = rounded(parts, MINOR[cur])
        if amt != 0:
            out.append(((alias, 0), '%s,%s,,%s,%s,%s,%s' % (alias, 'charge' if amt > 0 else 'credit', cur,
                                                             text(amt), text(floors[0]), text(floors[1]))))
    for _, line in sorted(out):
        print(line)


if __name__ == '__main__':
    a = sys.argv[1:]
    if a == ['pool']:
        pool()
    elif a == ['terms']:
        terms()
    elif len(a) == 3 and a[0] == 'gen':
        gen(int(a[1]), a[2])
    elif len(a) in (2, 3) and a[0] == 'expect':
        expect(*a[1:])
    elif len(a) == 4 and a[0] == 'restate':
        restate(int(a[1]), a[2], a[3])
    elif len(a) == 5 and a[0] == 'next':
        gen_next(int(a[1]), a[2], a[3], int(a[4]))
    elif len(a) >= 4 and a[0] == 'adjusted':
        expect_adjusted(*a[1:])
    elif len(a) in (3, 4) and a[0] == 'exact':
        expect(a[1], 'config', *a[2:])
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)
