gzip -c "$FIXTURES/legacy-basic.csv" > full.gz
head -c "$(( $(wc -c < full.gz) / 2 ))" full.gz > truncated.csv.gz
