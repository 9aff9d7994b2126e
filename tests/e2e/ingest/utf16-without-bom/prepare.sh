# UTF-16 big-endian without a byte order mark: every other byte of the header is NUL.
python3 -c 'import sys; sys.stdout.buffer.write(open(sys.argv[1], encoding="utf-8").read().encode("utf-16-be"))' "$FIXTURES/legacy-basic.csv" >input.csv
