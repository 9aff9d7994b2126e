gzip -c "$FIXTURES/legacy-basic.csv" > full.gz
# All the compressed data, without the last 4 bytes of the trailer (ISIZE).
head -c "$(( $(wc -c < full.gz) - 4 ))" full.gz > truncated.csv.gz
