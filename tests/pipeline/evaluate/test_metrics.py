"""Metrics on hand-made cases: strict vs overlap, one-to-one matching, link rules, filters, regions."""

from __future__ import annotations

import pytest

from pipeline.evaluate.gold import Corpus, GoldDoc, GoldLink, Mention, Span, Task, numbers_in
from pipeline.evaluate.metrics import (
    DEFAULT_FILTERS,
    PRF,
    greedy_match,
    numbers_equal,
    span_pairs,
)
from pipeline.evaluate.score import context, score_corpus
from schemas import CharSpan, Condition, Evidence, Material, PropertyRef, Quantity, Record


def rec(
    doc: str,
    q: tuple[int, int] | None,
    *,
    prop="quantity",
    pid="density",  # a vocabulary property: a record (pid=None makes a quantity mention)
    mat=None,
    mat_raw=None,
    values=(),
    unit=None,
    kind="value",
    conds=(),
    n=0,
) -> Record:
    span = CharSpan(start=q[0], end=q[1]) if q else None
    material = None
    if mat or mat_raw:
        material = Material(raw=mat_raw or "m", span=CharSpan(start=mat[0], end=mat[1]) if mat else None)
    conditions = [
        Condition(raw="c", quantity=Quantity(raw="c", span=CharSpan(start=a, end=b)), property_id="temperature")
        for a, b in conds
    ]
    quantity = Quantity(raw="q", values=list(values), unit_raw=unit, kind=kind, span=span)
    return Record(
        record_id=f"r{n}{q}",
        paper_id=doc,
        material=material,
        property=PropertyRef(raw=prop, id=pid),
        quantity=quantity,
        conditions=conditions,
        evidence=Evidence(source_id=doc),
        extractor="t",
        extractor_version="1",
    )


def f1s(result: dict, task: str) -> tuple[float, float]:
    lv = result["tasks"][task]["levels"]
    return lv["strict"]["f1"], lv["overlap"]["f1"]


def test_prf():
    c = PRF(tp=3, fp=1, fn=2)
    assert (c.p, c.r) == (0.75, 0.6) and c.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert PRF().f1 == 0.0 and PRF(fp=2).p == 0.0


def test_greedy_is_one_to_one_best_first():
    # two predictions overlap one gold: only the better one counts
    pairs = span_pairs([(0, 10)], [(0, 9), (2, 10), (0, 10)], "overlap")
    assert greedy_match(pairs) == [(0, 2)]
    # best IoU first, then the rest: X->A, Y->B (not X->B)
    pairs = span_pairs([(0, 10), (10, 20)], [(0, 12), (8, 20)], "overlap")
    assert sorted(greedy_match(pairs)) == [(0, 0), (1, 1)]
    # a long prediction starting far before the gold still overlaps it
    assert greedy_match(span_pairs([(50, 55)], [(0, 100), (60, 70)], "overlap")) == [(0, 0)]
    assert span_pairs([(0, 10)], [(0, 9)], "strict") == []


def test_numbers():
    assert numbers_in("15 − 17 K") == [15.0, 17.0] and numbers_in("-4.80 eV") == [-4.8] and numbers_in("2−3") == [2, 3]
    assert numbers_equal([3.2], [3.2000000001]) and not numbers_equal([3.2], [3.3])
    assert numbers_equal([3.0, 3.2], [3.2, 3.0]) and not numbers_equal([3.0, 3.2], [3.0])
    assert not numbers_equal([], [1.0])


def test_property_filters():
    tc, bg = DEFAULT_FILTERS["tc"], DEFAULT_FILTERS["band_gap"]
    assert tc(PropertyRef(raw="x", id="critical_temperature")) and tc(PropertyRef(raw="T c"))
    assert tc(PropertyRef(raw="Tc")) and not tc(PropertyRef(raw="glass transition temperature"))
    assert tc(PropertyRef(raw="T c,onset", id="tc_onset")) and not tc(PropertyRef(raw="Tc", id="glass_transition"))
    assert bg(PropertyRef(raw="optical band gap")) and bg(PropertyRef(raw="x", id="band_gap"))
    assert bg(PropertyRef(raw="Eg")) and not bg(PropertyRef(raw="HOMO level"))


TEXT = "The film of ABC was heated to 300 K and its resistance fell to 5 Ohm at 2 GPa ."


def span_corpus() -> Corpus:
    q300, q5, q2 = (30, 35), (63, 68), (72, 77)
    assert [TEXT[a:b] for a, b in (q300, q5, q2)] == ["300 K", "5 Ohm", "2 GPa"]
    doc = GoldDoc(
        id="c:1",
        text=TEXT,
        spans={"quantity": [Span(*q300, kind="value", unit="K"), Span(*q5, unit="Ohm"), Span(*q2, unit="GPa")]},
    )
    return Corpus("c", [doc], [Task("quantity", "span", attrs=("kind", "unit"))])


def test_span_task_strict_vs_overlap():
    c = span_corpus()
    recs = [
        rec("c:1", (29, 35), unit="K", n=1),  # " 300 K": trimmed, so exact
        rec("c:1", (63, 66), unit="Ohm", n=2),  # "5 O": overlap only
        rec("c:1", (63, 66), n=3),  # the same span again: deduplicated
        rec("c:1", (0, 3), n=4),  # "The": a false positive
        rec("c:1", None, conds=[(72, 77)], n=5),  # a condition's quantity counts as a quantity mention
        rec("other:doc", (0, 3), n=6),  # unknown doc: ignored, counted
    ]
    r = score_corpus(c, recs)
    t = r["tasks"]["quantity"]
    assert t["gold"] == 3 and t["pred"] == 4
    assert t["levels"]["strict"] == {"tp": 2, "fp": 2, "fn": 1, "p": 0.5, "r": 2 / 3, "f1": pytest.approx(4 / 7)}
    assert t["levels"]["overlap"]["tp"] == 3 and t["levels"]["overlap"]["fp"] == 1
    assert t["attrs"]["overlap"]["kind"] == {"correct": 1, "total": 1, "accuracy": 1.0}
    assert t["attrs"]["overlap"]["unit"]["correct"] == 2 and t["attrs"]["overlap"]["unit"]["total"] == 3
    assert r["records"]["records_unknown_doc"] == 1
    assert [e["mention"] for e in t["errors"]["fp"]] == ["The"]


def test_regions_limit_scoring():
    c = span_corpus()
    d = c.docs[0]
    d.regions = [(20, 40)]
    d.spans["quantity"] = d.spans["quantity"][:1]
    r = score_corpus(c, [rec("c:1", (30, 35), n=1), rec("c:1", (63, 68), n=2)])  # the second is outside
    assert r["tasks"]["quantity"]["levels"]["strict"] == {"tp": 1, "fp": 0, "fn": 0, "p": 1.0, "r": 1.0, "f1": 1.0}


def link_corpus(rule: str, filt: str | None = None) -> Corpus:
    link = GoldLink(
        value=Mention("300 K", [(30, 35)]),
        material=Mention("ABC", [(12, 15)]),
        label="critical_temperature" if filt else "temperature",
        numbers=[300.0],
        unit="K",
    )
    doc = GoldDoc(id="c:1", text=TEXT, links={"l": [link]})
    return Corpus("c", [doc], [Task("l", "link", rule=rule, filter=filt)])


def test_link_material_strict_vs_overlap():
    c = link_corpus("triple")
    assert f1s(score_corpus(c, [rec("c:1", (30, 35), mat=(12, 15))]), "l") == (1.0, 1.0)
    assert f1s(score_corpus(c, [rec("c:1", (30, 35), mat=(8, 15))]), "l") == (0.0, 1.0)  # "of ABC"
    assert f1s(score_corpus(c, [rec("c:1", (30, 35), mat_raw="ABC")]), "l") == (1.0, 1.0)  # by text
    assert f1s(score_corpus(c, [rec("c:1", (30, 35))]), "l") == (0.0, 0.0)  # no material
    assert f1s(score_corpus(c, [rec("c:1", (63, 68), mat=(12, 15))]), "l") == (0.0, 0.0)  # wrong value


def test_link_one_to_one_and_dedup():
    c = link_corpus("triple")
    same = [rec("c:1", (30, 35), mat=(12, 15), n=i) for i in range(3)]  # the same record thrice: one prediction
    t = score_corpus(c, same)["tasks"]["l"]
    assert t["pred"] == 1 and t["levels"]["strict"]["f1"] == 1.0
    two = [rec("c:1", (30, 35), mat=(12, 15)), rec("c:1", (31, 35), mat=(12, 15))]  # both match, one counts
    t = score_corpus(c, two)["tasks"]["l"]["levels"]["overlap"]
    assert (t["tp"], t["fp"], t["fn"]) == (1, 1, 0)


def test_conditions_as_links():
    link = GoldLink(
        value=Mention("2 GPa", [(72, 77)]), material=Mention("ABC", [(12, 15)]), property=Mention("pressure", [])
    )
    doc = GoldDoc(id="c:1", text=TEXT, links={"l": [link]})
    r = rec("c:1", (63, 68), mat=(12, 15), conds=[(72, 77)])
    r.conditions[0].property_id = "pressure"
    for flag, tp in ((False, 0), (True, 1)):
        c = Corpus("c", [doc], [Task("l", "link", rule="measeval", condition_links=flag)])
        t = score_corpus(c, [r])["tasks"]["l"]
        assert (t["pred"], t["levels"]["strict"]["tp"]) == (1 + flag, tp)


def test_tc_rule_filter_and_numbers():
    c = link_corpus("tc", "tc")
    other = rec("c:1", (30, 35), mat=(12, 15), prop="resistance")  # not a Tc record: not a prediction at all
    t = score_corpus(c, [other])["tasks"]["l"]
    assert t["pred"] == 0 and t["levels"]["overlap"]["fn"] == 1
    by_number = rec("c:1", None, mat_raw="ABC", pid="critical_temperature", values=[300.0])  # no span: numbers
    assert f1s(score_corpus(c, [by_number]), "l") == (1.0, 1.0)
    t = score_corpus(c, [by_number, rec("c:1", (63, 68), mat_raw="ABC", prop="Tc", pid="critical_temperature", values=[5.0])])["tasks"]["l"]
    assert t["levels"]["overlap"]["fp"] == 1 and t["per_property"]["critical_temperature"]["fp"] == 1


def test_bandgap_rule_units():
    doc = GoldDoc(
        id="b:1",
        text="The band gap of ZnO is 3370 meV .",
        links={
            "bg": [
                GoldLink(
                    value=Mention("3370 meV", [(23, 31)]),
                    material=Mention("ZnO", [(16, 19)]),
                    label="band_gap",
                    numbers=[3370.0],
                    unit="meV",
                )
            ]
        },
    )
    c = Corpus("b", [doc], [Task("bg", "link", rule="bandgap", filter="band_gap")])
    ev = rec("b:1", (23, 31), prop="band gap", pid="band_gap", mat_raw="ZnO", values=[3.37], unit="eV")
    assert f1s(score_corpus(c, [ev]), "bg") == (1.0, 1.0)
    wrong = rec("b:1", (23, 31), prop="band gap", pid="band_gap", mat_raw="ZnO", values=[3.4], unit="eV")
    assert f1s(score_corpus(c, [wrong]), "bg") == (0.0, 0.0)
    loose = rec("b:1", (23, 31), prop="band gap", pid="band_gap", mat=(12, 19), values=[3370.0], unit="meV")  # "of ZnO"
    assert f1s(score_corpus(c, [loose]), "bg") == (0.0, 1.0)


def test_context_marks_the_sentence():
    text = "First sentence. The value is 5 K here. Last one."
    assert context(text, 29, 32) == "The value is ⟦5 K⟧ here."


def test_spans_count_mentions_links_do_not():
    """A quantity mention (no vocabulary property) is a found quantity for span tasks, not a record for link tasks;
    the link task's `with_mentions` keeps the number over records + mentions."""
    c = link_corpus("triple")
    c.docs[0].spans["quantity"] = [Span(30, 35, "temperature")]
    c.tasks.append(Task("quantity", "span", field="quantity"))
    mention = rec("c:1", (30, 35), mat=(12, 15), pid=None)
    r = score_corpus(c, [mention])
    assert r["records"]["mentions"] == 1
    assert r["tasks"]["quantity"]["levels"]["strict"]["tp"] == 1
    link = r["tasks"]["l"]
    assert link["pred"] == 0 and link["levels"]["overlap"]["fn"] == 1
    assert link["with_mentions"]["pred"] == 1 and link["with_mentions"]["levels"]["strict"]["tp"] == 1
    assert score_corpus(c, [rec("c:1", (30, 35), mat=(12, 15))])["tasks"]["l"]["levels"]["strict"]["tp"] == 1
