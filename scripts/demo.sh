#!/usr/bin/env bash
# make demo: pb-ingest on the sample exports shipped in samples/, printing the per-account summary.
set -euo pipefail
cd "$(dirname "$0")/.."
files=(samples/aws-cur/2026-10/*)
echo "== pb-ingest --format aws-cur --summary ${files[*]}"
bin/pb-ingest --format aws-cur --summary --no-progress "${files[@]}"
echo
echo "== the same, at daily grain (first 10 rows of the rows the store will receive)"
bin/pb-ingest --format aws-cur --summary=daily --no-progress "${files[@]}" | head -n 11
