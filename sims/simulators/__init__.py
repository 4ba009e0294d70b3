"""The simulators of word2vec's training (gradient-flow ODE, full-batch GD, minibatch SGD) and their registry.

One registry serves the CLI (`simulate --method`), the report (`--methods`) and the tests: a name maps to
the module and function that run it, imported on first use (GD and SGD load torch, the ODE does not).
"""

from __future__ import annotations

import importlib

# name -> (module, function, what it simulates)
SIMULATORS = {
    "ode": ("sims.simulators.ode", "run_ode", "gradient-flow ODE dW/dt = -1/2 (WW^T - M*) W (SciPy DOP853)"),
    "gd": ("sims.simulators.gd", "run_gd", "full-batch gradient descent on the QWEM (or expected SGNS) loss"),
    "sgd": ("sims.simulators.sgd", "run_sgd", "word2vec's minibatch SGD on sampled pairs (or matrix entries)"),
}
NAMES = tuple(SIMULATORS)


def simulator(name: str):
    """The run function of simulator `name` (KeyError lists the known names)."""
    try:
        module, function, _ = SIMULATORS[name]
    except KeyError:
        raise KeyError(f"no simulator {name!r}; known: {', '.join(NAMES)}") from None
    return getattr(importlib.import_module(module), function)


__all__ = ["NAMES", "SIMULATORS", "simulator"]
