#!/usr/bin/env python3
"""Golden fold assignments from scikit-learn 1.9.1 for the splitter tests.

Run once (`pip install scikit-learn==1.9.1`, then `python3 scripts/generate-fixtures.py` from
packages/training-sets); the JSON output is committed, with the scikit-learn version in it, so
the TypeScript tests need no Python.

Two sets of cases: four larger hand-made ones (class values not 0..k-1, so first-appearance
order matters) and many small random ones (equal-size groups, ties between classes, classes
smaller than the fold count) that exercise tie-breaking. Every case records the unshuffled
KFold, StratifiedKFold, GroupKFold and StratifiedGroupKFold assignments, or the error
StratifiedKFold raises / the warning it gives.
"""
import json
import os
import warnings

import numpy as np
import sklearn
from sklearn.model_selection import GroupKFold, KFold, StratifiedGroupKFold, StratifiedKFold

rng = np.random.default_rng(2021)
out = {"sklearn": sklearn.__version__, "cases": [], "random": []}


def assignment(splitter, n, *args):
    folds = np.full(n, -1)
    for fold, (_, test) in enumerate(splitter.split(np.zeros((n, 1)), *args)):
        folds[test] = fold
    return folds.tolist()


def outcome(splitter, n, *args):
    """The assignment, or {"error": message}; "warned" is true when scikit-learn warned."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = {"folds": assignment(splitter, n, *args)}
        except ValueError as error:
            return {"error": str(error)}
    result["warned"] = any(issubclass(w.category, UserWarning) for w in caught)
    return result


for case, (n, classes, k) in enumerate([(103, 4, 5), (60, 3, 3), (250, 7, 10), (37, 2, 4)]):
    weights = rng.dirichlet(np.ones(classes) * 0.8)
    labels = rng.choice(np.arange(classes) * 3 + 1, size=n, p=weights)
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
        "kFold": assignment(KFold(n_splits=k), n),
        "group": assignment(GroupKFold(n_splits=k), n, labels, groups),
        "stratifiedGroup": assignment(StratifiedGroupKFold(n_splits=k), n, labels, groups),
    })

for case in range(150):
    n = int(rng.integers(4, 48))
    k = int(rng.integers(2, min(n, 7) + 1))
    classes = int(rng.integers(1, 6)) if case % 3 else int(rng.integers(2, 9))
    labels = rng.integers(0, classes, size=n) * 2 + 3  # not 0..k-1
    if classes == 1 or len(np.unique(labels)) == 1:
        labels[0] = 1  # StratifiedKFold needs a binary or multi-class target
    group_count = int(rng.integers(k, max(k, n // 2) + 1)) if case % 4 else n  # some cases: every example its own group
    groups = np.array([f"s{g:02d}" for g in rng.integers(0, group_count, size=n)])
    stratified = outcome(StratifiedKFold(n_splits=k), n, labels)
    entry = {
        "labels": labels.tolist(),
        "groups": groups.tolist(),
        "folds": k,
        "kFold": assignment(KFold(n_splits=k), n),
        "stratified": stratified,
    }
    if len(np.unique(groups)) >= k:
        entry["group"] = assignment(GroupKFold(n_splits=k), n, labels, groups)
        entry["stratifiedGroup"] = outcome(StratifiedGroupKFold(n_splits=k), n, labels, groups)
    out["random"].append(entry)

with open(os.path.join(os.path.dirname(__file__), "..", "src", "__fixtures__", "sklearn-folds.json"), "w") as handle:
    json.dump(out, handle)
print("wrote", len(out["cases"]), "+", len(out["random"]), "cases with scikit-learn", sklearn.__version__)
