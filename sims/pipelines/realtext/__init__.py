"""The real-text study (THEORY §5): run -> markdown and figures, also behind `w2v-theory realtext`."""

__all__ = ["figures", "markdown", "run"]
