"""Claims of THEORY.md and open conjectures: one registry (definitions, hypotheses, measurements) and its ledger."""

from sims.claims.cases import FlowCase
from sims.claims.registry import (REGISTRY, Claim, Hypothesis, Measurement, Outcome, Violation, all_claims, evaluate,
                                  get, register, require, unmet_hypotheses)

__all__ = ["REGISTRY", "Claim", "FlowCase", "Hypothesis", "Measurement", "Outcome", "Violation", "all_claims",
           "evaluate", "get", "register", "require", "unmet_hypotheses"]
