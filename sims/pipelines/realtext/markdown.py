"""The real-text study's section of the report (Markdown), written from its JSON-able summary alone."""

from __future__ import annotations

from pathlib import Path


def _fmt(value, percent: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{100 * value:.1f} %" if percent else f"{value:.3f}"


def _cell(scores: dict | None, name: str, kind: str) -> str:
    if not scores or name not in scores:
        return "n/a"
    return _fmt(scores[name]["score"], kind == "analogy")


def markdown_section(summary: dict) -> str:
    """The report section: settings, the rows x sets table with coverage, Google families, the corpus-size and
    rank sweeps, overlaps, top words along M*'s directions, timings and notes."""
    sets = summary["sets"]
    coverage = summary["coverage"]
    scores = summary["scores"]
    names = [n for n in sets if n in coverage]
    lines = [
        "## Real text",
        "",
        f"Corpus `{Path(str(summary['corpus']).split(', ')[0]).name}`: {summary['tokens']:,} tokens "
        f"({summary['kept_tokens']:,} in the top-{summary['vocab']} vocabulary), {summary['documents']:,} documents; "
        f"V = {summary['vocab']}, d = {summary['dim']}, window L = {summary['window']} per side, k = 1.",
        "Analogies: 3CosAdd on unit vectors over the whole vocabulary, query words excluded, questions with all four "
        "words in the vocabulary; similarity: Spearman ρ of cosine against the human scores, pairs in the "
        "vocabulary. Coverage (in vocabulary / in the file) is under each set's name.",
        "",
        "| embedding | " + " | ".join(sets[n]["label"] for n in names) + " |",
        "|---|" + "---|" * len(names),
        "| *coverage* | " + " | ".join(f"*{coverage[n]['covered']}/{coverage[n]['total']}*" for n in names) + " |",
    ]
    for m, label in summary["labels"].items():
        lines.append(f"| {label} | " + " | ".join(_cell(scores.get(m), n, sets[n]["kind"]) for n in names) + " |")
    families = _families(summary)
    if families:
        lines += ["", "Google analogies per family (accuracy; questions in vocabulary in parentheses):", ""] + families
    sweep = summary.get("size_sweep") or []
    if len(sweep) > 1:
        shown = [n for n in ("google", "ws353", "simlex", "men") if n in coverage]
        rows = [m for m in summary["labels"] if any(p["scores"].get(m) for p in sweep)]
        how = ("its first documents" if summary.get("size_order") == "prefix" else
               "documents spread evenly over the corpus (document i when frac(0.618 i) < f), each subset inside "
               "the next")
        lines += ["", f"Corpus size (a fraction f of the corpus: {how}; each recounted with its own top-V words; "
                      "`realtext_corpus_size.png`):", "",
                  "| embedding | set | " + " | ".join(f"{p['fraction']:g} ({p['tokens']:,} tokens)" for p in sweep) + " |",
                  "|---|---|" + "---|" * len(sweep)]
        for m in rows:
            for n in shown:
                cells = [_cell(p["scores"].get(m), n, sets[n]["kind"]) for p in sweep]
                lines.append(f"| {summary['labels'][m]} | {sets[n]['label']} | " + " | ".join(cells) + " |")
    rank = summary.get("rank_sweep")
    if rank:
        lines += ["", _rank_text(rank, summary)]
    lines += ["", f"Subspace overlaps ‖A_k^T B_k‖²/k over the top k = {summary['overlap_directions']} directions "
                  "(1 = same subspace):", ""]
    lines += [f"- {pair}: {value:.3f}" for pair, value in summary["overlap"].items()]
    every = summary.get("overlap_all_modes") or {}
    if every:
        lines += ["", f"The same over all {summary['learned_modes']} learned modes of M* (each row's top "
                      f"{summary['learned_modes']} left singular directions against M*'s eigenvectors):", ""]
        lines += [f"- {summary['labels'].get(m, m)}: {value:.3f}" for m, value in every.items()]
    lines += ["", "Top words along M*'s leading eigenvectors (largest + / − coordinates):", ""]
    for key, side in summary["top_words"].items():
        lines.append(f"- {key} (+): {', '.join(side['positive'])}; (−): {', '.join(side['negative'])}")
    tr = summary.get("training")
    if tr:
        if tr["method"] == "sgd":
            how = (f"SGD on uniformly sampled entries with their exact pair terms (sims.simulators.sgd, "
                   f"sampler=\"{tr['sampler']}\"; batch {tr['batch']}), lr = {tr['lr']:.3g} for {tr['steps']} steps "
                   f"then lr/{tr['anneal_factor']:g} for {tr['anneal_steps']} steps (SGNS at twice the lr)")
        elif tr["method"] == "pairs":
            how = (f"the paper's SGD, 50,000 positive + 50,000 negative sampled pairs per step (sims.simulators.sgd."
                   f"paper_sgd), lr = {tr['lr']:.3g} for {tr['steps']} steps (SGNS at twice the lr)")
        else:
            late = (f", then lr = {tr['late_lr']:.3g} for {tr['late_steps']} steps once the top modes have risen"
                    if tr.get("late_steps") else "")
            how = (f"full-batch GD on the exact expected loss, lr = {tr['lr']:.3g} for {tr['steps']} steps{late} "
                   "(trainer=\"gd\")")
        lines += ["", f"Training from small random init (σ = {tr['init_scale']:.3g}): {how}; flow time "
                      f"{tr['flow_time']:.3g} of the {tr['flow_time_needed']:.3g} that 1.5x the last predicted step "
                      f"time asks for (step {tr['flow_step_x_lambda1']:.3g}/λ₁)."]
        lines += ["", _training_table(summary, tr)]
    glove = summary.get("glove")
    if glove:
        lines += ["", f"GloVe (sims.simulators.glove, its own weights f(X) = min(1, (X/{glove['x_max']:g})^{glove['alpha']:g}) "
                      f"on observed pairs, tied, biases at their optimum each step) from σ = {glove['sigma']:.3g}: lr "
                      f"{glove['lr']:.3g} for {glove['steps']} steps, flow time {glove['flow_time']:.3g} of "
                      f"{glove['t_needed']:.3g}; top-10 overlap with its closed form's target C = J log(1 + X) J "
                      f"{_fmt(glove['overlap_top10'])}, with its linearised target K {_fmt(glove['overlap_top10_linearised'])}; "
                      f"{glove['effective_rank']} modes past half height (of K). Conjecture C-GLOVE-STEPWISE "
                      "(tests/conjectures/expected.py) records whether it learns C's directions one at a time."]
    if summary.get("word2vec_epochs"):
        lines.append(f"word2vec: {summary['word2vec_epochs']} epochs.")
    t = summary["timings"]
    lines += ["", "Timings (s): " + ", ".join(f"{k} {v}" for k, v in t.items()),
              "",
              "Conventions: the suite's PMI row sets PMI to 0 where P_ij = 0; the paper's PMI row is "
              "ln(P_ij/(P_iP_j) + 1e-25), -57.6 wherever a pair was never seen; both then take the top-d PCA like "
              "M*. gensim has no tied weights (we evaluate its centre vectors) and runs with sample=0, "
              "ns_exponent=1 to match P_ij / P_iP_j."]
    lines += [f"Note: {n}" for n in summary["notes"]]
    captions = {"realtext_scores.png": "Every row on every evaluation set",
                "realtext_corpus_size.png": "Scores against corpus size (prefixes)",
                "realtext_rank.png": "Rank as early stopping: the closed form at rank k vs trained QWEM at effective rank k",
                "realtext_dynamics.png": "Trained QWEM (and SGNS) against the closed-form curves (paper Fig. 1)",
                "realtext_init_scale.png": "QWEM from a small and from a word2vec-sized init, against t/τ₁ "
                                           "(paper Fig. 2)",
                "realtext_overlap.png": "Squared overlaps with M*'s eigenvectors (paper Fig. 5)"}
    for name in summary.get("figures", []):
        lines += ["", f"![{captions.get(name, name)}]({name})"]
    return "\n".join(lines) + "\n"


def _training_table(summary: dict, tr: dict) -> str:
    """Per trained row: modes past half height at the end (of M*'s learned modes), the top-10 and all-mode overlaps."""
    modes = tr.get("learned_modes", summary.get("learned_modes"))
    rows = ["| trained row | modes past half height at the end | overlap, top "
            f"{summary['overlap_directions']} | overlap, all {modes} modes | every mode learned? |", "|---|---|---|---|---|"]
    for name, rank in tr["final_effective_rank"].items():
        top = summary["overlap"].get(f"{name}~pca_mstar")
        every = summary.get("overlap_all_modes", {}).get(name)
        done = "yes" if rank >= modes else f"no: {modes - rank} modes below half height when training stopped"
        rows.append(f"| {summary['labels'].get(name, name)} | {rank} of {modes} | {_fmt(top)} | {_fmt(every)} | {done} |")
    return "\n".join(rows)


def _families(summary: dict) -> list[str]:
    rows = {m: (summary["scores"].get(m) or {}).get("google", {}).get("families") for m in summary["labels"]}
    first = next((f for f in rows.values() if f), None)
    if not first:
        return []
    families = list(first)
    lines = ["| embedding | " + " | ".join(f"{f} ({first[f]['covered']})" for f in families) + " |",
             "|---|" + "---|" * len(families)]
    for m, fam in rows.items():
        if fam:
            lines.append(f"| {summary['labels'][m]} | " + " | ".join(_fmt(fam[f]["score"], True) for f in families)
                         + " |")
    return lines


def _rank_text(rank: dict, summary: dict) -> str:
    """One paragraph: the closed form's Google accuracy and WordSim rho at a few ranks, and QWEM's where recorded."""
    columns = rank["columns"]
    ks = rank["k"]
    marks = sorted({k for k in (1, 2, 5, 10, 20, 40, 50, 100, 200, ks[-1]) if k in ks})
    parts = []
    for column, percent in (("google", True), ("ws353", False)):
        if column not in columns:
            continue
        j = columns.index(column)
        values = ", ".join(f"k={k}: {_fmt(rank['closed_form'][ks.index(k)][j], percent)}" for k in marks if k in ks)
        parts.append(f"{summary['sets'][column]['label']} {values}")
    text = ("Rank as early stopping (THEORY §7; `realtext_rank.png`): the closed form truncated at rank k — "
            + "; ".join(parts) + ".")
    if "qwem" in rank:
        record = rank["qwem"]
        j = columns.index("google") if "google" in columns else 0
        seen = {}
        for r, row in zip(record["rank"], record["scores"]):
            seen.setdefault(r, row[j])
        picks = [k for k in marks if k in seen]
        if picks:
            text += (" Trained QWEM on Google at the first record of effective rank k: "
                     + ", ".join(f"k={k}: {_fmt(seen[k], True)}" for k in picks) + ".")
    return text
