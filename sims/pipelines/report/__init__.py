"""The `w2v-theory report` pipeline: scenario -> run (closed form, ODE, GD, SGD) -> claims -> markdown and figures."""

__all__ = ["claims", "figures", "markdown", "run", "scenario"]
