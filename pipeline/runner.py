"""Stage runner on datatrove: every stage is a datatrove PipelineStep run by a datatrove executor.

The runner owns parallelism (executor tasks x workers), progress, per-paper guards, failures and resume:

* a stage lists its work items (paper ids) from the previous stage's outputs on disk, takes the ones whose
  hash falls in its task (rank), and skips those already done (output file present) or already failed;
* each item runs under a per-paper timeout and memory guard; any exception becomes one failure row
  (work/failures/<stage>/<id>.json: stage, paper id, source, error class, message) and the batch goes on;
* outputs are written atomically by the stage (temp file + rename), so a killed run leaves no half-written
  output, and a re-run resumes where it stopped;
* every task writes its running counts to the run's logging dir; the runner polls them to drive a rich
  progress bar and sums them into the end-of-run summary (any executor, any number of tasks).

datatrove's own completion markers live in a logging dir per run (work/logs/<stage>/<run_id>/), so a later run
always looks at every paper again and the per-paper skip decides what is left to do.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from datatrove.data import Document
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.base import PipelineStep

from pipeline.config import Config
from pipeline.errors import PaperError
from pipeline.guard import paper_guard
from pipeline.workdir import WorkDir, atomic_write_json, atomic_write_text, remove_stale_temp_files
from schemas import Failure


def shard_of(item_id: str, world_size: int) -> int:
    """Deterministic task of an item: its id is a hex digest (or we hash it)."""
    if world_size <= 1:
        return 0
    try:
        n = int(item_id[:12], 16)
    except ValueError:
        import hashlib

        n = int(hashlib.sha256(item_id.encode()).hexdigest()[:12], 16)
    return n % world_size


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(2)


class Stage(PipelineStep):
    """Base of every matlit stage. Subclasses set `name` and implement `work_items`, `is_done`, `process`."""

    name = "stage"
    type = "matlit"

    def __init__(self, cfg: Config, run_id: str, retry_failed: bool = False):
        super().__init__()
        self.cfg = cfg
        self.run_id = run_id
        self.retry_failed = retry_failed

    # -- to implement --
    def work_items(self, wd: WorkDir) -> list[str]:
        """Every item (paper id) this stage could process, sorted."""
        raise NotImplementedError

    def is_done(self, wd: WorkDir, item: str) -> bool:
        return wd.stage_output(self.name, item).exists()

    def process(self, wd: WorkDir, item: str) -> None:
        """Read the item's input from disk, write its output atomically. Raise to fail this item only."""
        raise NotImplementedError

    def prepare(self, wd: WorkDir) -> None:
        """Corpus-level work before the per-item loop, run once in the launching process (e.g. cross-paper
        consensus, dedup, shard assignment). Must be deterministic and idempotent: a re-run repeats it."""

    def finalize(self, wd: WorkDir) -> None:
        """Corpus-level work after every task finished, run once in the launching process (e.g. a manifest
        written last). Not called when a task raised."""

    def source_of(self, wd: WorkDir, item: str) -> str | None:
        """The file or URL a person would look at when this item fails."""
        try:
            return wd.load_paper(item).source
        except Exception:
            return None

    # -- the loop --
    def counts_path(self, wd: WorkDir, rank: int) -> Path:
        return wd.logs_dir(self.name, self.run_id) / "counts" / f"{rank:05d}.json"

    def report(self, wd: WorkDir, rank: int, counts: dict) -> None:
        atomic_write_json(self.counts_path(wd, rank), counts)

    def record_failure(self, wd: WorkDir, item: str, exc: BaseException) -> None:
        msg = str(exc) or exc.__class__.__name__
        if not isinstance(exc, PaperError):
            # unexpected: keep the last frame so a developer can find it
            tb = traceback.extract_tb(exc.__traceback__)
            if tb:
                last = tb[-1]
                msg += f" (at {Path(last.filename).name}:{last.lineno})"
        wd.write_failure(
            Failure(
                paper_id=item,
                stage=self.name,
                source=self.source_of(wd, item),
                error_class=exc.__class__.__name__,
                message=msg[:2000],
                at=datetime.now(timezone.utc),
            )
        )

    def run_item(self, wd: WorkDir, item: str) -> None:
        rc = self.cfg.runner
        attempts = 1 + rc.retries
        for attempt in range(attempts):
            try:
                with paper_guard(rc.paper_timeout_s, rc.max_rss_mb, what=f"{self.name} {item}"):
                    self.process(wd, item)
                return
            except PaperError:
                raise
            except Exception:
                if attempt + 1 >= attempts:
                    raise

    def quiet_logs(self, wd: WorkDir, rank: int) -> None:
        """datatrove logs every task at INFO on stderr; keep those in the run's log dir, warnings on stderr."""
        import sys

        from loguru import logger

        logger.remove()
        logger.add(str(wd.logs_dir(self.name, self.run_id) / "logs" / f"matlit_{rank:05d}.log"), level="DEBUG")
        logger.add(sys.stderr, level="WARNING")

    def run(self, data=None, rank: int = 0, world_size: int = 1) -> Iterator[Document]:
        if data:
            yield from data
        wd = WorkDir(self.cfg.work_dir)
        self.quiet_logs(wd, rank)
        items = [i for i in self.work_items(wd) if shard_of(i, world_size) == rank]
        counts = {"in": len(items), "ok": 0, "skipped": 0, "failed": 0, "seconds": 0.0}
        self.report(wd, rank, counts)
        t0 = time.perf_counter()
        for item in items:
            if self.is_done(wd, item) or (not self.retry_failed and wd.failure_json(self.name, item).exists()):
                counts["skipped"] += 1
                self.stat_update("skipped")
            else:
                try:
                    with self.track_time():
                        self.run_item(wd, item)
                except (KeyboardInterrupt, SystemExit):
                    raise
                except BaseException as e:  # noqa: BLE001 - one bad paper never stops a batch
                    self.record_failure(wd, item, e)
                    counts["failed"] += 1
                    self.stat_update("failed")
                else:
                    wd.clear_failure(self.name, item)
                    counts["ok"] += 1
                    self.stat_update("ok")
            counts["seconds"] = round(time.perf_counter() - t0, 3)
            self.report(wd, rank, counts)
            yield Document(text="", id=item, metadata={"stage": self.name})


# ---------------------------------------------------------------- executors


class QuietLocalExecutor(LocalPipelineExecutor):
    """datatrove's local executor with each task's stderr chatter sent to the run's log dir."""

    def _launch_run_for_rank(self, rank, ranks_q, completed=None, completed_lock=None):
        path = Path(self.logging_dir.path) / "logs" / f"stderr_{rank:05d}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a") as log, contextlib.redirect_stderr(log):
            return super()._launch_run_for_rank(rank, ranks_q, completed, completed_lock)


def build_executor(cfg: Config, steps: list[PipelineStep], logging_dir: Path, job_name: str):
    rc = cfg.runner
    if rc.executor == "local":
        return QuietLocalExecutor(
            pipeline=steps, tasks=rc.tasks, workers=min(rc.workers, rc.tasks), logging_dir=str(logging_dir)
        )
    if rc.executor == "slurm":
        from datatrove.executor import SlurmPipelineExecutor

        if not rc.slurm_partition:
            from pipeline.errors import ConfigError

            raise ConfigError("runner.executor is 'slurm' but runner.slurm_partition is not set")
        return SlurmPipelineExecutor(
            pipeline=steps,
            tasks=rc.tasks,
            time=rc.slurm_time,
            partition=rc.slurm_partition,
            cpus_per_task=rc.slurm_cpus_per_task,
            mem_per_cpu_gb=rc.slurm_mem_per_cpu_gb,
            workers=rc.workers,
            job_name=f"matlit-{job_name}",
            sbatch_args=rc.slurm_sbatch_args or None,
            logging_dir=str(logging_dir),
        )
    if rc.executor == "ray":
        import ray  # (only in the `cluster` extra)
        from datatrove.executor.ray import RayPipelineExecutor

        if rc.ray_address and not ray.is_initialized():  # else a running ray.init() or RAY_ADDRESS, or a local one
            ray.init(address=rc.ray_address)

        return RayPipelineExecutor(
            pipeline=steps,
            tasks=rc.tasks,
            workers=rc.workers,
            logging_dir=str(logging_dir),
            cpus_per_task=rc.ray_cpus_per_task,
        )
    raise ValueError(f"unknown executor {rc.executor!r}")


# ---------------------------------------------------------------- running stages


@dataclass
class StageSummary:
    stage: str
    tasks: int = 0
    papers_in: int = 0
    out: int = 0
    skipped: int = 0
    failed: int = 0
    seconds: float = 0.0
    failures: list[dict] = field(default_factory=list)


def read_counts(logging_dir: Path) -> dict:
    tot = {"in": 0, "ok": 0, "skipped": 0, "failed": 0, "tasks": 0}
    d = logging_dir / "counts"
    if not d.exists():
        return tot
    for p in d.glob("*.json"):
        try:
            c = json.loads(p.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        tot["tasks"] += 1
        for k in ("in", "ok", "skipped", "failed"):
            tot[k] += c.get(k, 0)
    return tot


def run_stage(stage: Stage, cfg: Config, console=None) -> StageSummary:
    wd = WorkDir(cfg.work_dir)
    remove_stale_temp_files(wd.root)
    stage.prepare(wd)
    logging_dir = wd.logs_dir(stage.name, stage.run_id)
    executor = build_executor(cfg, [stage], logging_dir, stage.name)
    started = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    stop = threading.Event()
    progress = None
    if cfg.runner.progress and cfg.runner.executor == "local":
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        progress = Progress(
            TextColumn("[bold]{task.description:<8}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("ok {task.fields[ok]}  skipped {task.fields[skipped]}  failed {task.fields[failed]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        task_id = progress.add_task(stage.name, total=None, ok=0, skipped=0, failed=0)

        def poll():
            while not stop.wait(0.25):
                c = read_counts(logging_dir)
                done = c["ok"] + c["skipped"] + c["failed"]
                progress.update(task_id, total=c["in"] or None, completed=done, ok=c["ok"], skipped=c["skipped"], failed=c["failed"])

        progress.start()
        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
    logging_dir.mkdir(parents=True, exist_ok=True)
    from loguru import logger

    try:
        # the executor's own chatter (task launches, stats) goes to its log file, not over the progress bar
        with open(logging_dir / "executor.log", "a") as log, contextlib.redirect_stderr(log):
            logger.remove()
            logger.add(log, level="INFO")
            executor.run()
    finally:
        logger.remove()
        logger.add(sys.stderr, level="WARNING")
        stop.set()
        if progress is not None:
            c = read_counts(logging_dir)
            progress.update(task_id, total=c["in"], completed=c["ok"] + c["skipped"] + c["failed"], ok=c["ok"], skipped=c["skipped"], failed=c["failed"])
            progress.stop()
    stage.finalize(wd)
    c = read_counts(logging_dir)
    failures = [f.model_dump(mode="json") for f in wd.failures(stage.name) if f.at >= started]
    return StageSummary(
        stage=stage.name,
        tasks=c["tasks"],
        papers_in=c["in"],
        out=c["ok"],
        skipped=c["skipped"],
        failed=c["failed"],
        seconds=round(time.perf_counter() - t0, 2),
        failures=failures,
    )


def stage_classes() -> dict[str, type[Stage]]:
    """The stages in pipeline order (imported lazily: stage modules pull heavy libraries)."""
    from pipeline.extract import ExtractStage
    from pipeline.fetch import FetchStage
    from pipeline.figures.stage import FiguresStage
    from pipeline.normalize import NormalizeStage
    from pipeline.parse.stage import ParseStage
    from pipeline.shard.stage import ShardStage

    classes: dict[str, type[Stage]] = {
        "fetch": FetchStage, "parse": ParseStage, "figures": FiguresStage, "extract": ExtractStage,
        "normalize": NormalizeStage,
    }
    from pipeline.score.queue import ReviewQueueStage
    from pipeline.score.stage import ScoreStage

    classes["score"] = ScoreStage  # credibility scores + reconciliation (pipeline/score/)
    classes["review"] = ReviewQueueStage  # the review queue, work/review/queue.jsonl
    classes["shard"] = ShardStage  # last: after normalize/score/review
    return classes


def run_pipeline(cfg: Config, stages: list[str], retry_failed: bool = False, console=None) -> list[StageSummary]:
    classes = stage_classes()
    unknown = [s for s in stages if s not in classes]
    if unknown:
        from pipeline.errors import ConfigError

        raise ConfigError(f"unknown stage(s) {unknown}; known: {list(classes)}")
    run_id = new_run_id()
    wd = WorkDir(cfg.work_dir)
    rdir = wd.run_dir(run_id)
    atomic_write_text(rdir / "config.yaml", cfg.to_yaml())
    summaries = []
    for name in [s for s in classes if s in stages]:
        stage = classes[name](cfg, run_id, retry_failed=retry_failed)
        summaries.append(run_stage(stage, cfg, console=console))
    atomic_write_json(rdir / "summary.json", [s.__dict__ for s in summaries])
    return summaries
