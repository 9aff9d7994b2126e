gzip -c "$FIXTURES/legacy-crlf.csv" > full.gz
head -c "$(( $(wc -c < full.gz) / 2 ))" full.gz > stdin
