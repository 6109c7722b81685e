"""What every `matlit` sub-command shares: the --config / --work-dir options and loading the config with a clear
error. Imported by pipeline/cli.py and the sub-apps (review, llm), which pipeline/cli.py imports in turn."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from pipeline.config import Config, load_config
from pipeline.errors import ConfigError

ConfigOpt = typer.Option(None, "--config", "-c", help="YAML config file (overrides defaults; env MATLIT_* and flags override it)")
WorkOpt = typer.Option(None, "--work-dir", "-w", help="work dir (config: work_dir)")


def load_cfg(config: Optional[Path], console: Console, **overrides) -> Config:
    """The typed config from defaults < YAML file < MATLIT_* env < flags; a bad value exits 2 with the reason."""
    try:
        return load_config(config, overrides)
    except ConfigError as e:
        console.print(f"[red]config error:[/red] {e}")
        raise typer.Exit(2) from None


def fail(e: Exception, console: Console) -> None:
    """Print an error a person can act on and exit 2 (no traceback)."""
    console.print(f"[red]error:[/red] {e}")
    raise typer.Exit(2) from None
