"""Mathematics of word2vec's learning dynamics: target matrix, symbolic derivations, closed-form predictions."""

from theory.validation import InputError

__all__ = ["InputError"]
