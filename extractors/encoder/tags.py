"""BIO tags for the encoder token classifier: MAT (material), PROP (property), VAL (value), UNIT.

Pure functions shared by training (gold spans -> token labels) and inference (token labels -> char spans):
no model, no disk. Token offsets are the (start, end) char offsets a fast tokenizer returns; (0, 0) marks a
special token.
"""

from __future__ import annotations

from dataclasses import dataclass

TYPES = ("MAT", "PROP", "VAL", "UNIT")
LABELS = ("O",) + tuple(f"{p}-{t}" for t in TYPES for p in ("B", "I"))
LABEL2ID = {label: i for i, label in enumerate(LABELS)}
ID2LABEL = dict(enumerate(LABELS))
IGNORE = -100  # no loss on this token (special token, or a mention of a type the corpus does not annotate)


@dataclass(frozen=True)
class TagSpan:
    type: str  # one of TYPES
    start: int
    end: int
    score: float = 1.0  # mean probability of the span's tokens

    def overlaps(self, start: int, end: int) -> bool:
        return self.start < end and start < self.end


def split_quantity(text: str, start: int, end: int) -> list[tuple[str, int, int]]:
    """A gold quantity span -> its VAL part and its UNIT part (when it has one), as (type, start, end).

    The unit is located by the project's quantity grammar (extractors.quantities); a span the grammar does not
    read is one VAL span.
    """
    from extractors.quantities import find_quantities

    piece = text[start:end]
    found = [q for q in find_quantities(piece) if q.unit_start is not None and q.unit_end is not None]
    if found:
        q = max(found, key=lambda m: m.end - m.start)
        us, ue = start + q.unit_start, start + q.unit_end
        if us > start and ue <= end:
            vs_end = us
            while vs_end > start and text[vs_end - 1].isspace():
                vs_end -= 1
            out = [("VAL", start, vs_end)] if vs_end > start else []
            out.append(("UNIT", us, ue))
            if ue < end and text[ue:end].strip():  # "5 K (±0.1)": the tail stays in the value
                out.append(("VAL", ue, end))
            return out
    return [("VAL", start, end)]


def bio_labels(
    offsets: list[tuple[int, int]],
    spans: list[tuple[str, int, int]],
    ignore: list[tuple[int, int]] = (),
) -> list[int]:
    """Label ids for tokens with char `offsets`: B-/I- of the span a token overlaps, O, or IGNORE.

    A token inside an `ignore` range that no gold span covers gets IGNORE (its type is not annotated there).
    Overlapping gold spans: the earlier-starting one wins.
    """
    spans = sorted(spans, key=lambda s: (s[1], -s[2]))
    out: list[int] = []
    prev_span = None
    for ts, te in offsets:
        if ts == te:
            out.append(IGNORE)
            prev_span = None
            continue
        hit = next((s for s in spans if s[1] < te and ts < s[2]), None)
        if hit is None:
            out.append(IGNORE if any(a < te and ts < b for a, b in ignore) else LABEL2ID["O"])
            prev_span = None
            continue
        prefix = "I" if hit is prev_span else "B"
        out.append(LABEL2ID[f"{prefix}-{hit[0]}"])
        prev_span = hit
    return out


def decode(offsets: list[tuple[int, int]], label_ids: list[int], probs: list[float] | None = None) -> list[TagSpan]:
    """Token labels -> char spans: a B- starts a span, an I- of the same type continues it (an I- after O starts one)."""
    out: list[TagSpan] = []
    cur: list | None = None  # [type, start, end, probs]

    def close():
        if cur is not None:
            ps = cur[3]
            out.append(TagSpan(cur[0], cur[1], cur[2], round(sum(ps) / len(ps), 4) if ps else 1.0))

    for i, ((ts, te), lid) in enumerate(zip(offsets, label_ids, strict=True)):
        label = ID2LABEL.get(lid, "O")
        p = probs[i] if probs is not None else 1.0
        if ts == te or label == "O":
            close()
            cur = None
            continue
        prefix, typ = label.split("-", 1)
        if prefix == "I" and cur is not None and cur[0] == typ:
            cur[2] = te
            cur[3].append(p)
            continue
        close()
        cur = [typ, ts, te, [p]]
    close()
    return out
