"""Reconciliation across papers: same-fact groups, consensus, disagreement, cited repeats, conditions."""

from __future__ import annotations

import math

from pipeline.score.reconcile import reconcile
from tests.pipeline.score.conftest import one_record, records_from


def _flags(rec, r):
    return rec.flags.get(r.record_id, [])


def test_three_papers_agree_one_disagrees_one_repeats_a_cited_value():
    a = one_record("paperA", "We measured a band gap of 3.37 eV for ZnO films.")
    b = one_record("paperB", "The band gap of ZnO is 3.36 eV at room temperature.")
    c = one_record("paperC", "The band gap of ZnO was previously reported to be 3.37 eV [12].")
    d = one_record("paperD", "The band gap of ZnO is 1.9 eV in our samples.")
    other = one_record("paperB", "The band gap of GaN is 3.4 eV.")
    res = reconcile([d, c, b, a, other])  # order must not matter
    zno = [g for g in res.groups if g.material == "zno"]
    assert len(zno) == 1, [g.to_json() for g in res.groups]
    g = zno[0]
    assert {m["paper_id"] for m in g.members} == {"paperA", "paperB", "paperC", "paperD"}  # every source kept
    assert g.n_papers == 4 and g.n_independent_papers == 3  # paperC repeats paperA's value: not counted twice
    assert g.consensus_value == 3.36  # median of 3.37, 3.36, 1.9
    assert "repeats_cited_value" in _flags(res, c)
    assert "repeats_cited_value" not in _flags(res, a)
    for r in (a, b):
        assert "consensus" in _flags(res, r)
    assert "disagrees_with_consensus" in _flags(res, d)
    assert f"group:{g.group_id}" in _flags(res, a)
    # cross-paper feature: paperD against the median of the other independent papers (3.37, 3.36)
    cons = res.consensus[d.record_id]
    assert cons.n_other_papers == 2 and math.isclose(cons.log_dev, abs(math.log(1.9 / 3.365)))
    assert other.record_id not in res.consensus  # GaN: one paper only


def test_conditions_split_groups_and_reruns_are_deterministic():
    hot = one_record("p1", "The resistivity of LaNiO3 is 2 mOhm cm at 300 K.")
    cold = one_record("p2", "The resistivity of LaNiO3 is 0.2 mOhm cm at 10 K.")
    also_hot = one_record("p3", "The resistivity of LaNiO3 is 2.1 mOhm cm at 300 K.")
    assert hot.conditions and cold.conditions, "text_rules reads the temperature condition"
    r1 = reconcile([hot, cold, also_hot])
    r2 = reconcile([also_hot, cold, hot])
    assert [g.to_json() for g in r1.groups] == [g.to_json() for g in r2.groups]
    groups = {g.group_id: {m["paper_id"] for m in g.members} for g in r1.groups}
    assert sorted(groups.values(), key=len) == [{"p2"}, {"p1", "p3"}]
    assert "disagrees_with_consensus" not in _flags(r1, cold)  # other conditions: not a disagreement


def test_review_papers_count_as_cited_and_same_paper_repeats():
    recs = records_from("rev", "ZnO has a band gap of 3.37 eV. The band gap of ZnO is 3.37 eV at room temperature.")
    src = one_record("orig", "We measured a band gap of 3.37 eV for ZnO films.")
    res = reconcile([*recs, src], review_papers={"rev"})
    assert all("repeats_cited_value" in _flags(res, r) for r in recs)
    assert "repeats_cited_value" not in _flags(res, src)
    assert all(res.paper_repeats[r.record_id] == 1 for r in recs)
    g = next(g for g in res.groups if g.material == "zno")
    assert g.n_independent_papers == 1 and g.consensus_value == 3.37


def test_review_articles_are_recognised():
    from pipeline.score.stage import is_review
    from schemas import Block, BlockKind, CharSpan, ParsedDocument, Sentence

    assert is_review("Iron-based superconductors: a review", None)
    assert is_review("Review of thermoelectric oxides", None)
    assert not is_review("A new concept of a hybrid trapped field magnet lens", None)

    def doc(n_refs: int, citing: int, plain: int) -> ParsedDocument:
        blocks = [Block(id=f"r{i}", kind=BlockKind.reference, text=f"[{i}] A. Author, J. Phys. ({i})") for i in range(n_refs)]
        blocks.append(Block(id="b", kind=BlockKind.paragraph, text="..."))
        texts = ["Tc rises to 38 K [12]."] * citing + ["We measured Tc = 38 K."] * plain
        sents = [Sentence(id=f"s{i}", block_id="b", span=CharSpan(start=0, end=len(t)), text=t) for i, t in enumerate(texts)]
        return ParsedDocument(paper_id="p", parser="test", blocks=blocks, sentences=sents)

    assert is_review("Radiation effects on iron-based superconductors", doc(113, 30, 70))
    assert not is_review("Radiation effects on iron-based superconductors", doc(40, 30, 70))  # few references
    assert not is_review("Radiation effects on iron-based superconductors", doc(113, 10, 90))  # few citing sentences
