"""The real-text study (THEORY §5): run -> markdown and figures, also behind `w2v-theory realtext`."""

# The study's defaults, here so that the commands (`realtext`, `report --corpus`) read them without importing run:
# vocabulary V, embedding dimension d, window L, and the corpus-size sweep's fractions of the corpus (every one
# costs as much as the whole corpus's spectra: V, not the corpus, sets the cost).
DEFAULT_VOCAB, DEFAULT_DIM, DEFAULT_WINDOW = 2000, 50, 16
SIZES = (0.25, 0.5, 1.0)
SIZES_TEXT = "1/4,1/2,1"

__all__ = ["DEFAULT_DIM", "DEFAULT_VOCAB", "DEFAULT_WINDOW", "SIZES", "SIZES_TEXT", "figures", "markdown", "run"]
