"""ChemDataExtractor (CDE) as an optional extractor, run in its own environment.

chemdataextractor2 pins numpy<2, scipy<1.13 and transformers<5, so it lives in `.venv-cde` (`make cde-env`) and
runs as a subprocess: `pipeline/cde/worker.py`, spoken to in JSON lines (see that file). This module maps CDE's
records onto `schemas.Record`: material from CDE's compound names, property id from `schemas.vocab`, quantity raw,
values and raw unit, char spans found with `str.find` in the input text, flag "cde".

    with CdeExtractor() as cde:
        records = cde.extract_texts([("t1", "The band gap of TiO2 is 3.2 eV.")])

Environment: MATLIT_CDE_PYTHON (the Python of the CDE environment, default .venv-cde/bin/python),
MATLIT_CDE_DATA (CDE's data directory, holding models/), STANZA_RESOURCES_DIR (stanza's models).
CDE's models are not on PyPI and are downloaded by CDE from its own hosts: offline, the worker reports which are
missing and where it looked, and `start()` raises ConfigError with that message.
"""

from __future__ import annotations

import collections
import json
import logging
import os
import queue
import re
import subprocess
import threading
import time
import weakref
from pathlib import Path
from typing import Iterator

from pipeline.errors import ConfigError
from schemas import BlockKind, CharSpan, Evidence, Material, ParsedDocument, PropertyRef, Prov, Quantity, Record
from schemas.vocab import find_property_mentions

log = logging.getLogger(__name__)

NAME = "cde"
VERSION = "2.4.1-bridge-1"
FLAG = "cde"
REPO = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).resolve().with_name("worker.py")
DEFAULT_PYTHON = REPO / ".venv-cde" / "bin" / "python"
FATAL_EXIT = 3
SNIPPET_MAX = 400


def cde_python() -> Path:
    return Path(os.environ.get("MATLIT_CDE_PYTHON") or DEFAULT_PYTHON)


class CdeExtractor:
    """ChemDataExtractor in a long-lived worker process; close() (or `with`) ends it.

    `python`: the CDE environment's Python (default: $MATLIT_CDE_PYTHON, else .venv-cde/bin/python);
    `worker`: the worker script (default pipeline/cde/worker.py); `data_dir`: CDE's data directory (MATLIT_CDE_DATA);
    `timeout`: seconds per text (the worker is killed and restarted when one text takes longer);
    `start_timeout`: seconds for the worker to import CDE and load its models.
    Call start() (or enter `with`) before a batch: a CDE that cannot run raises ConfigError there, not per paper.
    """

    name = NAME
    version = VERSION

    def __init__(
        self,
        python: str | Path | None = None,
        worker: str | Path | None = None,
        timeout: float = 60.0,
        start_timeout: float = 300.0,
        data_dir: str | Path | None = None,
    ):
        self.python = Path(python) if python is not None else cde_python()
        if not self.python.exists():
            raise ConfigError(
                f"the ChemDataExtractor environment is missing: {self.python} does not exist. "
                "Run `make cde-env` to create .venv-cde (or set MATLIT_CDE_PYTHON to a Python with chemdataextractor2)."
            )
        self.worker = Path(worker) if worker is not None else WORKER
        self.timeout = timeout
        self.start_timeout = start_timeout
        self.data_dir = data_dir
        self.info: dict = {}  # the worker's ready line: cde_version, data_dir
        self.warnings: list[str] = []
        self._worker: _Worker | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start the worker now (it imports CDE and loads its models); ConfigError if it cannot."""
        if self._worker is None or not self._worker.alive():
            self._worker = _Worker(self._command(), self._env(), self.start_timeout)
            self.info = self._worker.info

    def close(self) -> None:
        if self._worker is not None:
            self._worker.stop()
            self._worker = None

    def __enter__(self) -> "CdeExtractor":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _command(self) -> list[str]:
        return [str(self.python), str(self.worker)]

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.data_dir is not None:
            env["MATLIT_CDE_DATA"] = str(self.data_dir)
        return env

    # ------------------------------------------------------------------ extraction

    def run_texts(self, items: list[tuple[str, str]]) -> Iterator[tuple[str, str, list[dict]]]:
        """(id, text, CDE records) per item; an item that fails or times out gives no records and a warning."""
        for item_id, text in items:
            self.start()
            try:
                records = self._worker.ask(item_id, text, self.timeout)
            except _ItemError as e:
                self._warn(f"cde: {item_id}: {e}")
                records = []
            if self._worker is not None and not self._worker.alive():
                self._worker.stop()
                self._worker = None  # restarted for the next item
            yield item_id, text, records

    def extract_texts(self, items: list[tuple[str, str]]) -> list[Record]:
        """Records for (id, text) pairs: paper_id and evidence source_id are the id; spans index the text."""
        out: list[Record] = []
        for item_id, text, cde_records in self.run_texts(items):
            out.extend(records_from_cde(cde_records, text, paper_id=item_id, source_id=item_id))
        return out

    def extract(self, doc: ParsedDocument) -> Iterator[Record]:
        """Records for every non-reference block of the document."""
        blocks = {b.id: b for b in doc.body_blocks() if b.text.strip()}
        items = [(b.id, b.text) for b in blocks.values()]
        for block_id, text, cde_records in self.run_texts(items):
            block = blocks[block_id]
            kind = "caption" if block.kind == BlockKind.caption else "sentence"
            yield from records_from_cde(cde_records, text, doc.paper_id, block_id, doc=doc, source_kind=kind)

    def _warn(self, message: str) -> None:
        log.warning(message)
        self.warnings.append(message)


# ---------------------------------------------------------------------------------------------- mapping


def records_from_cde(
    cde_records: list[dict],
    text: str,
    paper_id: str,
    source_id: str,
    doc: ParsedDocument | None = None,
    source_kind: str = "sentence",
) -> list[Record]:
    """Map CDE's serialized records ({ModelName: fields}) for one text onto Records.

    Records with no value (a compound alone) are dropped; the rest keep their raw strings, with char spans where
    the raw string is found in `text`. With `doc`, evidence gets the sentence (snippet and page boxes) holding the
    quantity; without, a window of the text and the quantity's span."""
    out: dict[str, Record] = {}
    for rec in cde_records:
        if not isinstance(rec, dict) or len(rec) != 1:
            continue
        model, fields = next(iter(rec.items()))
        if model == "Compound" or not isinstance(fields, dict):
            continue
        quantity = _quantity(fields, text)
        if quantity is None:
            continue
        start = quantity.span.start if quantity.span else None
        material = _material(fields, text, start)
        prop = _property(model, fields, text, start)
        evidence = _evidence(text, source_id, quantity.span, doc, source_kind)
        record = Record(
            record_id=Record.make_id(paper_id, NAME, source_id, start, quantity.raw),
            paper_id=paper_id,
            material=material,
            property=prop,
            quantity=quantity,
            evidence=evidence,
            extractor=NAME,
            extractor_version=VERSION,
            flags=[FLAG],
        )
        out.setdefault(record.record_id, record)
    return list(out.values())


def property_words(model: str) -> str:
    """Model name to words: BandGap -> band gap."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", model).lower()


def _property(model: str, fields: dict, text: str, near: int | None) -> PropertyRef:
    specifier = fields.get("specifier") if isinstance(fields.get("specifier"), str) else None
    words = property_words(model)
    prop_id = None
    for probe in (words, specifier):  # the model says what CDE meant; its specifier may be an ambiguous symbol
        mentions = find_property_mentions(probe) if probe else []
        if mentions:
            prop_id = mentions[0].property_id
            break
    raw = specifier or words
    return PropertyRef(raw=raw, id=prop_id, span=_span(text, specifier, near) if specifier else None)


def _material(fields: dict, text: str, near: int | None) -> Material | None:
    compound = fields.get("compound")
    if isinstance(compound, dict):
        compound = compound.get("Compound", compound)
    if not isinstance(compound, dict):
        return None
    names = [n for n in (compound.get("names") or []) if isinstance(n, str) and n.strip()]
    labels = [n for n in (compound.get("labels") or []) if isinstance(n, str) and n.strip()]
    if not names and not labels:
        return None
    # prefer a name that is in the text, nearest the value; CDE sorts its names alphabetically
    found = [(n, _span(text, n, near)) for n in names + labels]
    in_text = [(n, s) for n, s in found if s is not None]
    if in_text:
        raw, span = min(in_text, key=lambda ns: abs(ns[1].start - near) if near is not None else ns[1].start)
    else:
        raw, span = found[0]
    return Material(raw=raw, span=span)


def _quantity(fields: dict, text: str) -> Quantity | None:
    raw_value = fields.get("raw_value")
    if not isinstance(raw_value, str):  # older CDE models: value/units are the raw strings
        raw_value = fields.get("value") if isinstance(fields.get("value"), str) else None
        unit_raw = fields.get("units") if isinstance(fields.get("units"), str) else None
    else:
        unit_raw = fields.get("raw_units") if isinstance(fields.get("raw_units"), str) else None
    if not raw_value or not raw_value.strip():
        return None
    raw_value = raw_value.strip()
    values = _values(fields.get("value"), raw_value)
    kind = "value" if len(values) <= 1 else "interval" if len(values) == 2 else "list"
    error = fields.get("error")
    span = _quantity_span(text, raw_value, unit_raw)
    raw = text[span.start : span.end] if span else " ".join(x for x in (raw_value, unit_raw) if x)
    return Quantity(
        raw=raw,
        kind=kind,
        values=values,
        uncertainty=float(error) if isinstance(error, (int, float)) else None,
        unit_raw=unit_raw or None,
        span=span,
    )


NUMBER = re.compile(r"[-+−]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def _values(value, raw_value: str) -> list[float]:
    if isinstance(value, list) and all(isinstance(v, (int, float)) for v in value):
        return [float(v) for v in value]
    if isinstance(value, (int, float)):
        return [float(value)]
    return [float(m.group().replace("−", "-")) for m in NUMBER.finditer(raw_value)][:2]


def _span(text: str, raw: str | None, near: int | None = None) -> CharSpan | None:
    """The occurrence of `raw` in `text` (the one nearest `near` when given), as a CharSpan."""
    if not raw:
        return None
    starts = []
    i = text.find(raw)
    while i >= 0:
        starts.append(i)
        i = text.find(raw, i + 1)
    if not starts:
        return None
    start = min(starts, key=lambda s: abs(s - near)) if near is not None else starts[0]
    return CharSpan(start=start, end=start + len(raw))


def _quantity_span(text: str, raw_value: str, unit_raw: str | None) -> CharSpan | None:
    """The first occurrence of the value that is a whole number in the text, extended over its unit when the unit
    follows (spaces ignored in both: CDE joins tokens its own way, "3.1 - 3.3" for "3.1-3.3")."""
    loose = r"\s*".join(re.escape(c) for c in raw_value if not c.isspace())
    for m in re.finditer(r"(?<![\d.])" + loose + r"(?![\d])", text):
        end = _match_loose(text, m.end(), unit_raw) if unit_raw else None
        return CharSpan(start=m.start(), end=end if end is not None else m.end())
    return None


def _match_loose(text: str, pos: int, want: str) -> int | None:
    """End of `want` in `text` from `pos`, whitespace ignored on both sides; None if it does not follow."""
    want = "".join(want.split())
    i, j = pos, 0
    while j < len(want):
        if i >= len(text):
            return None
        if text[i].isspace():
            i += 1
            continue
        if text[i] != want[j]:
            return None
        i, j = i + 1, j + 1
    return i


def _evidence(
    text: str, source_id: str, span: CharSpan | None, doc: ParsedDocument | None, source_kind: str
) -> Evidence:
    if doc is not None and span is not None:
        for sent in doc.sentences_of(source_id):
            if sent.span.start <= span.start < sent.span.end:
                return Evidence(source_id=source_id, source_kind=source_kind, prov=list(sent.prov), snippet=sent.text)
    if doc is not None:
        block = doc.block(source_id)
        prov = doc.boxes_for(block, span.start, span.end) if span is not None else list(block.prov)
        return Evidence(source_id=source_id, source_kind="block", prov=prov, snippet=_window(text, span))
    prov = [Prov(page=1, span=span, item_id=source_id)] if span is not None else []
    return Evidence(source_id=source_id, source_kind="block", prov=prov, snippet=_window(text, span))


def _window(text: str, span: CharSpan | None) -> str:
    if len(text) <= SNIPPET_MAX or span is None:
        return text[:SNIPPET_MAX]
    start = max(0, span.start - SNIPPET_MAX // 2)
    return text[start : start + SNIPPET_MAX]


# ---------------------------------------------------------------------------------------------- the process


class _ItemError(Exception):
    """One text failed (CDE error, timeout, worker crash): no records for it, the batch goes on."""


class _Worker:
    """The worker subprocess: a thread reads its stdout lines into a queue, another keeps its stderr tail."""

    def __init__(self, command: list[str], env: dict[str, str], start_timeout: float):
        try:
            self.proc = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                encoding="utf-8",
                errors="replace",
                bufsize=1,
            )
        except OSError as e:
            raise ConfigError(f"cannot start the ChemDataExtractor worker {command}: {e}; run `make cde-env`") from e
        self._finalizer = weakref.finalize(self, _kill, self.proc)
        self.lines: queue.Queue = queue.Queue()
        self.stderr_tail: collections.deque = collections.deque(maxlen=30)
        self.threads = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for t in self.threads:
            t.start()
        self.info = self._wait_ready(start_timeout)

    def _read_stdout(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def _read_stderr(self) -> None:
        for line in self.proc.stderr:
            self.stderr_tail.append(line.rstrip())

    def _next(self, deadline: float) -> dict | None:
        """The next JSON object from the worker; None at EOF; TimeoutError past the deadline."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                raise TimeoutError from None
            if line is None:
                return None
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                log.debug("cde worker: not a protocol line: %r", line[:200])
                continue
            if isinstance(obj, dict):
                return obj

    def _wait_ready(self, start_timeout: float) -> dict:
        try:
            msg = self._next(time.monotonic() + start_timeout)
        except TimeoutError:
            self.stop()
            raise ConfigError(
                f"the ChemDataExtractor worker did not start within {start_timeout:g} s{self._stderr()}"
            ) from None
        if msg is not None and "fatal" in msg:
            self.stop()
            raise ConfigError(f"ChemDataExtractor is not usable: {msg['fatal']}")
        if msg is None or not msg.get("ready"):
            code = self.stop()
            raise ConfigError(
                f"the ChemDataExtractor worker exited before it was ready (exit code {code}){self._stderr()}"
            )
        return {k: v for k, v in msg.items() if k != "ready"}

    def ask(self, item_id: str, text: str, timeout: float) -> list[dict]:
        try:
            self.proc.stdin.write(json.dumps({"id": item_id, "text": text}, ensure_ascii=True) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as e:
            self.stop()
            raise _ItemError(f"the worker is gone ({e}){self._stderr()}") from e
        try:
            msg = self._next(time.monotonic() + timeout)
        except TimeoutError:
            self.stop()
            raise _ItemError(f"timed out after {timeout:g} s (worker restarted)") from None
        if msg is None:
            code = self.stop()
            raise _ItemError(f"the worker exited (code {code}){self._stderr()}")
        if "fatal" in msg:
            self.stop()
            raise ConfigError(f"ChemDataExtractor is not usable: {msg['fatal']}")
        if msg.get("id") != item_id:
            self.stop()
            raise _ItemError(f"protocol error: answer for {msg.get('id')!r}, expected {item_id!r}")
        if msg.get("error"):
            raise _ItemError(str(msg["error"]))
        records = msg.get("records")
        return records if isinstance(records, list) else []

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> int | None:
        """End the process (stdin closed, then terminate, then kill) and return its exit code."""
        code = self._finalizer() if self._finalizer.alive else self.proc.returncode
        for t in self.threads:
            t.join(timeout=2)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream and not stream.closed and not any(t.is_alive() for t in self.threads):
                stream.close()
        return code

    def _stderr(self) -> str:
        tail = [line for line in list(self.stderr_tail)[-5:] if line]
        return f"; worker stderr: {' | '.join(tail)}" if tail else ""


def _kill(proc: subprocess.Popen) -> int | None:
    try:
        if proc.stdin and not proc.stdin.closed:
            proc.stdin.close()
    except OSError:
        pass
    try:
        return proc.wait(timeout=2)
    except subprocess.TimeoutExpired:
        proc.terminate()
    try:
        return proc.wait(timeout=3)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()
