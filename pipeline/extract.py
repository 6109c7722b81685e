"""Extract stage: ParsedDocument -> candidate Records (work/extracted/<id>.jsonl), from every configured extractor.

Also the stable raw-text contract used by evaluation tools:

    matlit extract --text IN.jsonl --out OUT.jsonl

reads lines {"id": ..., "text": ...} and writes one record per line with "doc_id" = the input id; every span in a
record (material, property, quantity, conditions) indexes that input text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Iterator

from pipeline.errors import BadInputError, ConfigError
from pipeline.runner import Stage
from pipeline.workdir import WorkDir, atomic_write_text
from schemas import Block, BlockKind, CharSpan, ParsedDocument, Prov, Record


def encoder_dir(cfg) -> Path:
    """The trained encoder folder of this config (extract.encoder_dir, else <work_dir>/models/encoder)."""
    return Path(cfg.extract.encoder_dir or Path(cfg.work_dir) / "models" / "encoder")


def extractor_names(cfg) -> list[str]:
    """extract.extractors, with text_rules run as text_rules+encoder when extract.encoder says so (auto: when
    trained weights exist in encoder_dir; a fresh machine without weights runs the rules alone)."""
    names = list(cfg.extract.extractors)
    mode = cfg.extract.encoder
    if mode == "on" or (mode == "auto" and (encoder_dir(cfg) / "config.json").is_file()):
        names = ["text_rules+encoder" if n == "text_rules" else n for n in names]
    return names


def build_extractors(names: list[str], encoder_path: Path | None = None, llm_cfg=None, work_dir: Path | None = None) -> list:
    """The explicit registry: config names -> extractor instances (encoder ones load the model in `encoder_path`)."""
    out = []
    for name in names:
        if name in ("encoder", "text_rules+encoder"):
            from extractors.encoder import EncoderExtractor, RulesEncoderExtractor

            path = Path(encoder_path or Path("work/models/encoder"))
            if not (path / "config.json").is_file():
                raise ConfigError(f"extractor {name!r} needs a trained encoder in {path}: run `matlit train-ner` first")
            out.append(EncoderExtractor(path) if name == "encoder" else RulesEncoderExtractor(path))
        elif name == "text_rules":
            from extractors.text_rules import TextRulesExtractor

            out.append(TextRulesExtractor())
        elif name == "tables":
            from extractors.tables import TableExtractor

            out.append(TableExtractor())
        elif name == "llm":
            from pipeline.config import LLMConfig
            from pipeline.llm.build import build_llm_extractor

            out.append(build_llm_extractor(llm_cfg or LLMConfig(), work_dir))
        elif name == "cde":
            from pipeline.cde import CdeExtractor

            ex = CdeExtractor()
            ex.start()  # a missing .venv-cde or missing CDE models is a config error: abort now, not per paper
            out.append(ex)
        else:
            raise ConfigError(f"unknown extractor {name!r} (known: text_rules, tables, cde, encoder, text_rules+encoder, llm)")
    return out


def extract_document(doc: ParsedDocument, extractors: list) -> list[Record]:
    records: dict[str, Record] = {}
    for ex in extractors:
        for rec in ex.extract(doc):
            records.setdefault(rec.record_id, rec)  # deterministic ids: the same statement once
    return list(records.values())


def text_document(doc_id: str, text: str) -> ParsedDocument:
    """A one-block document around raw text, so the same extractors run on it (block id = input id)."""
    from pipeline.parse.sentences import add_sentences

    block = Block(id=doc_id, kind=BlockKind.paragraph, text=text)
    doc = ParsedDocument(paper_id=doc_id, parser="text@1", blocks=[block])
    add_sentences(doc)
    for s in doc.sentences:  # no pages: provenance is the char span into the input text
        s.prov = [Prov(page=1, span=CharSpan(start=s.span.start, end=s.span.end), item_id=doc_id, origin="pdf")]
    return doc


def extract_texts(
    items: Iterable[tuple[str, str]],
    extractor_names: list[str] | None = None,
    encoder_path: Path | None = None,
    extractors: list | None = None,
) -> list[Record]:
    """Run the extractors over (doc_id, text) pairs; records' spans index each text. Pass `extractors` (built once
    with build_extractors) to reuse loaded models across calls."""
    if extractors is None:
        extractors = build_extractors(extractor_names or ["text_rules"], encoder_path)
    out: list[Record] = []
    for doc_id, text in items:
        out.extend(extract_document(text_document(doc_id, text), extractors))
    return out


def read_text_jsonl(path: Path) -> Iterator[tuple[str, str]]:
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                yield str(obj["id"]), str(obj["text"])
            except (json.JSONDecodeError, KeyError, TypeError) as e:
                raise BadInputError(f"{path}:{n}: expected a JSON object with 'id' and 'text' ({e})") from e


def extract_text_file(
    inp: Path, out: Path, extractor_names: list[str] | None = None, encoder_path: Path | None = None
) -> int:
    """The raw-text contract. Returns the number of records written."""
    from pipeline.normalize import normalize_records

    lines = []
    extractors = build_extractors(extractor_names or ["text_rules"], encoder_path)
    for doc_id, text in read_text_jsonl(inp):
        recs = extract_document(text_document(doc_id, text), extractors)
        for rec in normalize_records(recs):
            row = {"doc_id": doc_id, **rec.model_dump(mode="json")}
            lines.append(json.dumps(row, ensure_ascii=False) + "\n")
    atomic_write_text(out, "".join(lines))
    return len(lines)


class ExtractStage(Stage):
    name = "extract"

    def work_items(self, wd: WorkDir) -> list[str]:
        return sorted(wd.done_ids("parse"))

    def extractors(self) -> list:
        """Built once per worker process (an extractor may hold a model or a subprocess)."""
        if getattr(self, "_extractors", None) is None:
            self._extractors = build_extractors(
                extractor_names(self.cfg), encoder_dir(self.cfg), llm_cfg=self.cfg.llm, work_dir=self.cfg.work_dir
            )
        return self._extractors

    def process(self, wd: WorkDir, item: str) -> None:
        doc = wd.load_parsed(item)
        records = extract_document(doc, self.extractors())
        if self.cfg.figures.records and doc.figures:  # reported marked points of digitized figures
            from pipeline.figures.stage import records_from_figures

            records += records_from_figures(wd, doc)
        wd.write_records("extract", item, records)
        if "llm" in self.cfg.extract.extractors:
            from pipeline.llm.build import save_llm_stats

            save_llm_stats(wd, item, self.extractors())
