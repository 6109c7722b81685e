"""Normalize writes records (property known) and quantity mentions (no property) to separate files."""

from __future__ import annotations

import os

from pipeline.config import load_config
from pipeline.extract import build_extractors, extract_document, text_document
from pipeline.normalize import NormalizeStage, is_mention, normalize_records, split_mentions
from pipeline.workdir import WorkDir

TEXT = "The band gap of ZnO is 3.37 eV. The powder (10 mg) was dried at 100 °C."


def _normalized():
    return normalize_records(extract_document(text_document("p1", TEXT), build_extractors(["text_rules"])))


def test_the_criterion_is_a_known_property_id():
    recs, mentions = split_mentions(_normalized())
    assert any(r.property.id == "band_gap" for r in recs)
    assert all(not is_mention(r) and r.property.id for r in recs)
    assert any(m.quantity.raw.startswith("10") for m in mentions)
    assert all(is_mention(m) and "no_property" in m.flags for m in mentions)
    unknown = recs[0].model_copy(update={"property": recs[0].property.model_copy(update={"id": "not_a_property"})})
    assert is_mention(unknown)


def test_stage_writes_both_files_and_redoes_a_paper_killed_between_them(tmp_path):
    wd = WorkDir(tmp_path / "work")
    wd.write_records("extract", "p1", extract_document(text_document("p1", TEXT), build_extractors(["text_rules"])))
    stage = NormalizeStage(load_config(None, {"work_dir": str(wd.root), "runner.progress": False}), "r1")
    assert not stage.is_done(wd, "p1")
    stage.process(wd, "p1")
    assert stage.is_done(wd, "p1")
    recs, mentions = wd.read_records("normalize", "p1"), wd.read_mentions("p1")
    assert recs and mentions
    assert not {r.record_id for r in recs} & {m.record_id for m in mentions}
    assert sorted(r.record_id for r in recs + mentions) == sorted(r.record_id for r in _normalized())
    # killed after the mentions file was rewritten, before the records file: not done
    rec_path, men_path = wd.stage_output("normalize", "p1"), wd.mentions_output("p1")
    t = rec_path.stat().st_mtime_ns
    os.utime(men_path, ns=(t + 10**9, t + 10**9))
    assert not stage.is_done(wd, "p1")
    # a work dir normalized before mentions existed: normalized again
    men_path.unlink()
    assert not stage.is_done(wd, "p1")
    assert wd.read_mentions("p1") == []
