head -c 1000 "$FIXTURES/legacy-basic.csv" | gzip -c > truncated.csv.gz
tail -c +1001 "$FIXTURES/legacy-basic.csv" | gzip -c > second.gz
head -c "$(( $(wc -c < second.gz) / 2 ))" second.gz >> truncated.csv.gz
