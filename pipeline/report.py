"""What people read: the end-of-run summary, `matlit status`, `matlit show`."""

from __future__ import annotations

import json
from collections import Counter

from rich.console import Console
from rich.table import Table as RichTable

from pipeline.config import Config
from pipeline.errors import MatlitError
from pipeline.workdir import WorkDir
from schemas import BlockKind


def print_summary(console: Console, summaries, cfg: Config) -> None:
    t = RichTable(title=f"matlit run — work dir {cfg.work_dir}", title_justify="left")
    for col in ("stage", "tasks", "papers in", "out", "skipped", "failed", "time (s)"):
        t.add_column(col, justify="left" if col == "stage" else "right")
    for s in summaries:
        t.add_row(s.stage, str(s.tasks), str(s.papers_in), str(s.out), str(s.skipped), f"[red]{s.failed}[/red]" if s.failed else "0", f"{s.seconds:.1f}")
    console.print(t)
    fails = [f for s in summaries for f in s.failures]
    for f in fails[:20]:
        console.print(f"[red]failed[/red] {f['stage']} {f['paper_id']}  {f.get('source') or ''}\n    {f['error_class']}: {f['message']}")
    if len(fails) > 20:
        console.print(f"... and {len(fails) - 20} more (matlit status)")


def resolve_paper(wd: WorkDir, prefix: str) -> str:
    ids = [pid for pid in wd.paper_ids() if pid.startswith(prefix)]
    if not ids:
        # also accept a DOI or file name
        for pid in wd.paper_ids():
            p = wd.load_paper(pid)
            if prefix in {p.doi, p.arxiv_id} or (p.source and p.source.endswith(prefix)):
                return pid
        raise MatlitError(f"no paper {prefix!r} in {wd.root} (matlit status lists them)")
    if len(ids) > 1:
        raise MatlitError(f"{prefix!r} matches {len(ids)} papers: {', '.join(ids[:5])}...")
    return ids[0]


def print_status(console: Console, cfg: Config, max_failures: int = 10) -> None:
    wd = WorkDir(cfg.work_dir)
    if not wd.root.exists():
        console.print(f"work dir {wd.root} does not exist yet: run `matlit run` first")
        return
    papers = wd.paper_ids()
    t = RichTable(title=f"matlit status — {wd.root}", title_justify="left")
    for col in ("stage", "done", "failed", "pending"):
        t.add_column(col, justify="left" if col == "stage" else "right")
    from pipeline.runner import stage_classes

    prev = set(papers)
    for name, cls in stage_classes().items():
        if name == "fetch":
            fails = wd.failures("fetch")
            t.add_row("fetch", str(len(papers)), str(len(fails)), "-")
            continue
        status_row = getattr(cls, "status_row", None)
        if status_row is not None:  # a corpus-level stage (review: one queue file) says itself what it has done
            t.add_row(name, *status_row(wd))
            continue
        done = wd.done_ids(name) & set(papers)
        failed = {f.paper_id for f in wd.failures(name)}
        pending = prev - done - failed
        t.add_row(name, str(len(done)), str(len(failed)), str(len(pending)))
        prev = done
    console.print(t)
    done = sorted(wd.done_ids("normalize"))
    if done:
        n = linked = 0
        for pid in done:
            for r in wd.read_records("normalize", pid):
                n += 1
                linked += bool(r.property.id and r.material is not None)
        console.print(f"records: {n} in {len(done)} papers ({linked} with both property and material)")
    fails = wd.failures()
    if fails:
        console.print(f"[bold]failures[/bold] ({len(fails)}):")
        for f in fails[:max_failures]:
            console.print(f"  {f.stage:<6} {f.paper_id}  {f.source or ''}\n         {f.error_class}: {f.message}")
    runs = sorted((wd.root / "runs").glob("*/summary.json")) if (wd.root / "runs").exists() else []
    if runs:
        last = runs[-1]
        console.print(f"last run: {last.parent.name}")
        for s in json.loads(last.read_text()):
            console.print(f"  {s['stage']:<6} in {s['papers_in']} out {s['out']} skipped {s['skipped']} failed {s['failed']} ({s['seconds']} s)")


def show_document(console: Console, cfg: Config, prefix: str, sentences: bool = False, as_json: bool = False) -> None:
    wd = WorkDir(cfg.work_dir)
    pid = resolve_paper(wd, prefix)
    if not wd.parsed_json(pid).exists():
        raise MatlitError(f"paper {pid} is not parsed yet (matlit parse)")
    doc = wd.load_parsed(pid)
    if as_json:
        console.print_json(doc.model_dump_json())
        return
    paper = wd.load_paper(pid)
    md = doc.metadata
    console.rule(f"[bold]{md.title or paper.source}")
    console.print(f"paper {pid}  doi {md.doi or '-'}  arXiv {md.arxiv_id or '-'}  licence {md.licence or paper.licence or '-'}")
    console.print(f"source {paper.source}  parser {doc.parser}  pages {len(doc.pages)}")
    kinds = Counter(b.kind.value for b in doc.blocks)
    console.print(
        f"blocks {len(doc.blocks)} ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))})  "
        f"sentences {len(doc.sentences)}  tables {len(doc.tables)}  figures {len(doc.figures)}"
    )
    for w in doc.warnings:
        console.print(f"[yellow]warning[/yellow] {w}")
    section = None
    for b in doc.blocks:
        page = b.prov[0].page if b.prov else "-"
        if b.kind == BlockKind.reference:
            continue
        sec = " > ".join(b.section)
        if b.kind == BlockKind.heading or sec != section:
            section = sec
        style = {"title": "bold magenta", "heading": "bold cyan", "caption": "green", "abstract": "italic", "footnote": "dim", "equation": "yellow"}.get(b.kind.value, "")
        text = b.text if len(b.text) < 400 else b.text[:400] + " …"
        console.print(f"[dim]{b.id:>5} p{page} {b.kind.value:<9}[/dim] [{style}]{_esc(text)}[/{style}]" if style else f"[dim]{b.id:>5} p{page} {b.kind.value:<9}[/dim] {_esc(text)}")
        if sentences:
            for s in doc.sentences_of(b.id):
                boxes = "; ".join(f"p{p.page} ({p.bbox.x0:.0f},{p.bbox.y0:.0f},{p.bbox.x1:.0f},{p.bbox.y1:.0f})" for p in s.prov if p.bbox)
                console.print(f"        [dim]{s.id}[/dim] {_esc(s.text)}  [dim]{boxes}[/dim]")
    n_refs = kinds.get("reference", 0)
    if n_refs:
        console.print(f"[dim]… {n_refs} reference blocks (marked, skipped by extractors)[/dim]")
    for t in doc.tables:
        console.rule(f"{t.id} {t.label or ''} page {t.page} {t.n_rows}x{t.n_cols}")
        if t.caption:
            console.print(f"[green]{_esc(t.caption)}[/green]")
        rt = RichTable(show_header=False)
        grid = [["" for _ in range(t.n_cols)] for _ in range(t.n_rows)]
        for c in t.cells:
            if c.row < t.n_rows and c.col < t.n_cols:
                grid[c.row][c.col] = ("[bold]" + _esc(c.text) + "[/bold]") if c.is_header else _esc(c.text)
        for _ in range(t.n_cols):
            rt.add_column()
        for row in grid:
            rt.add_row(*row)
        console.print(rt)
    for f in doc.figures:
        console.print(
            f"[bold]{f.id}[/bold] {f.label or ''} page {f.page}: {len(f.images)} images, "
            f"{sum(d.n_paths for d in f.drawings)} vector paths, {len(f.text)} text spans — {_esc((f.caption or '')[:120])}"
        )


def _esc(s: str) -> str:
    return s.replace("[", r"\[")
