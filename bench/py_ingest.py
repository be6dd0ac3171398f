#!/usr/bin/env python3
"""Parse-only references for the ingest benchmark: `csv FILE` (csv module, every row read),
`pandas-csv FILE` (pandas.read_csv, no header), `json FILE` (json.loads of every JSON Lines
line), `pandas-json FILE` (pandas.read_json lines=True). Prints the number of records; the
caller times the whole process."""
import sys


def main():
    kind, path = sys.argv[1], sys.argv[2]
    n = 0
    if kind == "csv":
        import csv
        with open(path, newline="", encoding="utf-8") as f:
            for _ in csv.reader(f):
                n += 1
    elif kind == "json":
        import json
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    json.loads(line)
                    n += 1
    elif kind == "pandas-csv":
        import pandas
        n = len(pandas.read_csv(path, header=None, dtype=str, keep_default_na=False))
    elif kind == "pandas-json":
        import pandas
        n = len(pandas.read_json(path, lines=True, dtype=False))
    else:
        sys.exit("unknown kind " + kind)
    print(n)


if __name__ == "__main__":
    main()
