#!/usr/bin/env python3
"""Scaled corpora from real texts, for the benchmark.

Reads a headerless `text,l1,l2,l3` CSV (the DBpedia file), splits every text into sentences
(after ., ! or ? followed by a space) and pools the sentences of each leaf class. It then
writes N documents: classes in proportion to their frequency in the source, each document as
long (in sentences) as a randomly drawn source document of its class, made of sentences drawn
at random from that class's pool. Documents therefore read like the real ones and keep their
class vocabulary, but are new combinations. The seed makes the output reproducible.

Writes OUT.csv (headerless text,l1,l2,l3, like the source) and, with --jsonl, OUT.jsonl with
the same documents ({"text": ..., "label": "l1/l2/l3"}).
"""
import argparse
import csv
import json
import random
import re

SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("source")
    ap.add_argument("docs", type=int)
    ap.add_argument("out", help="output path without extension")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--jsonl", action="store_true")
    args = ap.parse_args()

    pools, lengths, labels = {}, {}, []
    with open(args.source, newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            if len(row) < 4:
                continue
            text, label = row[0], tuple(row[1:4])
            sents = [s for s in SENTENCE_END.split(text.strip()) if s]
            if not sents:
                continue
            pools.setdefault(label, []).extend(sents)
            lengths.setdefault(label, []).append(len(sents))
            labels.append(label)

    rng = random.Random(args.seed)
    csv_out = open(args.out + ".csv", "w", newline="", encoding="utf-8")
    writer = csv.writer(csv_out, lineterminator="\r\n")
    jsonl_out = open(args.out + ".jsonl", "w", encoding="utf-8") if args.jsonl else None
    for i in range(args.docs):
        # Walk the source labels in order (then again) so class proportions are kept exactly.
        label = labels[i % len(labels)]
        pool = pools[label]
        n = rng.choice(lengths[label])
        text = " ".join(rng.choice(pool) for _ in range(n))
        writer.writerow([text, *label])
        if jsonl_out:
            jsonl_out.write(json.dumps({"text": text, "label": "/".join(label)}, ensure_ascii=False))
            jsonl_out.write("\n")
    csv_out.close()
    if jsonl_out:
        jsonl_out.close()


if __name__ == "__main__":
    main()
