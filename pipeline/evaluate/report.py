"""The evaluation report: report.md, PNG plots (matplotlib, Agg) and scores.json, each written atomically."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

from pipeline.workdir import atomic_write_bytes

TOP_PROPERTIES = 10


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def _cell(s: str) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def _rows(scores: dict):
    for cname, c in scores["corpora"].items():
        for tname, t in c.get("tasks", {}).items():
            yield cname, tname, t


def _write(path: Path, data: bytes) -> Path:
    """Temp file + rename; then readable by all, like any report (mkstemp makes it 0600)."""
    atomic_write_bytes(path, data)
    os.chmod(path, 0o644)
    return path


def _save(fig, path: Path) -> Path:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return _write(path, buf.getvalue())


def plot_f1(scores: dict, path: Path) -> Path | None:
    """Per corpus × task: strict and overlap F1 side by side, dev goals as markers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = list(_rows(scores))
    if not rows:
        return None
    goals = {(g["corpus"], g["task"]): g for g in scores.get("goals", [])}
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(rows) + 1.2))
    y = list(range(len(rows)))
    for k, (level, color) in enumerate((("strict", "#4c72b0"), ("overlap", "#dd8452"))):
        vals = [t["levels"][level]["f1"] for _, _, t in rows]
        ax.barh([i + (k - 0.5) * 0.38 for i in y], vals, height=0.38, color=color, label=f"F1 {level}")
    for i, (cname, tname, t) in enumerate(rows):
        ax.text(
            t["levels"]["overlap"]["f1"] + 0.01,
            i + 0.19,
            f"{t['levels']['overlap']['f1']:.2f}",
            va="center",
            fontsize=7,
        )
        g = goals.get((cname, tname))
        if g:
            ax.plot([g["threshold"]] * 2, [i - 0.45, i + 0.45], color="black", lw=2)
    ax.set_yticks(y, [f"{c} / {t}" for c, t, _ in rows])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("F1 (black line: dev goal)")
    ax.set_title(f"F1 per corpus and task — {scores.get('extractor', '')}")
    ax.legend(loc="lower right")
    try:
        return _save(fig, path)
    finally:
        plt.close(fig)


def plot_properties(scores: dict, path: Path) -> Path | None:
    """Per task with several gold properties: overlap F1 of its most frequent ones."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [  # single-property tasks are already in the per-task plot
        (c, t, task)
        for c, t, task in _rows(scores)
        if sum(1 for v in task.get("per_property", {}).values() if v["gold"]) > 1
    ]
    if not panels:
        return None
    fig, axes = plt.subplots(len(panels), 1, figsize=(8, 2.9 * len(panels)), squeeze=False)
    for ax, (cname, tname, task) in zip(axes[:, 0], panels, strict=True):
        items = [kv for kv in task["per_property"].items() if kv[1]["gold"]][:TOP_PROPERTIES]
        ax.barh(range(len(items)), [v["f1"] for _, v in items], color="#55a868")
        for i, (_, v) in enumerate(items):
            ax.text(min(v["f1"], 0.9) + 0.01, i, f"{v['f1']:.2f}", va="center", fontsize=7)
        ax.set_yticks(range(len(items)), [f"{k[:40]} (n={v['gold']})" for k, v in items], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_title(f"{cname} / {tname}: F1 (overlap) per property", fontsize=10)
    fig.tight_layout()
    try:
        return _save(fig, path)
    finally:
        plt.close(fig)


def _attrs(t: dict) -> str:
    out = []
    for name, a in t["attrs"].get("overlap", {}).items():
        if a["total"]:
            out.append(f"{name} {a['accuracy']:.3f} ({a['correct']}/{a['total']})")
    return "; ".join(out) or "–"


def _prf(d: dict) -> str:
    return f"{_pct(d['p'])} | {_pct(d['r'])} | **{_pct(d['f1'])}**"


def _tables_section(scores: dict) -> list[str]:
    """PDF-table corpora (entries with "tables"): overall, per table, error examples."""
    out = []
    for cname, c in scores["corpora"].items():
        t = c.get("tables")
        if not t:
            continue
        s, v = t["levels"]["strict"], t["levels"]["value_unit"]
        out += [
            "",
            f"## PDF tables: {cname}",
            "",
            t["note"],
            "",
            "| table | gold | pred | P strict | R strict | F1 strict | P value+unit | R value+unit | F1 value+unit "
            "| note |",
            "|---|---|---|---|---|---|---|---|---|---|",
            f"| **all** | {t['gold']} | {t['pred']} | {_prf(s)} | {_prf(v)} | "
            f"{t['records_outside_gold_tables']} records from tables not in the gold set |",
        ]
        for key, row in t["per_table"].items():
            name = f"{key} ({row['label']})"
            if "levels" not in row:
                out.append(f"| {_cell(name)} | {row['gold']} | – | – | – | – | – | – | – | {_cell(row['skipped'])} |")
                continue
            rs, rv = row["levels"]["strict"], row["levels"]["value_unit"]
            out.append(
                f"| {_cell(name)} | {row['gold']} | {row['pred']} | {_prf(rs)} | {_prf(rv)} | {_cell(row['note'])} |"
            )
        errs = [
            (k, r["errors"])
            for k, r in t["per_table"].items()
            if r.get("errors", {}).get("fn") or r.get("errors", {}).get("fp")
        ]
        if errs:
            out += ["", f"### {cname}: error examples (value+unit level)", ""]
        for key, e in errs:
            out += [
                f"- **{key}** missed: " + "; ".join(f"«{_cell(x)}»" for x in e["fn"]) if e["fn"] else f"- **{key}**"
            ]
            if e["fp"]:
                out.append("  - unmatched predictions: " + "; ".join(f"«{_cell(x)}»" for x in e["fp"]))
    return out


def plot_reliability(scores: dict, path: Path) -> Path | None:
    """Reliability diagram of the record scores on the score model's held-out docs (scores["calibration"])."""
    from pipeline.score.calibration import reliability_png_from_bins

    sets = (scores.get("calibration") or {}).get("sets", {})
    name = "held-out docs" if "held-out docs" in sets else next(iter(sets), None)
    if name is None:
        return None
    s = sets[name]
    return _write(path, reliability_png_from_bins(s["reliability"], f"{name}: ECE {s['ece']:.3f}, n={s['n']}"))


def _calibration_section(scores: dict) -> list[str]:
    cal = scores.get("calibration") or {}
    if not cal.get("sets"):
        return []
    out = [
        "",
        "## Score calibration",
        "",
        f"Record scores from {cal['model']} on the link corpora. Labels: "
        + (cal.get("labels") or "a record is correct when it matched a gold link (overlap level).")
        + " Goals: ECE ≤ 0.05; the lowest-scored 20 % of records hold ≥ 70 % of the wrong records "
        "(at most 0.2 / share wrong is possible). Diagram: reliability.png.",
        "",
        "| records | n | share correct | ECE (15 bins) | Brier | AUC | wrong in lowest 20 % | possible at most |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, s in cal["sets"].items():
        ceiling = min(1.0, 0.2 * s["n"] / max(1, s["n"] - s["correct"]))
        out.append(
            f"| {name} | {s['n']} | {_pct(s['base_rate'])} | **{_pct(s['ece'])}** | {_pct(s['brier'])} | {_pct(s['auc'])} "
            f"| **{_pct(s['share_wrong_in_lowest_20pct'])}** | {_pct(ceiling)} |"
        )
    return out


def render(scores: dict, plots: list[Path]) -> str:
    lines = [
        "# matlit evaluation",
        "",
        f"Extractor: **{scores.get('extractor')}** — {scores.get('created')} — "
        + (f"first {scores['limit']} docs per corpus" if scores.get("limit") else "all docs"),
        "",
        "## Corpora",
        "",
        "| corpus | docs | offset mismatches (whole corpus) | records | notes |",
        "|---|---|---|---|---|",
    ]
    for cname, c in scores["corpora"].items():
        st = c.get("stats", {})
        rec = c.get("records", {})
        rec_s = f"{rec.get('records', 0)}" + (f" ({rec['mentions']} of them mentions)" if rec.get("mentions") else "") + (
            f" ({rec['records_unknown_doc']} unknown doc)" if rec.get("records_unknown_doc") else ""
        )
        rec_s += f" ({rec['invalid_spans']} spans outside text)" if rec.get("invalid_spans") else ""
        note = f"**extraction failed: {c['error']}**" if c.get("error") else st.get("note", "")
        lines.append(f"| {cname} | {c.get('docs')} | {st.get('offset_mismatches', 0)} | {rec_s} | {_cell(note)} |")
    lines += [
        "",
        "## Scores",
        "",
        "Micro-averaged over each corpus; one-to-one greedy matching. Strict = exact span after whitespace trim "
        "(equal normalized text); overlap = any overlap (or one text containing the other). Span tasks see records "
        "and quantity mentions (numbers with no vocabulary property), link tasks records only (pipeline/evaluate/"
        "score.py); the link tasks over records + mentions are listed under the table.",
        "",
        "| corpus | task | gold | pred | P strict | R strict | F1 strict | P overlap | R overlap | F1 overlap "
        "| dev goal | attributes (overlap) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    goals = {(g["corpus"], g["task"]): g for g in scores.get("goals", [])}
    for cname, tname, t in _rows(scores):
        s, o = t["levels"]["strict"], t["levels"]["overlap"]
        g = goals.get((cname, tname))
        goal = f"F1 {g['level']} ≥ {g['threshold']:.2f}: {'met' if g['met'] else 'not met'}" if g else ""
        lines.append(
            f"| {cname} | {tname} | {t['gold']} | {t['pred']} | {_pct(s['p'])} | {_pct(s['r'])} | **{_pct(s['f1'])}** "
            f"| {_pct(o['p'])} | {_pct(o['r'])} | **{_pct(o['f1'])}** | {goal} | {_attrs(t)} |"
        )
    wm = [(c, n, t) for c, n, t in _rows(scores) if t.get("with_mentions")]
    if wm:
        lines += ["", "Link tasks over records + mentions: " + "; ".join(
            f"{c} / {n}: pred {t['with_mentions']['pred']}, F1 strict {_pct(t['with_mentions']['levels']['strict']['f1'])}"
            f", overlap {_pct(t['with_mentions']['levels']['overlap']['f1'])}" for c, n, t in wm) + "."]
    lines += _tables_section(scores)
    lines += _calibration_section(scores)
    lines += ["", "## Dev goals", "", "| goal | F1 | status |", "|---|---|---|"]
    for g in scores.get("goals", []):
        status = "not run" if g["met"] is None else ("met" if g["met"] else "not met")
        lines.append(f"| {g['goal']} | {_pct(g['f1'])} | {status} |")
    lines += ["", "## How each task matches", ""]
    for cname, tname, t in _rows(scores):
        lines.append(f"- **{cname} / {tname}** ({t['kind']}): {t['note']}")
    lines += ["", "## Plots", ""]
    lines += [f"![{p.stem}]({p.name})" for p in plots] or ["(no plots) " + "; ".join(scores.get("notes", []))]
    lines += [
        "",
        "## Per-property F1 (overlap)",
        "",
        f"The {TOP_PROPERTIES} most frequent gold properties of each task. A hit counts for the gold property; an "
        "unmatched prediction counts against the property it names (id or raw text, compared loosely), or against "
        "none of them: see the last row.",
        "",
    ]
    for cname, tname, t in _rows(scores):
        pp = t.get("per_property", {})
        items = [kv for kv in pp.items() if kv[1]["gold"]][:TOP_PROPERTIES] + [
            kv for kv in pp.items() if not kv[1]["gold"]
        ]
        if not items:
            continue
        lines += [f"### {cname} / {tname}", "", "| property | gold | P | R | F1 |", "|---|---|---|---|---|"]
        lines += [
            f"| {_cell(k)} | {v['gold']} | {_pct(v['p'])} | {_pct(v['r'])} | {_pct(v['f1'])} |"
            if v["gold"]
            else f"| {_cell(k)} | – | {v['fp']} unmatched predictions | | |"
            for k, v in items
        ]
        lines.append("")
    lines += ["## Error examples (overlap level)", ""]
    for cname, tname, t in _rows(scores):
        errs = t.get("errors", {})
        if not errs.get("fn") and not errs.get("fp"):
            continue
        lines += [f"### {cname} / {tname}", ""]
        for kind, title in (("fn", "False negatives (missed gold)"), ("fp", "False positives (unmatched predictions)")):
            if errs.get(kind):
                lines += [f"{title}:", ""]
                lines += [f"- `{e['doc']}` «{_cell(e['mention'])}» — {_cell(e['context'])}" for e in errs[kind]]
                lines.append("")
    from pipeline.llm.build import llm_report_lines

    lines += llm_report_lines(scores)
    lines += [
        "## Corpus statistics",
        "",
        "```json",
        json.dumps({c: v.get("stats", {}) for c, v in scores["corpora"].items()}, indent=1, ensure_ascii=False),
        "```",
        "",
    ]
    return "\n".join(lines)


def write_report(scores: dict, out_dir: Path) -> tuple[Path, list[Path]]:
    """Write the PNG plots, scores.json and report.md into out_dir; returns (report path, plot paths)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        made = [plot_f1(scores, out_dir / "f1_by_task.png"), plot_properties(scores, out_dir / "f1_by_property.png")]
        made.append(plot_reliability(scores, out_dir / "reliability.png"))
    except ImportError as e:  # matplotlib missing: the numbers still count
        scores.setdefault("notes", []).append(f"no plots: {e}")
        made = []
    plots = [p for p in made if p]
    _write(out_dir / "scores.json", json.dumps(scores, indent=1, ensure_ascii=False, default=str).encode())
    report = out_dir / "report.md"
    _write(report, render(scores, plots).encode())
    return report, plots
