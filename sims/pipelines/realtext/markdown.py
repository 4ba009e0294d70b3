"""The real-text study's section of the report (Markdown), written from its JSON-able summary alone."""

from __future__ import annotations

from pathlib import Path


def _fmt(value, percent: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{100 * value:.1f} %" if percent else f"{value:.3f}"


def markdown_section(summary: dict) -> str:
    """The report section: settings, results table, overlaps, top words along M*'s directions, timings."""
    t = summary["timings"]
    lines = [
        "## Real text",
        "",
        f"Corpus `{Path(summary['corpus']).name}`: {summary['tokens']:,} tokens "
        f"({summary['kept_tokens']:,} in the top-{summary['vocab']} vocabulary), {summary['documents']:,} documents; "
        f"V = {summary['vocab']}, d = {summary['dim']}, window L = {summary['window']} per side, k = 1.",
        f"Analogies: {summary['questions']} of {summary['questions_in_file']} Google questions have all four words "
        f"in the vocabulary (3CosAdd on unit vectors, query words excluded). "
        f"WordSim-353: {summary['wordsim_pairs']} in-vocabulary pairs.",
        "",
        "| embedding | analogy accuracy | WordSim ρ |",
        "|---|---|---|",
    ]
    for m, label in summary["labels"].items():
        lines.append(f"| {label} | {_fmt(summary['analogy'][m], True)} | {_fmt(summary['wordsim'][m])} |")
    lines += ["", f"Subspace overlaps ‖A_k^T B_k‖²/k over the top k = {summary['overlap_directions']} directions "
                  "(1 = same subspace):", ""]
    lines += [f"- {pair}: {value:.3f}" for pair, value in summary["overlap"].items()]
    lines += ["", "Top words along M*'s leading eigenvectors (largest + / − coordinates):", ""]
    for key, side in summary["top_words"].items():
        lines.append(f"- {key} (+): {', '.join(side['positive'])}; (−): {', '.join(side['negative'])}")
    tr = summary["training"]
    if tr["method"] == "sgd":
        how = (f"SGD on uniformly sampled entries with their exact pair terms (sims.simulators.sgd, "
               f"sampler=\"{tr['sampler']}\"; "
               f"batch {tr['batch']}), lr = {tr['lr']:.3g} for {tr['steps']} steps then lr/{tr['anneal_factor']:g} for "
               f"{tr['anneal_steps']} steps (SGNS at twice the lr)")
    else:
        how = (f"full-batch GD on the exact expected loss, lr = {tr['lr']:.3g} for {tr['steps']} steps "
               "(trainer=\"gd\")")
    lines += ["", f"Training from small random init (σ = {tr['init_scale']:.3g}): {how}; flow time "
                  f"{tr['flow_time']:.3g} (step {tr['flow_step_x_lambda1']:.3g}/λ₁); word2vec "
                  f"{tr['word2vec_epochs']} epochs.",
              "Timings (s): " + ", ".join(f"{k} {v}" for k, v in t.items()),
              "",
              "Conventions: PMI is set to 0 where P_ij = 0 before its PCA; gensim has no tied weights "
              "(we evaluate its centre vectors) and runs with sample=0, ns_exponent=1 to match P_ij / P_iP_j."]
    lines += [f"Note: {n}" for n in summary["notes"]]
    return "\n".join(lines) + "\n"
