"""Golden fixture for the optimizers: PyTorch's updates on two variables over five steps, where
the second variable has no gradient in steps 2 and 4 (a head whose task the batch lacks, as in
multi-dataset training): PyTorch skips it there, value and state untouched.

Run: pip install torch && python3 scripts/optimizer-reference.py   (writes src/__fixtures__/optimizer-reference.json)
"""
import json
import os

import torch

torch.set_default_dtype(torch.float64)

CONFIGS = [
    {"name": "adam", "spec": {"name": "adam", "learningRate": 0.01}, "make": lambda p: torch.optim.Adam(p, lr=0.01)},
    {
        "name": "adam-betas",
        "spec": {"name": "adam", "learningRate": 0.05, "beta1": 0.8, "beta2": 0.99},
        "make": lambda p: torch.optim.Adam(p, lr=0.05, betas=(0.8, 0.99)),
    },
    {
        "name": "adamw",
        "spec": {"name": "adamw", "learningRate": 0.01, "weightDecay": 0.1},
        "make": lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1),
    },
    {"name": "sgd", "spec": {"name": "sgd", "learningRate": 0.1}, "make": lambda p: torch.optim.SGD(p, lr=0.1)},
    {
        "name": "sgd-momentum",
        "spec": {"name": "sgd", "learningRate": 0.1, "momentum": 0.9},
        "make": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
    },
    {
        "name": "sgd-nesterov",
        "spec": {"name": "sgd", "learningRate": 0.1, "momentum": 0.9, "nesterov": True},
        "make": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    },
    {
        "name": "rmsprop",
        "spec": {"name": "rmsprop", "learningRate": 0.01, "decay": 0.9},
        "make": lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9),
    },
    {
        "name": "rmsprop-momentum",
        "spec": {"name": "rmsprop", "learningRate": 0.01, "decay": 0.9, "momentum": 0.5},
        "make": lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, momentum=0.5),
    },
]

INITIAL = {"a": [0.5, -1.0, 2.0, 0.25, -0.75], "b": [[1.0, -2.0], [0.5, 3.0]]}
STEPS = 5
ABSENT = {"b": {2, 4}}


def loss_of(name, value):
    # a different, non-quadratic loss per variable, so gradients change from step to step
    if name == "a":
        return ((value - 0.3) ** 2).sum() + torch.sin(value).sum()
    return (value**4).sum() * 0.1 + value.sum()


def run(config):
    parameters = {name: torch.tensor(values, requires_grad=True) for name, values in INITIAL.items()}
    optimizer = config["make"](list(parameters.values()))
    trajectory = []
    for step in range(1, STEPS + 1):
        optimizer.zero_grad(set_to_none=True)
        for name, parameter in parameters.items():
            if step in ABSENT.get(name, set()):
                continue
            loss_of(name, parameter).backward()
        optimizer.step()
        trajectory.append({name: parameter.detach().flatten().tolist() for name, parameter in parameters.items()})
    return trajectory


fixture = {
    "generatedBy": f"torch {torch.__version__}",
    "initial": INITIAL,
    "steps": STEPS,
    "absent": {name: sorted(steps) for name, steps in ABSENT.items()},
    "cases": [{"name": config["name"], "spec": config["spec"], "trajectory": run(config)} for config in CONFIGS],
}
target = os.path.join(os.path.dirname(__file__), "..", "src", "__fixtures__", "optimizer-reference.json")
with open(target, "w") as file:
    json.dump(fixture, file, indent=1)
    file.write("\n")
print(f"wrote {os.path.normpath(target)}")
