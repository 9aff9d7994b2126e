#!/usr/bin/env python3
"""Expected pb-ingest --format azure-cost --summary[=accounts|daily] output and warnings, computed independently.

Usage: expected.py --summary[=accounts|daily] FILE...   (plain CSV files only)
       expected.py --stderr FILE...    the warnings pb-ingest is to print for FILE... (as named on its command
                                       line by their base names), for tests/e2e/azure/run.sh's golden matcher
       expected.py --batch OUTDIR      (stdin: lines NAME<TAB>MODE<TAB>FILE..., one answer each to OUTDIR/NAME)

Written from the contract ("pb-ingest --format azure-cost") alone, with nothing shared with the C code:
Python's csv module reads the files, Decimal does the arithmetic exactly, and the column choice, the date
forms, the charge type map and the list cost rule are restated here; the number format (the same as AWS's) is
tests/e2e/ingest/expected.py's. It refuses (exit 1) anything the contract leaves open, so a fixture cannot pass
on a reading the contract does not make.
"""
import csv
import datetime
import decimal
import importlib.util
import os
import re
import sys

# The number rules and format, the CSV reading, the summary's text, the batch mode and the command line of the
# AWS fixtures: tests/e2e/ingest/expected.py. (Loading it sets its decimal context: this file's own is set after it.)
_spec = importlib.util.spec_from_file_location(
    'aws_expected', os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'ingest', 'expected.py'))
_aws = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_aws)
AMOUNT_RE, QUANTUM, FixtureError, add, read_csv, records, summary_text, cli = (
    _aws.AMOUNT_RE, _aws.QUANTUM, _aws.FixtureError, _aws.add, _aws.read_csv, _aws.records, _aws.summary_text,
    _aws.cli)

CTX = decimal.Context(prec=200, rounding=decimal.ROUND_HALF_EVEN,
                      traps=[decimal.InvalidOperation, decimal.Inexact, decimal.DivisionByZero])
decimal.setcontext(CTX)

# Columns, by lower-cased name; the first present name of each list is the one used.
ACCOUNT_CSP = 'customertenantid'
ACCOUNT = ['subscriptionid', 'subscriptionguid']
DATE = ['date', 'usagedate', 'usagedatetime']
BILLING_START = 'billingperiodstartdate'
CHARGE_TYPE = 'chargetype'
SERVICE = ['metercategory', 'servicename', 'consumedservice']
REGION = ['resourcelocation', 'location', 'meterregion']
CURRENCY = ['billingcurrency', 'billingcurrencycode', 'currency']
BILLED = ['costinbillingcurrency', 'cost']
PAYG_COST = 'paygcostinbillingcurrency'
PAYG_PRICE = 'paygprice'
QUANTITY = 'quantity'
RATE = 'exchangeratepricingtobilling'
PUBLISHER_TYPE = 'publishertype'
PRICING_MODEL = 'pricingmodel'

CATEGORY = {
    'usage': 'Usage',
    'purchase': 'Purchase',
    'refund': 'Credit',
    'credit': 'Credit',
    'tax': 'Tax',
    'roundingadjustment': 'Adjustment',
    'unusedreservation': 'Usage',
    'unusedsavingsplan': 'Usage',
}

US_DATE_RE = re.compile(r'([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})\Z')
ISO_DATE_RE = re.compile(r'([0-9]{4})-([0-9]{2})-([0-9]{2})(T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?Z?)?\Z')


def exact(text, where, what):
    """The Decimal of text, exactly (no rounding): a factor of the list cost product."""
    if not AMOUNT_RE.match(text):
        raise FixtureError('%s: not a number in %s: %r' % (where, what, text))
    return decimal.Decimal(text)


def money(text, where, what, stats):
    """Returns None for an empty field, else the Decimal rounded half-to-even to 18 places."""
    if text == '':
        return None
    d = exact(text, where, what)
    if d.as_tuple().exponent < -18:
        d = d.quantize(QUANTUM, rounding=decimal.ROUND_HALF_EVEN, context=decimal.Context(prec=200))
        stats['rounded'] += 1
    return d


def day_of(text, where, what):
    """MM/DD/YYYY (1 or 2 digit month and day) or YYYY-MM-DD, optionally with a UTC time: a date."""
    m = US_DATE_RE.match(text)
    if m:
        month, day, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
    else:
        m = ISO_DATE_RE.match(text)
        if not m:
            raise FixtureError('%s: not a date in %s: %r' % (where, what, text))
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise FixtureError('%s: no such day in %s: %r' % (where, what, text))


def first_present(index, names):
    for n in names:
        if n in index:
            return index[n]
    return None


def text_of(row, cols, where, what):
    """The first present column's value; the contract names fall-backs but not whether an empty value in a
    present column falls back, so a fixture where that would matter is refused."""
    if not cols:
        return ''
    values = [row[c] for c in cols]
    if values[0] == '' and any(values[1:]):
        raise FixtureError('%s: %s: empty first column but a later one is set: the contract is unclear' %
                           (where, what))
    return values[0]


# PricingModel values whose zero prices are prices left out, on any line (purchase, refund, amortized usage).
NO_LIST_MODELS = ('Reservation', 'Reservations', 'SavingsPlan', 'Savings Plan')


def model_of(row, col):
    return row[col['model']] if col['model'] is not None else ''


def list_cost(row, col, category_type, where, stats):
    """The list cost of one line per the contract, or None (absent): paygCostInBillingCurrency when set, else
    PayGPrice x Quantity (x exchangeRatePricingToBilling when set), exact, rounded once half-to-even to 18
    places. PayGPrice is per UnitOfMeasure and Quantity counts UnitOfMeasure units ("100 Hours": 0.24 is 24
    hours), so UnitOfMeasure itself plays no part: there is no block division."""
    if col['payg_cost'] is not None and row[col['payg_cost']] != '':
        cost = money(row[col['payg_cost']], where, 'paygCostInBillingCurrency', stats)
        publisher = row[col['publisher']] if col['publisher'] is not None else ''
        if cost.is_zero() and (publisher == 'Marketplace' or
                               model_of(row, col).lower() in [m.lower() for m in NO_LIST_MODELS]):
            return None
        return cost
    if col['payg_price'] is None:
        return None
    price_text = row[col['payg_price']]
    if price_text == '':
        return None
    price = exact(price_text, where, 'PayGPrice')
    if price.is_zero():
        publisher = row[col['publisher']] if col['publisher'] is not None else ''
        model = row[col['model']] if col['model'] is not None else ''
        for value, canon in [(publisher, 'Marketplace')] + [(model, m) for m in NO_LIST_MODELS]:
            if value.lower() == canon.lower() and value != canon:
                raise FixtureError('%s: %r: the contract does not say whether this is case-insensitive' %
                                   (where, value))
        if publisher == 'Marketplace':
            return None
        if model in NO_LIST_MODELS:
            return None
    if col['quantity'] is None or row[col['quantity']] == '':
        raise FixtureError('%s: PayGPrice without a quantity: keep fixtures clear of it' % where)
    qty = exact(row[col['quantity']], where, 'Quantity')
    product = price * qty  # exact: the context traps Inexact
    if col['rate'] is not None and row[col['rate']] != '':
        product = product * exact(row[col['rate']], where, 'exchangeRatePricingToBilling')
    return product.quantize(QUANTUM, rounding=decimal.ROUND_HALF_EVEN, context=decimal.Context(prec=400))


def read_file(path, groups, accounts, stats):
    rows, header, index = read_csv(path)

    def required(names, what):
        c = first_present(index, names)
        if c is None:
            raise FixtureError('%s: missing column %s' % (path, what))
        return c

    col = {
        'account': index[ACCOUNT_CSP] if ACCOUNT_CSP in index else required(ACCOUNT, 'SubscriptionId'),
        'date': required(DATE, 'Date'),
        'billing_start': index.get(BILLING_START),
        'service_start': index.get('serviceperiodstartdate'),
        'type': required([CHARGE_TYPE], 'ChargeType'),
        'service': [index[n] for n in SERVICE if n in index],
        'region': [index[n] for n in REGION if n in index],
        'currency': required(CURRENCY, 'BillingCurrency'),
        'billed': required(BILLED, 'CostInBillingCurrency'),
        'payg_cost': index.get(PAYG_COST),
        'payg_price': index.get(PAYG_PRICE),
        'quantity': index.get(QUANTITY),
        'rate': index.get(RATE),
        'publisher': index.get(PUBLISHER_TYPE),
        'model': index.get(PRICING_MODEL),
    }
    for where, row in records(path, rows, header):
        account = row[col['account']]
        if account == '':
            raise FixtureError('%s: empty account' % where)
        line_type = row[col['type']]
        if line_type == '':
            raise FixtureError('%s: empty ChargeType: keep fixtures clear of it' % where)
        category = CATEGORY.get(line_type.lower())
        if category is None:
            category = line_type
            stats['unknown'].setdefault(line_type, 0)
            stats['unknown'][line_type] += 1
        service = text_of(row, col['service'], where, 'service')
        region = text_of(row, col['region'], where, 'region')
        currency = row[col['currency']]
        if not re.match(r'[A-Z]{3}\Z', currency):
            raise FixtureError('%s: bad currency %r' % (where, currency))
        day = day_of(row[col['date']], where, 'Date')
        # An empty billing period (Azure plan subscriptions in daily exports) counts as an absent one.
        if col['billing_start'] is not None and row[col['billing_start']] != '':
            month = day_of(row[col['billing_start']], where, 'BillingPeriodStartDate').replace(day=1)
        elif col['service_start'] is not None and row[col['service_start']] != '':
            month = day_of(row[col['service_start']], where, 'servicePeriodStartDate').replace(day=1)
        else:
            month = day.replace(day=1)
        if day.replace(day=1) > month:
            raise FixtureError('%s: usage day after its billing month: pb-ingest refuses it' % where)
        if not re.match(r'[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z', account):
            raise FixtureError('%s: an Azure id is a GUID: %r' % (where, account))
        model = model_of(row, col)
        charge_type = line_type if model.lower() in ('', 'ondemand', 'on demand') else line_type + '/' + model
        billed = money(row[col['billed']], where, 'CostInBillingCurrency', stats)
        if billed is None:
            raise FixtureError('%s: empty billed cost: keep fixtures clear of it' % where)
        listed = list_cost(row, col, line_type, where, stats)
        if listed is None:
            stats['no_list'] += 1
        key = (account, day.isoformat(), category, charge_type, service, region, currency)
        g = groups.setdefault(key, {'month': month.isoformat(), 'list': None, 'billed': None, 'count': 0})
        if g['month'] != month.isoformat():
            raise FixtureError('%s: one daily row, two billing months' % where)
        g['list'] = add(g['list'], listed)
        g['billed'] = add(g['billed'], billed)
        g['count'] += 1
        a = accounts.setdefault(account, {'list': None, 'billed': None, 'currency': currency})
        if a['currency'] != currency:
            raise FixtureError('%s: account %s in two currencies: --summary refuses that' % (where, account))
        a['list'] = add(a['list'], listed)
        a['billed'] = add(a['billed'], billed)


MODES = ('--summary', '--summary=accounts', '--summary=daily', '--stderr')


def new_stats():
    return {'rounded': 0, 'no_list': 0, 'unknown': {}}


def warnings(paths):
    """Golden stderr lines (tests/e2e/azure/run.sh matches them in any order; `<detail>` ends a prefix).

    The contract gives the text of the no-list-price warning. The other two it only says exist, "like AWS", so
    they are the AWS texts: amounts of more than 18 places rounded half-to-even (counted: the amounts read as
    money, CostInBillingCurrency and paygCostInBillingCurrency; PayGPrice, Quantity and the exchange rate are
    exact factors, and the product's one rounding to 18 places is the rule, not a warning), and one line per
    unknown charge type, matched by its start only since the contract says "charge type" where AWS says
    "line item type"."""
    out = []
    for path in paths:
        groups, accounts, stats = {}, {}, new_stats()
        read_file(path, groups, accounts, stats)
        name = os.path.basename(path)
        n = stats['rounded']
        if n:
            out.append('pb-ingest: %s: warning: %d amount%s had more than 18 decimal places and were rounded '
                       'half-to-even' % (name, n, '' if n == 1 else 's'))
        for t in sorted(stats['unknown']):
            n = stats['unknown'][t]
            out.append('pb-ingest: %s: warning: %d line%s of unknown <detail>' % (name, n, '' if n == 1 else 's'))
        if stats['no_list'] == 1:
            out.append('pb-ingest: %s: warning: 1 line<detail>' % name)
        elif stats['no_list']:
            out.append('pb-ingest: %s: warning: %d lines have no list price; their list cost is left empty' %
                       (name, stats['no_list']))
    return ''.join(line + '\n' for line in out).encode('utf-8')


def summary(mode, paths):
    """Returns the expected stdout as bytes; raises FixtureError and the like on a file it cannot vouch for."""
    if mode == '--stderr':
        return warnings(paths)
    groups, accounts, stats = {}, {}, new_stats()
    for path in paths:
        read_file(path, groups, accounts, stats)
    return summary_text('azure', mode, groups, accounts)


ERRORS = (FixtureError, csv.Error, UnicodeDecodeError, decimal.DecimalException, OSError)
USAGE = ('usage: expected.py --summary[=accounts|daily] FILE...\n'
         '       expected.py --stderr FILE...\n'
         '       expected.py --batch OUTDIR < lines of NAME<TAB>MODE<TAB>FILE...\n')


if __name__ == '__main__':
    sys.exit(cli(sys.argv[1:], MODES, summary, ERRORS, USAGE))
