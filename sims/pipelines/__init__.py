"""Study pipelines: the synthetic report (`report/`) and the real-text study (`realtext/`), each run -> claims -> outputs."""

__all__ = ["realtext", "report"]
