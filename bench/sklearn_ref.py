#!/usr/bin/env python3
"""The scikit-learn reference a user would write: TF-IDF over word 1-2-grams with sublinear tf
(TfidfVectorizer defaults otherwise) and LinearSVC (defaults: C=1, squared hinge, one-vs-rest)
on the flat leaf label path. Reads SPLIT/train.tsv and SPLIT/validation.tsv (label<TAB>text,
written by `htc-trainer ingest --split-out`, the tool's own split of the same file), trains,
predicts the validation split and prints JSON: accuracy per level (prefix of the predicted
path), leaf accuracy, and the seconds of each stage. The process's own wall time (including
the interpreter start and reading the files) is measured by the caller."""
import json
import sys
import time

t_start = time.perf_counter()
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402


def read(path):
    labels, texts = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            label, _, text = line.rstrip("\n").partition("\t")
            labels.append(label)
            texts.append(text)
    return labels, texts


def main():
    split = sys.argv[1]
    t0 = time.perf_counter()
    y_train, x_train = read(split + "/train.tsv")
    y_val, x_val = read(split + "/validation.tsv")
    t1 = time.perf_counter()
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    xt = vec.fit_transform(x_train)
    t2 = time.perf_counter()
    clf = LinearSVC()
    clf.fit(xt, y_train)
    t3 = time.perf_counter()
    pred = clf.predict(vec.transform(x_val))
    t4 = time.perf_counter()
    depth = max(len(y.split("/")) for y in y_val)
    levels = []
    for k in range(1, depth + 1):
        ok = sum(p.split("/")[:k] == t.split("/")[:k] for p, t in zip(pred, y_val))
        levels.append(ok / len(y_val))
    leaf = sum(p == t for p, t in zip(pred, y_val)) / len(y_val)
    print(json.dumps({
        "train": len(y_train), "validation": len(y_val),
        "level_accuracy": levels, "leaf_accuracy": leaf,
        "features": len(vec.vocabulary_),
        "seconds": {"import": t0 - t_start, "read": t1 - t0, "vectorize": t2 - t1,
                    "fit": t3 - t2, "predict_validation": t4 - t3},
        "predict_docs_per_s": len(y_val) / (t4 - t3) if t4 > t3 else 0,
    }))


if __name__ == "__main__":
    main()
