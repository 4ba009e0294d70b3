"""The paper's ablation (its Figure 7): {QWEM, SGNS} x {Setting 3.1, word2vec's Ψ} from one W(0); run -> figures, markdown."""

__all__ = ["figures", "markdown", "run"]
