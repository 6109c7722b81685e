"""Shard stage: normalized records, paper text and figure series -> Parquet shards + manifest.json (written last).

    <shards_dir>/                          config shard.out_dir, default <work_dir>/shards
      records/records-<split>-NNNNN.parquet        one row per record, flat columns (schemas/flat.py)
      mentions/mentions-<split>-NNNNN.parquet      one row per quantity mention (work/mentions/: numbers with no
                                                   vocabulary property, pipeline/normalize.is_mention), same schema
      text/text-<split>-NNNNN.parquet              one row per paper whose licence is allowlisted (pipeline/shard/text.py)
      figure_series/figure_series-<split>-NNNNN.parquet   one row per digitized series (schemas/figure.py)
      manifest.json                                counts, sha256 per shard, config, code version (manifest.py)

How it runs (a runner Stage; every shard is one work item, so local/Ray/Slurm executors write shards in parallel):

* `prepare` (once, launching process): removes the old manifest; reads every paper's inputs; document dedup
  (exact content hash + MinHash LSH) drops duplicate papers from every table; assigns each kept paper to a split
  (train/validation by a salted hash of its id) and, per table, to a shard (hash % shard.num_shards, or papers
  packed in hash order up to shard.target_rows / target_shard_mb); snapshots curator decisions; writes the plan
  to <work_dir>/shard/plan.json with a fingerprint per shard (config, code version, input file hashes).
* `process(shard)`: writes one shard (zstd Parquet, fixed row groups, temp file + rename). A paper whose records
  do not validate (a corrupt row) is recorded as failed (failures/shard/<paper_id>.json, message naming the paper,
  file and line) and left out; the rest of the shard is written. A shard whose fingerprint and bytes are unchanged
  is skipped; re-running with nothing changed leaves byte-identical shards (writing is deterministic anyway).
* `finalize` (once, after every task): removes shards no longer planned, then writes manifest.json last — or
  no manifest when a planned shard is missing (a consumer's verify_manifest then refuses the set).

Records are read from work/scored/<id>.jsonl when the score stage wrote it, else work/records/<id>.jsonl
(shard.records_from). Review decisions (pipeline.review.decisions, when present) are applied: edited values replace
extracted ones, rejected records are dropped or kept with review_status=rejected (shard.rejected).
The mentions table is written whenever the records table is (shard.tables names "records"), from
work/mentions/<id>.jsonl: never scored nor reviewed (score null, review_status none), snippets withheld by licence
like records'.
"""

from __future__ import annotations

import fnmatch
import hashlib
import io
import json
import subprocess
from pathlib import Path

from pipeline.errors import PaperError
from pipeline.runner import Stage
from pipeline.shard.manifest import FORMAT, FORMAT_VERSION, MANIFEST_NAME, sha256_file
from pipeline.workdir import WorkDir, atomic_write_bytes, atomic_write_json, remove_stale_temp_files
from schemas import SCHEMA_VERSION, Record

TABLES = ("records", "mentions", "text", "figure_series")
RECORD_TABLES = ("records", "mentions")  # flat Record rows (schemas/flat.py)
INPUT_KEY = {"records": "records", "mentions": "mentions", "text": "parsed", "figure_series": "figures"}
SPLITS = ("train", "validation")
REVIEW_STATUS = {"accept": "accepted", "edit": "edited", "reject": "rejected"}
WITHHELD_FLAG = "snippet_withheld:licence"


class CorruptRecordError(PaperError):
    """A record row of a paper does not validate: the paper is refused, the others are sharded."""


def shards_dir_for(cfg, wd: WorkDir) -> Path:
    out = cfg.shard.out_dir
    if out is None:
        return wd.root / "shards"
    return Path(out).resolve()


def code_version() -> str:
    """`git describe --always --dirty --tags` of the code, else the installed package version."""
    repo = Path(__file__).resolve().parents[2]
    try:
        r = subprocess.run(
            ["git", "-C", str(repo), "describe", "--always", "--dirty", "--tags"],
            capture_output=True, text=True, timeout=10,
        )
        if r.returncode == 0 and r.stdout.strip():
            return r.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        from importlib.metadata import version

        return f"matlit {version('matlit')}"
    except Exception:  # noqa: BLE001
        return "unknown"


def _hash01(seed: str, what: str, paper_id: str) -> int:
    return int(hashlib.sha256(f"{seed}|{what}|{paper_id}".encode()).hexdigest()[:16], 16)


def split_of(paper_id: str, validation_fraction: float, seed: str = "matlit") -> str:
    """train | validation by a salted hash of the paper id (stable as papers come and go)."""
    return "validation" if _hash01(seed, "split", paper_id) / 2**64 < validation_fraction else "train"


def licence_allowed(licence: str | None, allowlist: list[str]) -> bool:
    if not licence:
        return False
    lic = licence.strip().lower()
    return any(fnmatch.fnmatchcase(lic, p.lower()) for p in allowlist)


def _file_sha(path: Path) -> str | None:
    return sha256_file(path) if path.is_file() else None


def _pack(papers: list[tuple[str, int, int]], sc, table: str) -> list[list[str]]:
    """papers: (paper_id, rows, input bytes) in hash order -> shards (lists of paper ids)."""
    max_rows = sc.target_rows if table != "text" else None
    max_bytes = sc.target_shard_mb * 2**20
    shards: list[list[str]] = []
    cur: list[str] = []
    rows = nbytes = 0
    for pid, r, b in papers:
        if cur and ((max_rows is not None and rows + r > max_rows) or nbytes + b > max_bytes):
            shards.append(cur)
            cur, rows, nbytes = [], 0, 0
        cur.append(pid)
        rows += r
        nbytes += b
    if cur:
        shards.append(cur)
    return shards


class ShardStage(Stage):
    name = "shard"

    # -- paths --
    def shards_dir(self, wd: WorkDir) -> Path:
        return shards_dir_for(self.cfg, wd)

    def plan_path(self, wd: WorkDir) -> Path:
        return wd.root / "shard" / "plan.json"

    def decisions_path(self, wd: WorkDir) -> Path:
        return wd.root / "shard" / "decisions.json"

    def state_path(self, wd: WorkDir, item: str) -> Path:
        return wd.root / "shard" / "state" / f"{item}.json"

    def records_input(self, wd: WorkDir, pid: str) -> Path:
        mode = self.cfg.shard.records_from
        scored, normalized = wd.stage_output("score", pid), wd.stage_output("normalize", pid)
        if mode == "scored" or (mode == "auto" and scored.exists()):
            return scored
        return normalized

    def mentions_input(self, wd: WorkDir, pid: str) -> Path:
        return wd.mentions_output(pid)

    def _table_wanted(self, table: str) -> bool:
        """The mentions table rides with the records table (shard.tables names the tables it knows)."""
        return (table if table != "mentions" else "records") in self.cfg.shard.tables

    def figures_input(self, wd: WorkDir, pid: str) -> Path:
        return wd.stage_output("figures", pid)

    # -- plan --
    def _plan(self, wd: WorkDir) -> dict:
        cached = getattr(self, "_plan_cache", None)
        if cached is None:
            p = self.plan_path(wd)
            cached = json.loads(p.read_text("utf-8")) if p.exists() else {"shards": {}}
            self._plan_cache = cached
        return cached

    def _rejected_mode(self) -> str:
        return self.cfg.shard.rejected or getattr(getattr(self.cfg, "review", None), "rejected", None) or "drop"

    def _load_decisions(self) -> dict:
        try:
            from pipeline.review.decisions import latest_decisions
        except ImportError:
            return {}
        return latest_decisions(self.cfg)

    def prepare(self, wd: WorkDir) -> None:
        from rich.progress import Progress

        from pipeline.shard.dedup import Deduper

        sc = self.cfg.shard
        out = self.shards_dir(wd)
        out.mkdir(parents=True, exist_ok=True)
        remove_stale_temp_files(out)  # a killed run's temp files (the runner cleans the work dir; out may be elsewhere)
        (out / MANIFEST_NAME).unlink(missing_ok=True)  # the set is incomplete until finalize writes it again
        self._plan_cache = None

        decisions = self._load_decisions()
        dec_json = {rid: d.model_dump(mode="json") for rid, d in sorted(decisions.items())}
        atomic_write_json(self.decisions_path(wd), dec_json)
        dec_sha = hashlib.sha256(json.dumps(dec_json, sort_keys=True).encode()).hexdigest()

        ids: set[str] = set()
        for stage in ("normalize", "score", "parse", "figures"):
            ids |= wd.done_ids(stage)
        papers: dict[str, dict] = {}
        dedup = Deduper(sc.near_dup_threshold, sc.minhash_perm, sc.shingle_words) if sc.dedup else None
        with Progress(transient=True, disable=not self.cfg.runner.progress) as progress:
            task = progress.add_task("shard: plan", total=len(ids))
            for pid in sorted(ids):
                progress.advance(task)
                info: dict = {"split": split_of(pid, sc.validation_fraction, sc.split_seed)}
                meta = wd.paper_json(pid)
                info["meta_sha"] = _file_sha(meta)
                try:
                    paper = wd.load_paper(pid) if meta.exists() else None
                except Exception:  # noqa: BLE001 - a bad Paper json only costs its licence
                    paper = None
                info["licence"] = paper.licence if paper else None
                info["licence_ok"] = licence_allowed(info["licence"], sc.licence_allowlist)
                for key, rec in (("records", self.records_input(wd, pid)), ("mentions", self.mentions_input(wd, pid))):
                    if rec.exists():
                        data = rec.read_bytes()
                        info[key] = {"path": str(rec.relative_to(wd.root)), "sha": hashlib.sha256(data).hexdigest(),
                                     "rows": sum(1 for ln in data.splitlines() if ln.strip()), "bytes": len(data)}
                fig = self.figures_input(wd, pid)
                if fig.exists():
                    data = fig.read_bytes()
                    info["figures"] = {"sha": hashlib.sha256(data).hexdigest(),
                                       "rows": sum(1 for ln in data.splitlines() if ln.strip()), "bytes": len(data)}
                parsed = wd.parsed_json(pid)
                if parsed.exists():
                    data = parsed.read_bytes()
                    sha = hashlib.sha256(data).hexdigest()
                    entry = self._text_info(wd, pid, sha, data, dedup)
                    info["parsed"] = {"sha": sha, **{k: entry[k] for k in ("bytes", "error") if k in entry}}
                    if dedup is not None and "sig" in entry:
                        d = dedup.add_signature(pid, entry["sig"])
                        if d is not None:
                            info["duplicate"] = d.as_dict()
                papers[pid] = info

        kept = {pid: i for pid, i in papers.items() if "duplicate" not in i}
        code = code_version()
        config = sc.model_dump(mode="json")
        shards: dict[str, dict] = {}
        for table in TABLES:
            if not self._table_wanted(table):
                continue
            if table == "figure_series" and not _figure_schema_available():
                continue
            for split in SPLITS:
                members = []
                for pid, i in kept.items():
                    if i["split"] != split:
                        continue
                    if table in RECORD_TABLES and i.get(table, {}).get("rows"):
                        members.append((pid, i[table]["rows"], i[table]["bytes"]))
                    elif table == "text" and "parsed" in i and i["licence_ok"]:
                        members.append((pid, 1, i["parsed"].get("bytes", 0)))
                    elif table == "figure_series" and i.get("figures", {}).get("rows"):
                        members.append((pid, i["figures"]["rows"], i["figures"]["bytes"]))
                if not members:
                    continue
                members.sort(key=lambda m: (_hash01(sc.split_seed, "shard", m[0]), m[0]))
                if sc.num_shards:
                    groups: list[list[str]] = [[] for _ in range(sc.num_shards)]
                    for pid, _, _ in members:
                        groups[_hash01(sc.split_seed, "shard", pid) % sc.num_shards].append(pid)
                    groups = [g for g in groups if g]
                else:
                    groups = _pack(members, sc, table)
                for n, group in enumerate(groups):
                    item = f"{table}-{split}-{n:05d}"
                    group = sorted(group)
                    inputs = [[pid, papers[pid].get("meta_sha"), papers[pid].get(INPUT_KEY[table], {}).get("sha")]
                              for pid in group]
                    key = [FORMAT_VERSION, code, config, self._rejected_mode(), table, split, inputs,
                           dec_sha if table == "records" else None]
                    shards[item] = {
                        "table": table,
                        "split": split,
                        "path": f"{table}/{item}.parquet",
                        "papers": group,
                        "fingerprint": hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest(),
                    }
        plan = {
            "code_version": code,
            "config": config,
            "papers": papers,
            "shards": shards,
            "duplicates": [i["duplicate"] for _, i in sorted(papers.items()) if "duplicate" in i],
        }
        atomic_write_json(self.plan_path(wd), plan)
        self._plan_cache = plan

    def cache_path(self, wd: WorkDir, pid: str) -> Path:
        return wd.root / "shard" / "cache" / f"{pid}.json"

    def _text_info(self, wd: WorkDir, pid: str, sha: str, data: bytes, dedup) -> dict:
        """Text size and dedup signature of a parsed paper, cached by the parsed file's sha256 (a re-run does not
        parse every document again)."""
        from pipeline.shard.dedup import SCHEME
        from pipeline.shard.text import TEXT_VERSION, normalized_text, paper_text
        from schemas import ParsedDocument

        path = self.cache_path(wd, pid)
        try:
            entry = json.loads(path.read_text("utf-8")) if path.exists() else None
        except (OSError, json.JSONDecodeError):
            entry = None
        if entry and entry.get("parsed_sha") == sha and entry.get("text_version") == TEXT_VERSION:
            sig = entry.get("sig")
            if "error" in entry or dedup is None or (
                sig and (sig.get("num_perm"), sig.get("shingle_words"), sig.get("scheme"))
                == (dedup.num_perm, dedup.shingle_words, SCHEME)
            ):
                return entry
        entry = {"parsed_sha": sha, "text_version": TEXT_VERSION}
        try:
            text, _ = paper_text(ParsedDocument.model_validate_json(data))
            entry["bytes"] = len(text.encode("utf-8"))
            if dedup is not None:
                entry["sig"] = dedup.signature(normalized_text(text))
        except Exception as e:  # noqa: BLE001 - process() reports it for the text shard
            entry["error"] = f"{type(e).__name__}: {e}"[:500]
        atomic_write_json(path, entry)
        return entry

    # -- the per-item loop --
    def work_items(self, wd: WorkDir) -> list[str]:
        return sorted(self._plan(wd)["shards"])

    def source_of(self, wd: WorkDir, item: str) -> str | None:
        entry = self._plan(wd)["shards"].get(item)
        if entry is None:  # a paper id (a paper refused inside a shard)
            return super().source_of(wd, item)
        return str(self.shards_dir(wd) / entry["path"])

    def is_done(self, wd: WorkDir, item: str) -> bool:
        entry = self._plan(wd)["shards"][item]
        path = self.shards_dir(wd) / entry["path"]
        st = self.state_path(wd, item)
        if not path.is_file() or not st.is_file():
            return False
        try:
            state = json.loads(st.read_text("utf-8"))
        except (OSError, json.JSONDecodeError):
            return False
        return (
            state.get("fingerprint") == entry["fingerprint"]
            and state.get("bytes") == path.stat().st_size
            and state.get("sha256") == sha256_file(path)
        )

    def process(self, wd: WorkDir, item: str) -> None:
        import pyarrow as pa

        entry = self._plan(wd)["shards"][item]
        table, split = entry["table"], entry["split"]
        parts, ok, failed = [], [], []
        for pid in entry["papers"]:
            try:
                if table in RECORD_TABLES:
                    t = self._records_table(wd, pid, split, table)
                elif table == "text":
                    t = self._text_table(wd, pid, split)
                else:
                    t = self._figure_table(wd, pid, split)
            except Exception as e:  # noqa: BLE001 - one bad paper never stops its shard
                self.record_failure(wd, pid, e)
                failed.append({"paper_id": pid, "table": table, "error_class": type(e).__name__, "message": str(e)[:2000]})
                continue
            parts.append(t)
            ok.append(pid)
        schema = self._schema(table)
        tbl = pa.concat_tables(parts) if parts else schema.empty_table()
        data = self._parquet_bytes(tbl, table)
        path = self.shards_dir(wd) / entry["path"]
        atomic_write_bytes(path, data)
        atomic_write_json(
            self.state_path(wd, item),
            {"fingerprint": entry["fingerprint"], "rows": tbl.num_rows, "bytes": len(data),
             "sha256": hashlib.sha256(data).hexdigest(), "papers": ok, "failed": failed},
        )

    # -- tables --
    def _schema(self, table: str):
        if table in RECORD_TABLES:
            from schemas.flat import flat_record_schema

            return flat_record_schema()
        if table == "text":
            from pipeline.shard.text import TEXT_SCHEMA

            return TEXT_SCHEMA
        return _figure_schema()

    def _parquet_bytes(self, tbl, table: str) -> bytes:
        import pyarrow.parquet as pq

        sc = self.cfg.shard
        buf = io.BytesIO()
        pq.write_table(
            tbl,
            buf,
            compression="zstd",
            compression_level=sc.compression_level,
            row_group_size=sc.text_row_group_rows if table == "text" else sc.row_group_rows,
            write_statistics=True,
        )
        return buf.getvalue()

    def _decisions(self, wd: WorkDir) -> dict:
        cached = getattr(self, "_decisions_cache", None)
        if cached is None:
            from schemas import ReviewDecision

            p = self.decisions_path(wd)
            raw = json.loads(p.read_text("utf-8")) if p.exists() else {}
            cached = {rid: ReviewDecision.model_validate(d) for rid, d in raw.items()}
            self._decisions_cache = cached
        return cached

    def _records_table(self, wd: WorkDir, pid: str, split: str, table: str = "records"):
        """The flat rows of a paper's records (table "records") or quantity mentions ("mentions": no decisions,
        no score to filter by)."""
        import pyarrow as pa
        from pydantic import ValidationError

        from pipeline.shard.serialize import record_to_text
        from schemas.flat import flat_record_schema, flatten

        info = self._plan(wd)["papers"][pid]
        path = wd.root / info[table]["path"]
        decisions = self._decisions(wd) if table == "records" else {}
        mode = self._rejected_mode()
        min_score = self.cfg.shard.min_score
        rows = []
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                rec = Record.model_validate_json(line)
            except ValidationError as e:
                err = e.errors()[0]
                loc = ".".join(str(x) for x in err.get("loc", ()))
                raise CorruptRecordError(
                    f"paper {pid}: corrupt record row in {path} line {n}: {loc or 'row'}: {err.get('msg')} "
                    f"(got {str(err.get('input'))[:80]!r}); paper not sharded"
                ) from None
            if rec.paper_id != pid:
                raise CorruptRecordError(f"paper {pid}: {path} line {n} holds a record of paper {rec.paper_id!r}")
            status = "none"
            d = decisions.get(rec.record_id)
            if d is None and min_score is not None and rec.score is not None and rec.score < min_score:
                continue  # a curator's decision overrides the score
            if d is not None:
                if d.action == "reject" and mode == "drop":
                    continue
                from pipeline.review.decisions import apply_decision

                rec = apply_decision(rec, d)
                status = REVIEW_STATUS[d.action]
            if not info["licence_ok"] and rec.evidence.snippet:
                rec = rec.model_copy(update={
                    "evidence": rec.evidence.model_copy(update={"snippet": ""}),
                    "flags": sorted(set(rec.flags) | {WITHHELD_FLAG}),
                })
            rows.append(flatten(rec, review_status=status, record_text=record_to_text(rec), split=split))
        schema = flat_record_schema()
        try:
            return pa.Table.from_pylist(rows, schema=schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
            for row in rows:  # name the row
                try:
                    pa.Table.from_pylist([row], schema=schema)
                except (pa.ArrowInvalid, pa.ArrowTypeError) as e1:
                    raise CorruptRecordError(f"paper {pid}: record {row.get('record_id')} in {path}: {e1}") from None
            raise CorruptRecordError(f"paper {pid}: records in {path}: {e}") from None

    def _text_table(self, wd: WorkDir, pid: str, split: str):
        import pyarrow as pa

        from pipeline.shard.text import TEXT_SCHEMA, content_hash, paper_text

        info = self._plan(wd)["papers"][pid]
        if "error" in info.get("parsed", {}):
            raise PaperError(f"paper {pid}: parsed document {wd.parsed_json(pid)} unreadable: {info['parsed']['error']}")
        doc = wd.load_parsed(pid)
        paper = wd.load_paper(pid) if wd.paper_json(pid).exists() else None
        text, anchors = paper_text(doc)
        row = {
            "paper_id": pid,
            "split": split,
            "licence": info["licence"],
            "licence_url": paper.licence_url if paper else None,
            "doi": (paper.doi if paper else None) or doc.metadata.doi,
            "title": (paper.title if paper else None) or doc.metadata.title,
            "parser": doc.parser,
            "text": text,
            "n_chars": len(text),
            "content_sha256": content_hash(text),
            "anchors": anchors,
        }
        return pa.Table.from_pylist([row], schema=TEXT_SCHEMA)

    def _figure_table(self, wd: WorkDir, pid: str, split: str):
        import pyarrow as pa
        from pydantic import ValidationError

        from schemas.arrow import to_table
        from schemas.figure import FigureResult, FigureSeries

        path = self.figures_input(wd, pid)
        series = []
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                res = FigureResult.model_validate_json(line)
            except ValidationError as e:
                raise CorruptRecordError(f"paper {pid}: corrupt figure row in {path} line {n}: {e.errors()[0]['msg']}") from None
            series.extend(res.series)
        t = to_table(series, FigureSeries)
        t = t.append_column(pa.field("split", pa.string()), pa.array([split] * t.num_rows, pa.string()))
        return t.cast(_figure_schema())

    # -- manifest, written last --
    def finalize(self, wd: WorkDir) -> Path | None:
        """Write manifest.json once every planned shard is written; returns its path (None: shards missing).
        Under Slurm the array job runs after `matlit shard` returns: run `matlit shard manifest` when it is done."""
        from loguru import logger

        plan = self._plan(wd)
        out = self.shards_dir(wd)
        planned = {out / e["path"] for e in plan["shards"].values()}
        for table in TABLES:  # shards of an older plan
            d = out / table
            if d.is_dir():
                for p in d.glob("*.parquet"):
                    if p not in planned:
                        p.unlink()
        state_dir = self.state_path(wd, "x").parent
        if state_dir.is_dir():
            for p in state_dir.glob("*.json"):
                if p.stem not in plan["shards"]:
                    p.unlink()
        missing = sorted(e["path"] for item, e in plan["shards"].items() if not self._written(wd, item, e))
        if missing:
            msg = f"shard: no manifest written; shards missing or not from this plan: {', '.join(missing)}"
            logger.error(msg + " (see failures/shard/)")
            print(msg)
            return None
        entries, failures = [], []
        tables = {t: {"rows": 0, "shards": 0, "bytes": 0, "papers": 0} for t in TABLES}
        splits = {s: {t: 0 for t in TABLES} for s in SPLITS}
        for item, e in sorted(plan["shards"].items(), key=lambda kv: kv[1]["path"]):
            state = json.loads(self.state_path(wd, item).read_text("utf-8"))
            p = out / e["path"]
            entries.append({"table": e["table"], "split": e["split"], "path": e["path"], "rows": state["rows"],
                            "bytes": p.stat().st_size, "sha256": sha256_file(p), "papers": state["papers"]})
            failures.extend(state.get("failed", []))
            t = tables[e["table"]]
            t["rows"] += state["rows"]
            t["shards"] += 1
            t["bytes"] += p.stat().st_size
            t["papers"] += len(state["papers"])
            splits[e["split"]][e["table"]] += state["rows"]
        # failure rows of papers that are fine now (a re-run after a fix) go away; shard-level rows stay
        failed_ids = {f["paper_id"] for f in failures}
        for f in wd.failures(self.name):
            if f.paper_id in plan["papers"] and f.paper_id not in failed_ids:
                wd.clear_failure(self.name, f.paper_id)
        excluded = [
            {"paper_id": pid, "licence": i["licence"], "reason": "licence not in shard.licence_allowlist"}
            for pid, i in sorted(plan["papers"].items())
            if "parsed" in i and not i["licence_ok"] and "duplicate" not in i and "text" in self.cfg.shard.tables
        ]
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "schema_version": SCHEMA_VERSION,
            "code_version": plan["code_version"],
            "config": plan["config"],
            "tables": tables,
            "splits": splits,
            "shards": entries,
            "duplicates": plan["duplicates"],
            "excluded": excluded,
            "failures": sorted(failures, key=lambda f: (f["paper_id"], f["table"])),
        }
        atomic_write_json(out / MANIFEST_NAME, manifest)
        return out / MANIFEST_NAME

    def _written(self, wd: WorkDir, item: str, entry: dict) -> bool:
        """The shard file is there and its state says it was written for this plan (not left from an older one)."""
        st = self.state_path(wd, item)
        if not (self.shards_dir(wd) / entry["path"]).is_file() or not st.is_file():
            return False
        try:
            return json.loads(st.read_text("utf-8")).get("fingerprint") == entry["fingerprint"]
        except (OSError, json.JSONDecodeError):
            return False


def _figure_schema_available() -> bool:
    try:
        import schemas.figure  # noqa: F401
    except ImportError:  # the figures schema has not landed: no figure_series table
        return False
    return True


def _figure_schema():
    import pyarrow as pa

    from schemas.arrow import arrow_schema
    from schemas.figure import FigureSeries

    s = arrow_schema(FigureSeries)
    return s.append(pa.field("split", pa.string()))
