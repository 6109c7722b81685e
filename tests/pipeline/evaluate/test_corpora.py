"""Each gold loader on the real corpus in ../shared/data: counts as the READMEs state them, offsets that agree
with the surface text."""

from __future__ import annotations

from functools import lru_cache

import pytest

from pipeline.evaluate.corpora import CORPORA, LOADERS
from pipeline.evaluate.gold import Corpus
from tests.conftest import shared_data


@lru_cache(maxsize=None)
def _load(name: str) -> Corpus:
    return LOADERS[name](shared_data(name))


def load(name: str) -> Corpus:
    shared_data(name)  # skip clearly when shared/ is absent
    return _load(name)


def _check_offsets(c: Corpus) -> None:
    """Every gold span lies inside its text, is non-empty and has no outer whitespace; link mentions likewise."""
    for d in c.docs:
        for spans in d.spans.values():
            for s in spans:
                surface = d.text[s.start : s.end]
                assert 0 <= s.start < s.end <= len(d.text) and surface == surface.strip(), (d.id, s)
        for links in d.links.values():
            for lk in links:
                for m in [lk.value, lk.material, lk.property]:
                    for a, b in m.spans if m else []:
                        assert 0 <= a < b <= len(d.text) and d.text[a:b].strip(), (d.id, m)
    assert len({d.id for d in c.docs}) == len(c.docs)
    assert all(d.id.startswith(c.name + ":") for d in c.docs)


@pytest.mark.parametrize("name", CORPORA)
def test_offsets_agree_with_text(name):
    c = load(name)
    _check_offsets(c)
    assert c.stats["docs"] == len(c.docs) > 0
    assert "offset_mismatches" in c.stats


def test_grobid_quantities():
    c = load("grobid_quantities")
    st = c.stats
    assert st["docs"] == 32  # 30 corpus + 2 staging
    # the README counts tags as written: 3072 value, 1137 interval, 139 list (incl. staging)
    assert (st["raw_tags_value"], st["raw_tags_interval"], st["raw_tags_list"]) == (3072, 1137, 139)
    parsed = sum(v for k, v in st.items() if k.startswith("type_"))
    assert st["quantity_spans"] == parsed - st.get("duplicate_spans", 0) - st.get("empty_measures", 0)
    assert st["offset_mismatches"] == 0 and st["outside_blocks"] == 0
    doc = next(d for d in c.docs if d.id == "grobid_quantities:1001.4731")
    first = doc.spans["quantity"][0]
    assert doc.text[first.start : first.end] == "seven-year" and first.kind == "value"
    kinds = {doc.text[s.start : s.end]: s.kind for s in doc.spans["quantity"]}
    assert kinds["23-94GHz"] == "interval" and kinds["41, 61 and 94 GHz"] == "list"


def test_measeval():
    c = load("measeval")
    st = c.stats
    assert (st["train_paragraphs"], st["trial_paragraphs"]) == (248, 65)
    assert (st["train_annotated"], st["trial_annotated"]) == (233, 65)
    assert (st["train_rows_Quantity"], st["trial_rows_Quantity"]) == (883, 281)
    assert (st["train_rows_MeasuredEntity"], st["trial_rows_MeasuredEntity"]) == (875, 273)
    assert (st["train_rows_MeasuredProperty"], st["trial_rows_MeasuredProperty"]) == (563, 179)
    assert st["quantity_spans"] == st["links"] == 883 + 281
    assert st["offset_mismatches"] == 0
    doc = next(d for d in c.docs if d.id == "measeval:S0927024813002420-975")
    q = doc.spans["quantity"][0]
    assert doc.text[q.start : q.end] == "99.9%" and q.unit == "%"
    link = next(lk for lk in doc.links["links"] if lk.value.text == "300±15 °C")
    assert link.property.text == "temperature" and link.material.text == "evaporation"


def test_supermat():
    c = load("supermat")
    st = c.stats
    assert (st["rows"], st["files"]) == (1003, 119)
    assert st["offset_mismatches"] == 0  # every row with a paragraph is found in it
    # rows whose `text` is empty: recovered from ner_training_paragraphs.csv or dropped, and counted
    assert st["rows_without_text"] == st["rows_text_recovered"] + st["rows_dropped_no_text"]
    assert st["rows_located"] == st["rows"] - st["rows_dropped_no_text"]
    assert st["links"] == st["rows_located"] - st["duplicate_links"]
    assert st["rows_dropped_no_text"] / st["rows"] < 0.06
    for d in c.docs:
        for lk in d.links["tc_link"]:
            assert d.text[slice(*lk.value.primary)] == lk.value.text and lk.label == "critical_temperature"
            if lk.material:
                assert d.text[slice(*lk.material.primary)] == lk.material.text


def test_sofc_exp():
    c = load("sofc_exp")
    st = c.stats
    assert (st["train_docs"], st["dev_docs"]) == (25, 8)
    assert (st["train_MATERIAL"], st["train_VALUE"], st["train_frames"]) == (1180, 962, 649)
    assert (st["dev_MATERIAL"], st["dev_VALUE"], st["dev_frames"]) == (324, 190, 148)
    assert st["offset_mismatches"] == 0
    outside = sum(v for k, v in st.items() if k.endswith("outside_experiment_sentences"))
    assert st["material_spans_scored"] + st["value_spans_scored"] + outside == 1180 + 962 + 324 + 190
    doc = next(d for d in c.docs if d.id == "sofc_exp:PMC4222441")
    assert "ceria" in [doc.text[s.start : s.end] for s in doc.spans["material"]]
    values = {doc.text[s.start : s.end]: s.label for s in doc.spans["value"]}
    assert values["107 mA·cm−2"] == "current_density"


def test_bandgap_dong_cole():
    c = load("bandgap_dong_cole")
    st = c.stats
    assert (st["records"], st["articles"], st["links"]) == (209, 78, 209)
    assert st["offset_mismatches"] <= 3  # 2: the CSV's compound/value differs from its sentence
    links = [lk for d in c.docs for lk in d.links["bandgap_record"]]
    assert all(lk.numbers and lk.unit in ("eV", "meV") for lk in links)
    doc = next(d for d in c.docs if "Ca9La(PO4)7 was ascertained" in d.text)
    lk = doc.links["bandgap_record"][0]
    assert doc.text[slice(*lk.value.primary)] == "3.96 eV" and doc.text[slice(*lk.material.primary)] == "Ca9La(PO4)7"


def test_polyie():
    c = load("polyie")
    st = c.stats
    assert (st["train_docs"], st["validation_docs"]) == (63, 13)
    for split, counts in (("train", (8958, 6468, 3524, 266, 1701)), ("validation", (2201, 1589, 843, 48, 476))):
        got = tuple(st[f"{split}_entity_{k}"] for k in ("CN", "PN", "PV", "Condition"))
        assert got + (st[f"{split}_relations_arity_3"],) == counts
    assert st["offset_mismatches"] == 0 and st.get("relation_arg_tag_mismatches", 0) == 0
    assert st["value_spans"] == 3524 + 843
    for d in c.docs:
        for lk in d.links["triple"]:
            for m in (lk.value, lk.material, lk.property):
                assert d.text[slice(*m.primary)] == m.text


def test_mulms():
    c = load("mulms")
    st = c.stats
    assert (st["train_docs"], st["dev_docs"]) == (30, 5)
    expect = {
        "train": {"MAT": 9736, "NUM": 3480, "VALUE": 2743, "UNIT": 2431, "PROPERTY": 2480, "MEASUREMENT": 1328},
        "dev": {"MAT": 1769, "NUM": 781, "VALUE": 655, "UNIT": 565, "PROPERTY": 438, "MEASUREMENT": 251},
    }
    for split, counts in expect.items():
        assert {k: st[f"{split}_entity_{k}"] for k in counts} == counts
    assert (st["train_relation_measuresProperty"], st["train_relation_propertyValue"]) == (1279, 1192)
    assert (st["dev_relation_measuresProperty"], st["dev_relation_propertyValue"]) == (223, 304)
    assert st["offset_mismatches"] == 0
    assert st["value_spans"] == 2743 + 655
    assert 0 < st["frames_with_material"] <= st["measurement_frames"]
