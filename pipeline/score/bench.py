"""Score stage speed for `make bench`: records/s of reconcile + features + model beside normalize on the same
records (bundled papers parsed without tables, text_rules, normalize), CPU seconds of this process."""

from __future__ import annotations

import time
from pathlib import Path


def _cpu() -> float:
    return time.process_time()


def measure_score(pdfs: list[str], repeat: int = 3) -> dict:
    from pipeline.config import ParseConfig
    from pipeline.extract import build_extractors, extract_document
    from pipeline.normalize import normalize_records
    from pipeline.parse.pdf import parse_pdf
    from pipeline.parse.sentences import add_sentences
    from pipeline.score.features import Context
    from pipeline.score.model import ScoreModel
    from pipeline.score.queue import queue_entries
    from pipeline.score.reconcile import reconcile
    from pipeline.score.stage import score_records

    extractors = build_extractors(["text_rules"])
    docs, raw = [], []
    for i, path in enumerate(pdfs):
        d = parse_pdf(Path(path), f"p{i:015d}", ParseConfig(tables=False, ocr="never"))
        add_sentences(d)
        docs.append(d)
        raw.append(extract_document(d, extractors))
    model = ScoreModel.load()
    normalize_records(raw[0])  # warm: vocabulary, pymatgen, pint
    t0 = _cpu()
    for _ in range(repeat):
        normalized = [normalize_records(r) for r in raw]
    norm_s = (_cpu() - t0) / repeat
    records = [r for rs in normalized for r in rs]
    t0 = _cpu()
    for _ in range(repeat):
        rec = reconcile(records)
        scored = []
        for d, rs in zip(docs, normalized, strict=True):
            ctx = Context.for_document(d, consensus=rec.consensus, paper_repeats=rec.paper_repeats)
            scored += score_records(rs, ctx, rec.flags, model)
        entries = queue_entries(scored)
    score_s = (_cpu() - t0) / repeat
    n = len(records)
    return {
        "kind": "score",
        "papers": len(docs),
        "records": n,
        "groups": len(rec.groups),
        "queued": len(entries),
        "normalize_s": round(norm_s, 3),
        "score_s": round(score_s, 3),
        "normalize_records_per_s": round(n / norm_s, 1) if norm_s else None,
        "score_records_per_s": round(n / score_s, 1) if score_s else None,
        "ratio_to_normalize": round(norm_s / score_s, 3) if score_s else None,
    }
