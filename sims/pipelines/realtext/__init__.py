"""The real-text study (THEORY §5): run -> markdown and figures, also behind `w2v-theory realtext`."""

# The study's defaults, here so that the commands (`realtext`, `report --corpus`) read them without importing run:
# vocabulary V, embedding dimension d, window L.
DEFAULT_VOCAB, DEFAULT_DIM, DEFAULT_WINDOW = 2000, 50, 16

__all__ = ["DEFAULT_DIM", "DEFAULT_VOCAB", "DEFAULT_WINDOW", "figures", "markdown", "run"]
