"""The interval shortcuts of order_rows agree with the row sweep they replace."""

import random

from pipeline.parse.layout import Frag, Row, _gaps, _holes, _union, order_rows


def _row(x0, x1, y0, y1=None, text="text"):
    y1 = y0 + 10 if y1 is None else y1
    f = Frag(1, x0, y0, x1, y1, text, [(0, len(text), x0, y0, x1, y1)], 10.0, False, False, "F", False, 0, 0)
    return Row(page=1, x0=x0, y0=y0, x1=x1, y1=y1, text=text, words=list(f.words), size=10.0, bold=False,
               font="F", frags=[f])


def test_union_holes_match_the_gap_sweep():
    rng = random.Random(7)
    for _ in range(500):
        rows = [_row(x0, x0 + rng.choice([0, 1, 5, 40, 200]) * rng.random(), 0)
                for x0 in (rng.uniform(0, 500) for _ in range(rng.randint(1, 12)))]
        spans = [(r.x0, r.x1) for r in rows]
        for gutter in (0.0, 6.0, 20.0):
            assert _holes(_union(spans), gutter) == _gaps(rows, gutter)
        k = rng.randint(0, len(spans))
        if 0 < k < len(spans):  # the union of two sets is the union of their unions
            assert _union(_union(spans[:k]) + _union(spans[k:])) == _union(spans)


def test_two_columns_read_column_by_column():
    left = [_row(50, 290, 100 + 14 * k, text=f"L{k}") for k in range(6)]
    right = [_row(310, 550, 100 + 14 * k, text=f"R{k}") for k in range(6)]
    leaves = order_rows(left + right, 6.0, 14.0)
    assert [[r.text for r in leaf] for leaf in leaves] == [[f"L{k}" for k in range(6)], [f"R{k}" for k in range(6)]]


def test_an_inverted_row_box_takes_the_row_sweep():
    left = [_row(50, 290, 100 + 14 * k, text=f"L{k}") for k in range(6)]
    right = [_row(310, 550, 100 + 14 * k, text=f"R{k}") for k in range(6)]
    odd = _row(400, 60, 300, text="odd")  # x1 < x0: an empty MuPDF box
    leaves = order_rows(left + right + [odd], 6.0, 14.0)
    assert sorted(r.text for leaf in leaves for r in leaf) == sorted([r.text for r in left + right] + ["odd"])


def test_vocabulary_reads_each_row_on_its_own():
    from pipeline.parse.layout import vocabulary

    rows = [_row(0, 10, 0, text=t) for t in ("ΟΔΟΣ", "Σ-band zero-field", "super-", "ΣΑΣ x-ray")]
    words, compounds = vocabulary(rows)
    assert compounds == {"σ-band", "zero-field", "x-ray"}  # a row-initial sigma is not final
    assert {"οδος", "σας", "super", "band", "zero", "field", "ray"} <= words
    assert "super-" not in words and "οδοσ" not in words  # the row-end hyphen is dropped; the sigma is final
