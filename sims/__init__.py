"""Simulations of word2vec's training dynamics (ODE, GD, pair-sampled SGD), data sources and the CLI."""
