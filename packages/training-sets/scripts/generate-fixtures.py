#!/usr/bin/env python3
"""Golden fold assignments from scikit-learn for the splitter tests.

Run once with Debian's python3-sklearn (`/usr/bin/python3 scripts/generate-fixtures.py`);
the JSON output is committed so tests need no Python.
"""
import json
import os

import numpy as np
import sklearn
from sklearn.model_selection import GroupKFold, KFold, StratifiedGroupKFold, StratifiedKFold

rng = np.random.default_rng(2021)
out = {"sklearn": sklearn.__version__, "cases": []}


def assignment(splitter, n, *args):
    folds = np.full(n, -1)
    for fold, (_, test) in enumerate(splitter.split(np.zeros((n, 1)), *args)):
        folds[test] = fold
    return folds.tolist()


for case, (n, classes, k) in enumerate([(103, 4, 5), (60, 3, 3), (250, 7, 10), (37, 2, 4)]):
    weights = rng.dirichlet(np.ones(classes) * 0.8)
    labels = rng.choice(np.arange(classes) * 3 + 1, size=n, p=weights)  # class values not 0..k-1, first-appearance order matters
    for value in np.arange(classes) * 3 + 1:  # every class at least k times
        missing = k - int((labels == value).sum())
        if missing > 0:
            labels[rng.choice(n, missing, replace=False)] = value
    group_count = max(k * 2, n // 4)
    groups = np.array([f"g{g}" for g in rng.integers(0, group_count, size=n)])  # strings, as the TypeScript side sees them
    shuffled = StratifiedKFold(n_splits=k, shuffle=True, random_state=0)
    shuffled_folds = np.array(assignment(shuffled, n, labels))
    out["cases"].append({
        "labels": labels.tolist(),
        "groups": groups.tolist(),
        "folds": k,
        "stratified": assignment(StratifiedKFold(n_splits=k), n, labels),
        "stratifiedShuffledCounts": [[int(((shuffled_folds == f) & (labels == c)).sum()) for c in np.unique(labels)] for f in range(k)],
        "kFoldSizes": [int(len(test)) for _, test in KFold(n_splits=k).split(np.zeros((n, 1)))],
        "group": assignment(GroupKFold(n_splits=k), n, labels, groups),
        "stratifiedGroup": assignment(StratifiedGroupKFold(n_splits=k), n, labels, groups),
    })

with open(os.path.join(os.path.dirname(__file__), "..", "src", "__fixtures__", "sklearn-folds.json"), "w") as handle:
    json.dump(out, handle)
print("wrote", len(out["cases"]), "cases with scikit-learn", sklearn.__version__)
