#!/usr/bin/env python3
"""Expected pb-ingest --format aws-cur --summary[=accounts|daily] output, computed independently.

Usage: expected.py --summary[=accounts|daily] FILE...   (plain CSV files only)
       expected.py --batch OUTDIR    (stdin: lines NAME<TAB>MODE<TAB>FILE..., one summary each to OUTDIR/NAME)

Written from the contract alone, with nothing shared with the C code: Python's csv module reads the files,
Decimal does the sums exactly, and the category map, the timestamp rule and the number format are restated
here. It refuses (exit 1) anything that is not a clean fixture, so a broken fixture cannot pass silently.

tests/e2e/azure/expected.py, tests/fixtures/partner-center/expected.py and tests/integration/azure.sh load this
file for what they have in common with it: amounts (AMOUNT_RE, parse_amount, canonical, add), CSV reading (read_csv,
records), the summary's text (summary_text) and the command line (batch, cli).
"""
import csv
import datetime
import decimal
import os
import re
import sys

CTX = decimal.Context(prec=200, rounding=decimal.ROUND_HALF_EVEN, traps=[decimal.InvalidOperation])
decimal.setcontext(CTX)
QUANTUM = decimal.Decimal(1).scaleb(-18)

LEGACY = {
    'billing_period': 'bill/BillingPeriodStartDate',
    'account': 'lineItem/UsageAccountId',
    'type': 'lineItem/LineItemType',
    'start': 'lineItem/UsageStartDate',
    'currency': 'lineItem/CurrencyCode',
    'billed': 'lineItem/UnblendedCost',
    'list': 'pricing/publicOnDemandCost',
}
LEGACY_OPT = {
    'service': ['product/ProductName', 'lineItem/ProductCode'],
    'region': ['product/regionCode', 'product/region'],
}
CUR2 = {
    'billing_period': 'bill_billing_period_start_date',
    'account': 'line_item_usage_account_id',
    'type': 'line_item_line_item_type',
    'start': 'line_item_usage_start_date',
    'currency': 'line_item_currency_code',
    'billed': 'line_item_unblended_cost',
    'list': 'pricing_public_on_demand_cost',
}
CUR2_OPT = {
    'service': ['product_product_name', 'line_item_product_code'],
    'region': ['product_region_code'],
}

CATEGORY = {}
for t in ('Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage', 'SavingsPlanNegation'):
    CATEGORY[t] = 'Usage'
for t in ('Fee', 'RIFee', 'SavingsPlanUpfrontFee', 'SavingsPlanRecurringFee'):
    CATEGORY[t] = 'Purchase'
CATEGORY['Tax'] = 'Tax'
for t in ('Credit', 'Refund', 'Discount', 'BundledDiscount', 'EdpDiscount', 'PrivateRateDiscount',
          'SppDiscount', 'DistributorDiscount', 'TieredDiscount'):
    CATEGORY[t] = 'Credit'

AMOUNT_RE = re.compile(r'[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z')
TS_RE = re.compile(r'([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?'
                   r'(Z|[+-][0-9]{2}:[0-9]{2})\Z')


class FixtureError(Exception):
    pass


def parse_amount(text, where):
    """Returns None for an empty field, else the Decimal rounded half-to-even to 18 places."""
    if text == '':
        return None
    if not AMOUNT_RE.match(text):
        raise FixtureError('%s: not an amount: %r' % (where, text))
    d = decimal.Decimal(text)
    if d.as_tuple().exponent < -18:
        d = d.quantize(QUANTUM, rounding=decimal.ROUND_HALF_EVEN)
    return d


def utc_day(text, where):
    m = TS_RE.match(text)
    if not m:
        raise FixtureError('%s: not a timestamp: %r' % (where, text))
    y, mo, d, h, mi, s = (int(m.group(i)) for i in range(1, 7))
    zone = m.group(8)
    if zone == 'Z':
        offset = datetime.timedelta(0)
    else:
        sign = 1 if zone[0] == '+' else -1
        offset = sign * datetime.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    local = datetime.datetime(y, mo, d, h, mi, s, tzinfo=datetime.timezone(offset))
    return local.astimezone(datetime.timezone.utc).date().isoformat()


def canonical(d):
    """Exact, no exponent, no '+', no trailing fractional zeros, '0' for zero."""
    if d is None:
        return ''
    if d.is_zero():
        return '0'
    s = format(d, 'f')
    if '.' in s:
        s = s.rstrip('0').rstrip('.')
    return s


def csv_field(v):
    if any(c in v for c in ',"\r\n'):
        return '"' + v.replace('"', '""') + '"'
    return v


def add(a, b):
    if b is None:
        return a
    if a is None:
        return b
    return a + b


def read_csv(path):
    """The records of a CSV file (UTF-8, a BOM allowed), its lower-cased header and each column's index in it;
    refuses an empty file and a column named twice."""
    with open(path, 'r', encoding='utf-8-sig', newline='') as f:
        rows = list(csv.reader(f, strict=True))
    if not rows:
        raise FixtureError('%s: empty file' % path)
    header = [h.lower() for h in rows[0]]
    index = {h: i for i, h in enumerate(header)}
    if len(index) != len(header):
        raise FixtureError('%s: duplicate column' % path)
    return rows, header, index


def records(path, rows, header):
    """(where, record) for each record after the header, refusing one without the header's number of fields."""
    for n, row in enumerate(rows[1:], start=2):
        where = '%s record %d' % (path, n)
        if len(row) != len(header):
            raise FixtureError('%s: %d fields, header has %d' % (where, len(row), len(header)))
        yield where, row


def read_file(path, groups, accounts):
    rows, header, index = read_csv(path)
    if LEGACY['account'].lower() in index:
        req, opt = LEGACY, LEGACY_OPT
    else:
        req, opt = CUR2, CUR2_OPT
    col = {}
    for key, name in req.items():
        if name.lower() not in index:
            if key == 'list':
                col[key] = None  # CUR 2.0 lets the user leave out the pricing columns: no list price then
                continue
            raise FixtureError('%s: missing %s' % (path, name))
        col[key] = index[name.lower()]
    for key, names in opt.items():
        present = [n for n in names if n.lower() in index]
        if key == 'region' and len(present) > 1:
            raise FixtureError('%s: two region columns, the contract does not rank them' % path)
        col[key] = index[present[0].lower()] if present else None
    for where, row in records(path, rows, header):
        account = row[col['account']]
        if account == '':
            raise FixtureError('%s: empty account' % where)
        line_type = row[col['type']]
        category = CATEGORY.get(line_type, line_type)
        service = row[col['service']] if col['service'] is not None else ''
        if col['service'] is not None and service == '':
            raise FixtureError('%s: empty service: the contract is unclear on its fallback' % where)
        region = row[col['region']] if col['region'] is not None else ''
        currency = row[col['currency']]
        month = utc_day(row[col['billing_period']], where)
        day = utc_day(row[col['start']], where)
        billed = parse_amount(row[col['billed']], where)
        listed = parse_amount(row[col['list']], where) if col['list'] is not None else None
        if billed is None:
            raise FixtureError('%s: empty billed cost: keep fixtures clear of it' % where)
        if not re.match(r'[0-9]{12}\Z', account):
            raise FixtureError('%s: an AWS account id is 12 digits: %r' % (where, account))
        if day[:7] != month[:7] or month[8:] != '01':
            raise FixtureError('%s: usage day %s outside its billing month %s: pb-ingest refuses it' %
                               (where, day, month))
        key = (account, day, category, line_type, service, region, currency)
        g = groups.setdefault(key, {'month': month, 'list': None, 'billed': None, 'count': 0})
        if g['month'] != month:
            raise FixtureError('%s: one daily row, two billing months' % where)
        g['list'] = add(g['list'], listed)
        g['billed'] = add(g['billed'], billed)
        g['count'] += 1
        a = accounts.setdefault(account, {'list': None, 'billed': None})
        a['list'] = add(a['list'], listed)
        a['billed'] = add(a['billed'], billed)


def utf8_key(s):
    return s.encode('utf-8')


MODES = ('--summary', '--summary=accounts', '--summary=daily')


def summary(mode, paths):
    """Returns the expected stdout as bytes; raises FixtureError and the like on a file it cannot vouch for."""
    groups, accounts = {}, {}
    for path in paths:
        read_file(path, groups, accounts)
    return summary_text('aws', mode, groups, accounts)


def summary_text(vendor, mode, groups, accounts):
    """The stdout of pb-ingest --summary=daily (from groups) or --summary[=accounts] (from accounts), as bytes."""
    out = []
    if mode == '--summary=daily':
        out.append('vendor,billing_month,partner_account_id,usage_date,charge_category,charge_type,service,region,'
                   'currency,list_cost,billed_cost,line_count')
        for key in sorted(groups, key=lambda k: tuple(utf8_key(x) for x in k)):
            account, day, category, charge_type, service, region, currency = key
            g = groups[key]
            fields = [vendor, g['month'], account, day, category, charge_type, service, region, currency,
                      canonical(g['list']), canonical(g['billed']), str(g['count'])]
            out.append(','.join(csv_field(x) for x in fields))
    else:
        out.append('partner_account_id,list_cost,billed_cost')
        for account in sorted(accounts, key=utf8_key):
            a = accounts[account]
            out.append(','.join(csv_field(x) for x in (account, canonical(a['list']), canonical(a['billed']))))
    return ('\n'.join(out) + '\n').encode('utf-8')


def batch(outdir, modes, answer, errors):
    """Reads lines NAME<TAB>MODE<TAB>FILE... from stdin and writes each answer(MODE, FILES) to OUTDIR/NAME."""
    status = 0
    for line in sys.stdin:
        fields = line.rstrip('\n').split('\t')
        name, mode, paths = fields[0], fields[1], fields[2:]
        try:
            if mode not in modes or not paths:
                raise FixtureError('bad batch line %r' % line)
            data = answer(mode, paths)
        except errors as e:
            sys.stderr.write('expected.py: %s: %s\n' % (name, e))
            status = 1
            continue
        with open(os.path.join(outdir, name), 'wb') as f:
            f.write(data)
    return status


def cli(argv, modes, answer, errors, usage):
    """The command line: --batch OUTDIR, or MODE FILE... (MODE one of modes) answered by answer(MODE, FILES) on
    stdout; errors (a tuple of exceptions) are a refused fixture (exit 1), a bad command line prints usage."""
    if len(argv) == 2 and argv[0] == '--batch':
        return batch(argv[1], modes, answer, errors)
    if len(argv) < 2 or argv[0] not in modes:
        sys.stderr.write(usage)
        return 2
    try:
        data = answer(argv[0], argv[1:])
    except errors as e:
        sys.stderr.write('expected.py: %s\n' % e)
        return 1
    sys.stdout.buffer.write(data)
    return 0


ERRORS = (FixtureError, csv.Error, UnicodeDecodeError, decimal.InvalidOperation, OSError)
USAGE = ('usage: expected.py --summary[=accounts|daily] FILE...\n'
         '       expected.py --batch OUTDIR < lines of NAME<TAB>MODE<TAB>FILE...\n')


if __name__ == '__main__':
    sys.exit(cli(sys.argv[1:], MODES, summary, ERRORS, USAGE))
