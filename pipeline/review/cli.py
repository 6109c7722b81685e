"""`matlit review ...`: import, adduser, serve, export (added to the main CLI in pipeline/cli.py)."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from pipeline.cli_common import ConfigOpt, WorkOpt, fail, load_cfg
from pipeline.config import Config
from pipeline.errors import MatlitError

review_app = typer.Typer(add_completion=False, no_args_is_help=True,
                         help="The curators' review app: import the queue, add users, serve, export decisions.")
console = Console(soft_wrap=True)  # paths and ids stay on one line

DbOpt = typer.Option(None, "--db", help="SQLAlchemy URL (config: review.db_url; default work/review/review.sqlite)")


def _cfg(config: Optional[Path], **overrides) -> Config:
    return load_cfg(config, console, **overrides)


def _fail(e: Exception) -> None:
    fail(e, console)


@review_app.command("import")
def import_cmd(
    config: Optional[Path] = ConfigOpt,
    work_dir: Optional[Path] = WorkOpt,
    db: Optional[str] = DbOpt,
    threshold: Optional[float] = typer.Option(None, "--threshold",
                                              help="queue records scored below this when there is no queue.jsonl "
                                                   "(config: review.score_threshold)"),
):
    """Records (scored/ or records/) and the queue (work/review/queue.jsonl) into the review DB; safe to re-run."""
    from rich.progress import Progress

    from pipeline.review.importer import import_review

    cfg = _cfg(config, work_dir=work_dir, **{"review.db_url": db, "review.score_threshold": threshold})
    try:
        with Progress(console=console, transient=True) as prog:
            task = prog.add_task("importing papers", total=None)
            res = import_review(cfg, progress=lambda pid, n: prog.advance(task))
    except MatlitError as e:
        _fail(e)
    console.print(f"imported {res.records} records of {res.papers} papers; {res.queued} queued; "
                  f"{res.updated} open ones refreshed; {res.kept_decided} already decided kept")


@review_app.command("adduser")
def adduser(
    username: str = typer.Argument(...),
    role: str = typer.Option("curator", "--role", help="curator | admin"),
    papers: Optional[str] = typer.Option(None, "--papers",
                                         help="comma-separated paper ids this curator may see (default: all)"),
    password_env: str = typer.Option("MATLIT_REVIEW_PASSWORD", "--password-env",
                                     help="read the password from this environment variable if set, else prompt"),
    config: Optional[Path] = ConfigOpt,
    work_dir: Optional[Path] = WorkOpt,
    db: Optional[str] = DbOpt,
):
    """Create or update an account (argon2-hashed password)."""
    from pipeline.review.auth import add_user
    from pipeline.review.store import db_url_for, get_engine

    cfg = _cfg(config, work_dir=work_dir, **{"review.db_url": db})
    password = os.environ.get(password_env) or getpass.getpass(f"password for {username}: ")
    try:
        add_user(get_engine(db_url_for(cfg)), username, password, role,
                 papers=[p.strip() for p in papers.split(",") if p.strip()] if papers is not None else None)
    except MatlitError as e:
        _fail(e)
    console.print(f"user {username} ({role}) saved")


@review_app.command("serve")
def serve(
    host: Optional[str] = typer.Option(None, "--host", help="address (config: review.host; default 127.0.0.1)"),
    port: Optional[int] = typer.Option(None, "--port", help="port (config: review.port)"),
    config: Optional[Path] = ConfigOpt,
    work_dir: Optional[Path] = WorkOpt,
    db: Optional[str] = DbOpt,
):
    """Serve the review app (loopback by default)."""
    import uvicorn

    from pipeline.review.app import create_app

    cfg = _cfg(config, work_dir=work_dir, **{"review.db_url": db, "review.host": host, "review.port": port})
    if cfg.review.host not in ("127.0.0.1", "localhost", "::1"):
        console.print(f"[yellow]warning:[/yellow] serving on {cfg.review.host}: reachable from other machines; "
                      "put it behind HTTPS and set review.secure_cookies")
    console.print(f"matlit review on http://{cfg.review.host}:{cfg.review.port}/")
    uvicorn.run(create_app(cfg), host=cfg.review.host, port=cfg.review.port, log_level="warning")


@review_app.command("export")
def export(
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="JSONL to write (default work/review/finetune.jsonl)"),
    config: Optional[Path] = ConfigOpt,
    work_dir: Optional[Path] = WorkOpt,
    db: Optional[str] = DbOpt,
):
    """Accepted and edited records as fine-tuning examples (input text -> record), with provenance."""
    from pipeline.review.export import export_finetune

    cfg = _cfg(config, work_dir=work_dir, **{"review.db_url": db})
    try:
        path, n = export_finetune(cfg, out)
    except MatlitError as e:
        _fail(e)
    console.print(f"wrote {n} examples to {path}")
