#!/usr/bin/env python3
"""Golden metrics from scikit-learn 1.9.1 for the metric tests.

Run once (`pip install scikit-learn==1.9.1`, then `python3 scripts/generate-fixtures.py` from
packages/results); the JSON is committed, with the scikit-learn version in it, so the TypeScript
tests need no Python.

Besides scikit-learn's own metrics, the binary cases hold two reference EERs and a min-DCF:
- EER "linear": the FAR = FRR crossing of the ROC interpolated linearly, computed as the common
  speaker-verification recipe does, `brentq(lambda x: 1 - x - interp1d(fpr, tpr)(x), 0, 1)` over
  scikit-learn's `roc_curve`;
- EER "nearest": ASVspoof's `eval_metrics.py` `compute_eer` (target = positive scores first, then
  non-target, a stable sort, the point where |FRR - FAR| is smallest, EER = their mean);
- min-DCF: min over roc_curve points of C_miss * P_miss * P_target + C_fa * P_fa * (1 - P_target),
  divided by min(C_miss * P_target, C_fa * (1 - P_target)) (NIST SRE normalisation).
"""
import json
import os

import numpy as np
import sklearn
import warnings

from scipy.interpolate import interp1d
from scipy.optimize import brentq
from sklearn.metrics import (accuracy_score, average_precision_score, balanced_accuracy_score, confusion_matrix,
                             hamming_loss, multilabel_confusion_matrix, precision_recall_fscore_support, roc_auc_score,
                             roc_curve, top_k_accuracy_score)

warnings.simplefilter("ignore")  # scikit-learn warns on labels without positives; the values are what we compare

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
ap = average_precision_score(y_true, scores, average=None).tolist()  # a label without positives scores 0
cases.append({"kind": "multi-label", "labels": 4, "truth": y_true.tolist(), "predicted": y_pred.tolist(), "scores": scores.tolist(),
              "perLabel": prf(y_true, y_pred, None, None), "macro": prf(y_true, y_pred, None, "macro"),
              "weighted": prf(y_true, y_pred, None, "weighted"), "micro": prf(y_true, y_pred, None, "micro"),
              "samples": prf(y_true, y_pred, None, "samples"),
              "subsetAccuracy": accuracy_score(y_true, y_pred), "hammingLoss": hamming_loss(y_true, y_pred),
              "rocAuc": roc, "averagePrecision": ap, "meanAveragePrecision": average_precision_score(y_true, scores, average="macro"),
              "confusion": multilabel_confusion_matrix(y_true, y_pred).tolist()})


def eer_linear(y, s):
    fpr, tpr, _ = roc_curve(y, s)
    return brentq(lambda x: 1.0 - x - interp1d(fpr, tpr)(x), 0.0, 1.0)


def eer_nearest(target_scores, nontarget_scores):
    n_scores = target_scores.size + nontarget_scores.size
    all_scores = np.concatenate((target_scores, nontarget_scores))
    labels = np.concatenate((np.ones(target_scores.size), np.zeros(nontarget_scores.size)))
    indices = np.argsort(all_scores, kind="mergesort")
    labels = labels[indices]
    tar_trial_sums = np.cumsum(labels)
    nontarget_trial_sums = nontarget_scores.size - (np.arange(1, n_scores + 1) - tar_trial_sums)
    frr = np.concatenate((np.atleast_1d(0), tar_trial_sums / target_scores.size))
    far = np.concatenate((np.atleast_1d(1), nontarget_trial_sums / nontarget_scores.size))
    min_index = np.argmin(np.abs(frr - far))
    return float(np.mean((frr[min_index], far[min_index])))


def min_dcf(y, s, p_target, c_miss, c_fa):
    fpr, tpr, _ = roc_curve(y, s)
    fnr = 1 - tpr
    cost = c_miss * fnr * p_target + c_fa * fpr * (1 - p_target)
    return float(np.min(cost) / min(c_miss * p_target, c_fa * (1 - p_target)))


costs = [[0.01, 1, 1], [0.05, 1, 10], [0.5, 1, 1]]
detection = []
for case in range(40):
    n = int(rng.integers(6, 120))
    y = (rng.random(n) < rng.uniform(0.15, 0.85)).astype(int)
    y[0], y[1] = 0, 1
    separation = rng.uniform(0, 2)
    scores = rng.normal(size=n) + separation * y
    if case % 2:
        scores = np.round(scores, 1)  # ties
    if case % 3 == 0:
        scores = 1 / (1 + np.exp(-scores))  # probabilities
    scores = scores.astype(np.float32).astype(np.float64)  # the TypeScript side stores float32
    detection.append({"truth": y.tolist(), "scores": scores.tolist(),
                      "rocAuc": roc_auc_score(y, scores), "averagePrecision": average_precision_score(y, scores),
                      "eerLinear": eer_linear(y, scores), "eerNearest": eer_nearest(scores[y == 1], scores[y == 0]),
                      "minDcf": [[p, cm, cf, min_dcf(y, scores, p, cm, cf)] for p, cm, cf in costs]})

# multi-label mAP where labels lack positives: scikit-learn scores them 0 in the macro mean
n = 12
y_true = (rng.random((n, 5)) < [0.5, 0.3, 0.0, 0.4, 0.0]).astype(int)
y_true[0, 0] = 1
scores = np.round(rng.random((n, 5)), 2)
average_precision = {"truth": y_true.tolist(), "scores": scores.tolist(),
                     "perLabel": average_precision_score(y_true, scores, average=None).tolist(),
                     "macro": average_precision_score(y_true, scores, average="macro")}

# balanced accuracy and top-k accuracy, multi-class with 6 labels (label 5 never true; label 4 only predicted)
balanced = []
for case in range(20):
    n = int(rng.integers(5, 60))
    y_true = rng.integers(0, 5 if case % 2 else 4, size=n)
    y_true[0] = 0
    scores = np.round(rng.random((n, 6)) + np.eye(6)[y_true] * rng.uniform(0, 1), 1)  # ties
    y_pred = scores.argmax(axis=1)
    scores = scores.astype(np.float32).astype(np.float64)
    balanced.append({"truth": y_true.tolist(), "predicted": y_pred.tolist(), "scores": scores.tolist(),
                     "balancedAccuracy": balanced_accuracy_score(y_true, y_pred),
                     "adjustedBalancedAccuracy": balanced_accuracy_score(y_true, y_pred, adjusted=True),
                     "topK": [top_k_accuracy_score(y_true, scores, k=k, labels=list(range(6))) for k in range(1, 7)]})

errors = {}
for name, function in [("rocAuc", roc_auc_score), ("averagePrecision", average_precision_score)]:
    for bad in ["nan", "inf"]:
        try:
            function([0, 1, 0, 1], [0.1, float(bad), 0.3, 0.4])
            errors[f"{name}-{bad}"] = None
        except ValueError as error:
            errors[f"{name}-{bad}"] = str(error)

with open(os.path.join(os.path.dirname(__file__), "..", "src", "__fixtures__", "sklearn-metrics.json"), "w") as handle:
    json.dump({"sklearn": sklearn.__version__, "cases": cases, "detection": detection, "averagePrecision": average_precision,
               "balanced": balanced, "errors": errors}, handle)
print("wrote", len(cases), "cases")
