"""The work dir: one function per path, and atomic writes.

Layout (all under `work/` by default, git-ignored):

    papers/<paper_id>.pdf|.xml   fetched bytes, content-addressed
    papers/<paper_id>.json       the Paper record (written last, so its presence means "fetched")
    parsed/<paper_id>.json       the ParsedDocument
    extracted/<paper_id>.jsonl   candidate Records from every configured extractor (raw fields)
    records/<paper_id>.jsonl     normalized Records (canonical units, formulas, flags) whose property is known
    mentions/<paper_id>.jsonl    quantity mentions: normalized Records with no known property (normalize.is_mention)
    failures/<stage>/<id>.json   one Failure per paper and stage (removed when the paper later succeeds)
    logs/<stage>/<run_id>/       datatrove logging dir of each run (per-task logs, stats)
    runs/<run_id>/               the resolved config and the summary of each run
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from pydantic import BaseModel

from schemas import Failure, Paper, ParsedDocument

TMP_MARK = ".tmp-"
_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temp file in the same directory, fsync, then rename over the target."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + TMP_MARK, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs are ordinary files
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(e, OSError) and e.errno is not None and str(path) not in str(e):
            # "[Errno 28] No space left on device" alone does not say which file; keep errno and type
            raise type(e)(e.errno, f"cannot write {path}: {e.strerror or e}") from e
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_model(path: Path, model: BaseModel) -> None:
    atomic_write_text(path, model.model_dump_json(indent=None, exclude_none=False))


def atomic_write_json(path: Path, obj) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, ensure_ascii=False, default=str))


def remove_stale_temp_files(root: Path) -> int:
    """Delete temp files left by a killed run; returns how many."""
    n = 0
    root = Path(root)
    if not root.exists():
        return 0
    for p in root.rglob(f"*{TMP_MARK}*"):
        if p.is_file():
            p.unlink(missing_ok=True)
            n += 1
    return n


class WorkDir:
    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()

    # -- paths --
    @property
    def papers_dir(self) -> Path:
        return self.root / "papers"

    @property
    def parsed_dir(self) -> Path:
        return self.root / "parsed"

    def paper_json(self, paper_id: str) -> Path:
        return self.papers_dir / f"{paper_id}.json"

    def paper_file(self, paper: Paper) -> Path:
        return self.root / paper.path

    def parsed_json(self, paper_id: str) -> Path:
        return self.parsed_dir / f"{paper_id}.json"

    def stage_output(self, stage: str, paper_id: str) -> Path:
        if stage == "fetch":
            return self.paper_json(paper_id)
        if stage == "parse":
            return self.parsed_json(paper_id)
        if stage == "extract":
            return self.root / "extracted" / f"{paper_id}.jsonl"
        if stage == "normalize":
            return self.root / "records" / f"{paper_id}.jsonl"
        if stage == "score":
            return self.root / "scored" / f"{paper_id}.jsonl"
        if stage == "figures":
            return self.root / "figures" / f"{paper_id}.jsonl"
        return self.root / stage / f"{paper_id}.json"

    def mentions_output(self, paper_id: str) -> Path:
        """The normalize stage's second output: quantity mentions (pipeline/normalize.py:is_mention)."""
        return self.root / "mentions" / f"{paper_id}.jsonl"

    def failure_json(self, stage: str, paper_id: str) -> Path:
        return self.root / "failures" / stage / f"{paper_id}.json"

    def logs_dir(self, stage: str, run_id: str) -> Path:
        return self.root / "logs" / stage / run_id

    def run_dir(self, run_id: str) -> Path:
        return self.root / "runs" / run_id

    # -- reading --
    def paper_ids(self) -> list[str]:
        if not self.papers_dir.exists():
            return []
        return sorted(p.stem for p in self.papers_dir.glob("*.json"))

    def load_paper(self, paper_id: str) -> Paper:
        return Paper.model_validate_json(self.paper_json(paper_id).read_text("utf-8"))

    def papers(self) -> list[Paper]:
        return [self.load_paper(pid) for pid in self.paper_ids()]

    def load_parsed(self, paper_id: str) -> ParsedDocument:
        return ParsedDocument.model_validate_json(self.parsed_json(paper_id).read_text("utf-8"))

    def done_ids(self, stage: str) -> set[str]:
        probe = self.stage_output(stage, "x")
        if not probe.parent.exists():
            return set()
        return {p.name[: -len(probe.suffix)] for p in probe.parent.glob(f"*{probe.suffix}")}

    def read_records(self, stage: str, paper_id: str) -> list:
        """Records a record-writing stage (extract, normalize) wrote for a paper, in order."""
        return _read_record_lines(self.stage_output(stage, paper_id))

    def write_records(self, stage: str, paper_id: str, records: list) -> None:
        _write_record_lines(self.stage_output(stage, paper_id), records)

    def read_mentions(self, paper_id: str) -> list:
        """A paper's quantity mentions (normalize); [] when it has none or was normalized before mentions existed."""
        path = self.mentions_output(paper_id)
        return _read_record_lines(path) if path.exists() else []

    def write_mentions(self, paper_id: str, records: list) -> None:
        _write_record_lines(self.mentions_output(paper_id), records)

    def failures(self, stage: str | None = None) -> list[Failure]:
        base = self.root / "failures"
        if not base.exists():
            return []
        stages = [stage] if stage else sorted(p.name for p in base.iterdir() if p.is_dir())
        out = []
        for st in stages:
            for p in sorted((base / st).glob("*.json")):
                out.append(Failure.model_validate_json(p.read_text("utf-8")))
        return out

    # -- writing --
    def write_failure(self, failure: Failure) -> None:
        atomic_write_model(self.failure_json(failure.stage, failure.paper_id), failure)

    def clear_failure(self, stage: str, paper_id: str) -> None:
        self.failure_json(stage, paper_id).unlink(missing_ok=True)


def _read_record_lines(path: Path) -> list:
    """One Record per non-empty JSONL line, in order."""
    from schemas import Record

    return [Record.model_validate_json(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _write_record_lines(path: Path, records: list) -> None:
    atomic_write_text(path, "".join(r.model_dump_json() + "\n" for r in records))
