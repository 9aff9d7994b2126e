# A CUR file saved as "Unicode text": UTF-16 little-endian with its byte order mark.
python3 -c 'import sys; sys.stdout.buffer.write(b"\xff\xfe" + open(sys.argv[1], encoding="utf-8").read().encode("utf-16-le"))' "$FIXTURES/legacy-basic.csv" >input.csv
