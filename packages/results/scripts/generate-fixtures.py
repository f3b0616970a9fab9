#!/usr/bin/env python3
"""Golden metrics from scikit-learn for the metric tests.

Run once with Debian's python3-sklearn (`/usr/bin/python3 scripts/generate-fixtures.py`); the
JSON is committed so tests need no Python.
"""
import json
import os

import numpy as np
import sklearn
from sklearn.metrics import (accuracy_score, average_precision_score, confusion_matrix, hamming_loss,
                             multilabel_confusion_matrix, precision_recall_fscore_support, roc_auc_score)

rng = np.random.default_rng(7)
cases = []


def prf(y_true, y_pred, labels, average):
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, average=average, zero_division=0)
    return {"precision": np.atleast_1d(p).tolist(), "recall": np.atleast_1d(r).tolist(), "f1": np.atleast_1d(f).tolist(),
            "support": None if s is None else np.atleast_1d(s).tolist()}


# multi-class, 5 labels, label 4 absent from truth and predictions, label 3 only predicted
n = 60
y_true = rng.choice([0, 1, 2], size=n, p=[0.5, 0.3, 0.2])
y_pred = np.where(rng.random(n) < 0.7, y_true, rng.choice([0, 1, 2, 3], size=n))
labels = list(range(5))
cases.append({"kind": "multi-class", "labels": 5, "truth": y_true.tolist(), "predicted": y_pred.tolist(),
              "perLabel": prf(y_true, y_pred, labels, None), "macro": prf(y_true, y_pred, labels, "macro"),
              "weighted": prf(y_true, y_pred, labels, "weighted"), "micro": prf(y_true, y_pred, labels, "micro"),
              "accuracy": accuracy_score(y_true, y_pred), "confusion": confusion_matrix(y_true, y_pred, labels=labels).tolist()})

# binary with scores (ties included)
n = 50
y_true = (rng.random(n) < 0.35).astype(int)
scores = np.clip(y_true * 0.35 + rng.random(n) * 0.65, 0, 1).round(2)
y_pred = (scores >= 0.5).astype(int)
cases.append({"kind": "binary", "labels": 2, "truth": y_true.tolist(), "predicted": y_pred.tolist(), "scores": scores.tolist(),
              "perLabel": prf(y_true, y_pred, [0, 1], None), "macro": prf(y_true, y_pred, [0, 1], "macro"),
              "weighted": prf(y_true, y_pred, [0, 1], "weighted"), "accuracy": accuracy_score(y_true, y_pred),
              "rocAuc": roc_auc_score(y_true, scores), "averagePrecision": average_precision_score(y_true, scores),
              "confusion": confusion_matrix(y_true, y_pred, labels=[0, 1]).tolist()})

# multi-label, 4 labels, label 3 never positive in the truth
n = 40
rates = [0.5, 0.3, 0.15, 0.0]
y_true = (rng.random((n, 4)) < rates).astype(int)
scores = np.clip(y_true * 0.4 + rng.random((n, 4)) * 0.6, 0, 1).round(3)
y_pred = (scores >= 0.5).astype(int)
roc = [roc_auc_score(y_true[:, k], scores[:, k]) if 0 < y_true[:, k].sum() < n else None for k in range(4)]
ap = [average_precision_score(y_true[:, k], scores[:, k]) if y_true[:, k].sum() > 0 else None for k in range(4)]
cases.append({"kind": "multi-label", "labels": 4, "truth": y_true.tolist(), "predicted": y_pred.tolist(), "scores": scores.tolist(),
              "perLabel": prf(y_true, y_pred, None, None), "macro": prf(y_true, y_pred, None, "macro"),
              "weighted": prf(y_true, y_pred, None, "weighted"), "micro": prf(y_true, y_pred, None, "micro"),
              "samples": prf(y_true, y_pred, None, "samples"),
              "subsetAccuracy": accuracy_score(y_true, y_pred), "hammingLoss": hamming_loss(y_true, y_pred),
              "rocAuc": roc, "averagePrecision": ap, "confusion": multilabel_confusion_matrix(y_true, y_pred).tolist()})

with open(os.path.join(os.path.dirname(__file__), "..", "src", "__fixtures__", "sklearn-metrics.json"), "w") as handle:
    json.dump({"sklearn": sklearn.__version__, "cases": cases}, handle)
print("wrote", len(cases), "cases")
