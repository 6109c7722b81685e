"""BIO labels from gold spans and back: the alignment training and inference share."""

from extractors.encoder.tags import IGNORE, LABEL2ID, bio_labels, decode, split_quantity


def test_split_quantity_separates_value_and_unit():
    text = "The band gap is 3.2 eV and the current density 194 mA/cm2."
    a = text.index("3.2")
    assert split_quantity(text, a, a + len("3.2 eV")) == [("VAL", a, a + 3), ("UNIT", a + 4, a + 6)]
    b = text.index("194")
    parts = split_quantity(text, b, b + len("194 mA/cm2"))
    assert [(t, text[s:e]) for t, s, e in parts] == [("VAL", "194"), ("UNIT", "mA/cm2")]
    c = text.index("band")
    assert split_quantity(text, c, c + 4) == [("VAL", c, c + 4)]  # no number: one VAL span, no crash


def test_bio_labels_and_decode_round_trip():
    text = "LiFePO4 has 170 mAh/g"
    offsets = [(0, 0), (0, 7), (8, 11), (12, 15), (16, 19), (19, 20), (20, 21), (0, 0)]
    spans = [("MAT", 0, 7), ("VAL", 12, 15), ("UNIT", 16, 21)]
    labels = bio_labels(offsets, spans)
    assert labels == [
        IGNORE, LABEL2ID["B-MAT"], LABEL2ID["O"], LABEL2ID["B-VAL"],
        LABEL2ID["B-UNIT"], LABEL2ID["I-UNIT"], LABEL2ID["I-UNIT"], IGNORE,
    ]
    back = decode(offsets, [lb if lb != IGNORE else 0 for lb in labels])
    assert [(s.type, text[s.start : s.end]) for s in back] == [("MAT", "LiFePO4"), ("VAL", "170"), ("UNIT", "mAh/g")]


def test_unannotated_types_are_ignored_not_taught_as_O():
    offsets = [(0, 2), (3, 7), (8, 10)]
    labels = bio_labels(offsets, [("VAL", 8, 10)], ignore=[(0, 2)])
    assert labels == [IGNORE, LABEL2ID["O"], LABEL2ID["B-VAL"]]


def test_decode_starts_span_on_stray_inside_tag():
    spans = decode([(0, 3), (4, 6), (7, 9)], [LABEL2ID["I-PROP"], LABEL2ID["I-PROP"], LABEL2ID["B-VAL"]])
    assert [(s.type, s.start, s.end) for s in spans] == [("PROP", 0, 6), ("VAL", 7, 9)]
