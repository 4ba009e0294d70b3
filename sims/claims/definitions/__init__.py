"""Claim and conjecture definitions, one module per THEORY section; importing this package registers them all."""

from sims.claims.definitions import s1_counting, s1_objects, s2_exact, s2_flow, s3_dynamics, s4_discrete  # noqa: F401
from sims.claims.definitions import conjectures, maps, s4_stability  # noqa: F401
from sims.claims.definitions import s1_derivation, s4_gd, s4_sgd, s5_realtext  # noqa: F401
from sims.claims.definitions import s2_cli  # noqa: F401
from sims.claims.definitions import s1_streaming, s2_topk, s5_realtext_eval  # noqa: F401
from sims.claims.definitions import s5_glove  # noqa: F401
from sims.claims.definitions import s5_ablation  # noqa: F401

__all__ = ["s1_counting", "s1_objects", "s2_exact", "s2_flow", "s3_dynamics", "s4_discrete",
           "s1_derivation", "s4_gd", "s4_sgd", "s5_realtext"]
