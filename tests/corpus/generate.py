#!/usr/bin/env python3
"""Writes the corpus cases that are awkward to keep in git as they are: damaged compression, other
encodings, NUL bytes, invalid UTF-8 and CR-only line ends. Each is made from its folder's seed file (or
from literal bytes), deterministically: the same bytes on every run. Their expectation files are checked
in beside the text cases.

Usage: generate.py DIR   (DIR holds copies of the aws-cur, azure-cost and partner-center folders; the
                          cases are written into them)
"""
import gzip
import io
import os
import struct
import sys
import zipfile


def gz(data):
    """gzip without a name or a time, so that the bytes never change."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode='wb', mtime=0, filename='') as f:
        f.write(data)
    return out.getvalue()


def bad_crc(data):
    """gzip whose trailer's CRC-32 does not match the data."""
    z = bytearray(gz(data))
    crc = struct.unpack('<I', bytes(z[-8:-4]))[0] ^ 0xFFFFFFFF
    z[-8:-4] = struct.pack('<I', crc)
    return bytes(z)


def zip_of(members):
    out = io.BytesIO()
    with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(2026, 10, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    return out.getvalue()


def replace_once(data, old, new):
    if data.count(old) < 1:
        raise SystemExit('generate.py: %r not in the seed' % old)
    return data.replace(old, new, 1)


def last_line(data, old, new):
    """The seed with old replaced by new on its last line only (the first line item stays good)."""
    lines = data.split(b'\n')
    k = len(lines) - 2 if lines[-1] == b'' else len(lines) - 1
    lines[k] = replace_once(lines[k], old, new)
    return b'\n'.join(lines)


def common(seed, ext, text_at):
    """Cases every format has: text_at is a text value on the seed's lines to damage."""
    return {
        'gzip-truncated' + ext + '.gz': gz(seed)[:len(gz(seed)) // 2],
        'gzip-bad-crc' + ext + '.gz': bad_crc(seed),
        'gzip-trailing-garbage' + ext + '.gz': gz(seed) + b'not gzip',
        'gzip-of-empty' + ext + '.gz': gz(b''),
        'zip-two-members.zip': zip_of([('part-1' + ext, seed), ('part-2' + ext, seed)]),
        'zip-empty.zip': zip_of([]),
        # A folder zipped by macOS's Finder: the folder's entry, the file, and its AppleDouble twin.
        'zip-folder-macos.zip': zip_of([('export/', b''), ('export/part-1' + ext, seed + seed.splitlines(True)[-1]),
                                        ('__MACOSX/export/._part-1' + ext, b'\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X')]),
        'latin1' + ext: last_line(seed, text_at, text_at[:2] + b'\xe9' + text_at[2:]),
        'utf8-truncated-sequence' + ext: last_line(seed, text_at, text_at[:2] + b'\xe2\x82' + text_at[2:]),
        'utf8-overlong' + ext: last_line(seed, text_at, text_at[:2] + b'\xc0\xaf' + text_at[2:]),
        'utf8-surrogate' + ext: last_line(seed, text_at, text_at[:2] + b'\xed\xa0\x80' + text_at[2:]),
        'nul-byte' + ext: last_line(seed, text_at, text_at[:2] + b'\x00' + text_at[2:]),
        'utf16le-bom' + ext: b'\xff\xfe' + seed.decode('utf-8').encode('utf-16-le'),
        'utf16be-no-bom' + ext: seed.decode('utf-8').encode('utf-16-be'),
        'cr-only-line-ends' + ext: seed.replace(b'\n', b'\r'),
    }


# An export delivered as Parquet (AWS and Azure offer it): magic, a page of binary, the footer's length, magic.
PARQUET = b'PAR1\x15\x04\x15\x10\x15\x14L\x15\x02\x15\x00\x00\x00\x08\x1c\x00\x00\x00\x00\x00\x00\x00PAR1'

# Cases of one format: text in a name column, which only the store keeps; a Parquet file.
SPECIFIC = {
    'aws-cur': lambda seed: {'parquet.parquet': PARQUET},
    'azure-cost': lambda seed: {'latin1-subscription-name.csv': last_line(seed, b'prod-web', b'pr\xe9d-web'),
                                'parquet.parquet': PARQUET},
    'partner-center': lambda seed: {'latin1-customer-name.jsonl': last_line(seed, b'Contoso Ltd', b'Contoso S.\xe0 r.l.')},
}


def main():
    root = sys.argv[1]
    formats = {
        'aws-cur': ('.csv', b'us-east-1'),
        'azure-cost': ('.csv', b'westeurope'),
        'partner-center': ('.jsonl', b'eastus'),
    }
    for fmt, (ext, text_at) in formats.items():
        folder = os.path.join(root, fmt)
        with open(os.path.join(folder, 'seed' + ext), 'rb') as f:
            seed = f.read()
        cases = common(seed, ext, text_at)
        cases.update(SPECIFIC.get(fmt, lambda s: {})(seed))
        for name, data in cases.items():
            with open(os.path.join(folder, name), 'wb') as f:
                f.write(data)


main()
