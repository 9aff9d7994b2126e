#!/usr/bin/env python3
"""Checks a FOCUS 1.2 dataset (CSV) against the specification's column rules: the column set, the types, the
allowed values and the null rules of every column pb-invoice --focus writes. Standard library only.

Usage: focus_check.py FILE.csv   (prints nothing and exits 0 when it conforms; else one line per violation)
"""
import csv
import decimal
import json
import re
import sys

MANDATORY = ['BilledCost', 'BillingAccountId', 'BillingAccountName', 'BillingCurrency', 'BillingPeriodEnd',
             'BillingPeriodStart', 'ChargeCategory', 'ChargeClass', 'ChargeDescription', 'ChargePeriodEnd',
             'ChargePeriodStart', 'ContractedCost', 'EffectiveCost', 'InvoiceIssuerName', 'ListCost',
             'PricingQuantity', 'PricingUnit', 'ProviderName', 'PublisherName', 'ServiceCategory', 'ServiceName']
OPTIONAL = ['RegionId', 'SubAccountId', 'Tags']
# Conditional columns that must come with another: SubAccountName with SubAccountId (the provider has sub accounts),
# SubAccountType too (it has two kinds of them: AWS accounts and Azure subscriptions), RegionName with RegionId (it
# deploys in regions); each is null exactly when its pair is.
PAIRED = {'SubAccountName': 'SubAccountId', 'SubAccountType': 'SubAccountId', 'RegionName': 'RegionId'}
DECIMAL = re.compile(r'-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?\Z')
DATETIME = re.compile(r'[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\Z')
CURRENCY = re.compile(r'[A-Z]{3}\Z')
CHARGE_CATEGORY = {'Usage', 'Purchase', 'Tax', 'Credit', 'Adjustment'}
SERVICE_CATEGORY = {'AI and Machine Learning', 'Analytics', 'Business Applications', 'Compute', 'Databases',
                    'Developer Tools', 'Multicloud', 'Identity', 'Integration', 'Internet of Things',
                    'Management and Governance', 'Media', 'Migration', 'Mobile', 'Networking', 'Security',
                    'Storage', 'Web', 'Other'}
NOT_NULL = ['BilledCost', 'BillingAccountId', 'BillingCurrency', 'BillingPeriodEnd', 'BillingPeriodStart',
            'ChargeCategory', 'ChargePeriodEnd', 'ChargePeriodStart', 'ContractedCost', 'EffectiveCost',
            'InvoiceIssuerName', 'ListCost', 'ProviderName', 'PublisherName', 'ServiceCategory', 'ServiceName']


def check(path):
    bad = []
    with open(path, newline='', encoding='utf-8') as f:
        rows = list(csv.reader(f, strict=True))
    header = rows[0]
    known = MANDATORY + OPTIONAL + list(PAIRED)
    if (len(set(header)) != len(header) or set(MANDATORY) - set(header) or set(OPTIONAL) - set(header)
            or [c for c in header if c not in known and not c.startswith('x_')]):
        bad.append('columns: %r' % header)
        return bad
    for c, pair in PAIRED.items():
        if pair in header and c not in header:
            bad.append('columns: %s without %s' % (pair, c))
    if bad:
        return bad
    for n, r in enumerate(rows[1:], start=2):
        v = dict(zip(header, r))
        where = 'row %d' % n
        for c in NOT_NULL:
            if v[c] == '':
                bad.append('%s: %s is null' % (where, c))
        for c in ('BilledCost', 'ContractedCost', 'EffectiveCost', 'ListCost'):
            if v[c] and not DECIMAL.match(v[c]):
                bad.append('%s: %s %r is not a decimal' % (where, c, v[c]))
        for c in ('BillingPeriodEnd', 'BillingPeriodStart', 'ChargePeriodEnd', 'ChargePeriodStart'):
            if v[c] and not DATETIME.match(v[c]):
                bad.append('%s: %s %r is not a UTC date/time' % (where, c, v[c]))
        for c, pair in PAIRED.items():
            if (v[c] == '') != (v[pair] == ''):
                bad.append('%s: %s and %s are not null together' % (where, c, pair))
        # ListCost, ContractedCost and EffectiveCost of a charge unrelated to others (a credit) without a unit
        # price match its BilledCost.
        if v['ChargeCategory'] == 'Credit' and v.get('ListUnitPrice', '') == '':
            for c in ('ListCost', 'ContractedCost', 'EffectiveCost'):
                if DECIMAL.match(v[c]) and DECIMAL.match(v['BilledCost']) and \
                        decimal.Decimal(v[c]) != decimal.Decimal(v['BilledCost']):
                    bad.append('%s: %s %s of a Credit is not its BilledCost %s' % (where, c, v[c], v['BilledCost']))
        if v['ChargePeriodEnd'] <= v['ChargePeriodStart'] or v['BillingPeriodEnd'] <= v['BillingPeriodStart']:
            bad.append('%s: a period does not end after it starts' % where)
        if not (v['BillingPeriodStart'] <= v['ChargePeriodStart'] < v['BillingPeriodEnd']):
            bad.append('%s: the charge period is outside the billing period' % where)
        if not CURRENCY.match(v['BillingCurrency']):
            bad.append('%s: BillingCurrency %r' % (where, v['BillingCurrency']))
        if v['ChargeCategory'] not in CHARGE_CATEGORY:
            bad.append('%s: ChargeCategory %r' % (where, v['ChargeCategory']))
        if v['ServiceCategory'] not in SERVICE_CATEGORY:
            bad.append('%s: ServiceCategory %r' % (where, v['ServiceCategory']))
        if v['ChargeClass'] not in ('', 'Correction'):
            bad.append('%s: ChargeClass %r' % (where, v['ChargeClass']))
        if v['ChargeCategory'] == 'Tax' and v['PricingQuantity'] != '':
            bad.append('%s: PricingQuantity must be null for Tax' % where)
        if v['ChargeCategory'] in ('Usage', 'Purchase') and v['ChargeClass'] == '' and v['PricingQuantity'] == '':
            bad.append('%s: PricingQuantity is null for %s' % (where, v['ChargeCategory']))
        if v['PricingQuantity'] and not DECIMAL.match(v['PricingQuantity']):
            bad.append('%s: PricingQuantity %r' % (where, v['PricingQuantity']))
        if (v['PricingUnit'] == '') != (v['PricingQuantity'] == ''):
            bad.append('%s: PricingUnit and PricingQuantity are not null together' % where)
        try:
            tags = json.loads(v['Tags']) if v['Tags'] else {}
            if not isinstance(tags, dict) or tags.get('clc-account') != v['BillingAccountId']:
                bad.append('%s: Tags %r do not hold the CLC account' % (where, v['Tags']))
        except ValueError:
            bad.append('%s: Tags %r is not JSON' % (where, v['Tags']))
    return bad


if __name__ == '__main__':
    problems = check(sys.argv[1])
    for p in problems[:20]:
        print(p)
    sys.exit(1 if problems else 0)
