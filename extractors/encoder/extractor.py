"""Encoder extractors: the trained token classifier's spans -> candidate Records.

- `EncoderExtractor` ("encoder"): records from the encoder's spans alone. Each VAL span (with the UNIT right after
  it) is read by the quantity grammar; the property is the nearest PROP span in the sentence (resolved against the
  vocabulary), else the paragraph's last one; the material the nearest MAT span, else the paragraph's last one.
- `RulesEncoderExtractor` ("text_rules+encoder"): the text_rules records plus the encoder's values the rules
  missed (flag `encoder_only`; default). Options measured on the held-out split and off by default: a record the
  rules could not give a material (or property) takes the encoder's nearest one in the sentence (SuperMat Tc-link
  F1 fell 0.61 -> 0.58 with the 40-step model), and dropping rule quantities the encoder does not tag as values.
Every record names the extractor, its version and the model (model_id = "<folder name>@<manifest hash>").
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from extractors.encoder.tags import TagSpan
from schemas import CharSpan, Evidence, Material, ParsedDocument, PropertyRef, Record

NAME = "encoder"
COMBINED_NAME = "text_rules+encoder"
VERSION = "1"
UNIT_GAP = 3  # chars between a VAL span and the UNIT span that belongs to it


def model_id(model_dir: Path) -> str:
    manifest = Path(model_dir) / "manifest.json"
    digest = hashlib.sha256(manifest.read_bytes()).hexdigest()[:12] if manifest.is_file() else "unknown"
    return f"{Path(model_dir).name}@{digest}"


@dataclass
class _Ctx:
    material: Material | None = None
    prop: PropertyRef | None = None


class _Base:
    version = VERSION

    def __init__(self, model_dir: str | Path, tagger=None):
        from extractors.encoder.model import EncoderTagger

        self.model_dir = Path(model_dir)
        self.tagger = tagger or EncoderTagger(self.model_dir)
        self.model_id = model_id(self.model_dir)

    def _tag_blocks(self, doc: ParsedDocument, blocks) -> dict[str, list[TagSpan]]:
        spans = self.tagger.tag_many([b.text for b in blocks]) if blocks else []
        return {b.id: s for b, s in zip(blocks, spans, strict=True)}

    # -- spans -> record parts

    @staticmethod
    def _quantities(text: str, spans: list[TagSpan], lo: int, hi: int):
        """(QuantityMention shifted to block offsets) for the VAL(+UNIT) spans inside [lo, hi)."""
        from dataclasses import replace

        from extractors.quantities import find_quantities

        vals = [s for s in spans if s.type == "VAL" and lo <= s.start < hi]
        units = [s for s in spans if s.type == "UNIT" and lo <= s.start < hi]
        sent_qs = None
        out = []
        for v in vals:
            end = v.end
            u = next((u for u in units if 0 <= u.start - v.end <= UNIT_GAP and not text[v.end : u.start].strip()), None)
            if u is not None:
                end = u.end
            found = find_quantities(text[v.start : end])
            if found:
                q = max(found, key=lambda m: m.end - m.start)
                out.append((replace(q, start=v.start + q.start, end=v.start + q.end), v))
                continue
            if sent_qs is None:  # the grammar may need the words around it ("between 5 and 7 K")
                sent_qs = [replace(q, start=lo + q.start, end=lo + q.end) for q in find_quantities(text[lo:hi])]
            hits = [q for q in sent_qs if q.start < end and v.start < q.end]
            if hits:
                out.append((hits[0], v))
        return out

    @staticmethod
    def _nearest(spans: list[TagSpan], typ: str, start: int, end: int, lo: int, hi: int) -> TagSpan | None:
        cands = [s for s in spans if s.type == typ and lo <= s.start < hi and not s.overlaps(start, end)]
        if not cands:
            return None
        return min(cands, key=lambda s: (start - s.end) if s.end <= start else (s.start - end) + 25)

    @staticmethod
    def _property(text: str, span: TagSpan, unit: str | None) -> PropertyRef:
        from schemas.vocab import find_property_mentions, resolve_mention

        raw = text[span.start : span.end]
        pid = None
        for p in find_property_mentions(raw):
            pid = resolve_mention(p, unit, raw)
            if pid:
                break
        return PropertyRef(raw=raw, id=pid, span=CharSpan(start=span.start, end=span.end))

    @staticmethod
    def _material(text: str, span: TagSpan, materials) -> Material:
        raw = text[span.start : span.end]
        info = materials.resolve(raw)
        return Material(
            raw=raw,
            formula=info.formula if info else None,
            reduced_formula=info.reduced_formula if info else None,
            name=(info.name if info else None) or (None if info and info.formula else raw),
            span=CharSpan(start=span.start, end=span.end),
        )


class EncoderExtractor(_Base):
    """Records from the encoder's spans alone."""

    name = NAME

    def extract(self, doc: ParsedDocument) -> Iterator[Record]:
        from extractors.materials import DocumentMaterials
        from extractors.quantities import to_quantity
        from extractors.text_rules import READ_KINDS

        blocks = [b for b in doc.blocks if b.kind in READ_KINDS]
        materials = DocumentMaterials()
        for b in blocks:
            materials.learn(b.text)
        tagged = self._tag_blocks(doc, blocks)
        for block in blocks:
            spans, ctx = tagged[block.id], _Ctx()
            for sent in doc.sentences_of(block.id):
                lo, hi = sent.span.start, sent.span.end
                for q, _v in self._quantities(block.text, spans, lo, hi):
                    flags = []
                    p = self._nearest(spans, "PROP", q.start, q.end, lo, hi)
                    prop = self._property(block.text, p, q.unit) if p else None
                    if prop is None:
                        prop, flags = (ctx.prop.model_copy(update={"span": None}), ["property_from_context"]) if ctx.prop else (
                            PropertyRef(raw="", id=None),
                            ["no_property"],
                        )
                    m = self._nearest(spans, "MAT", q.start, q.end, lo, hi)
                    mat = self._material(block.text, m, materials) if m else None
                    if mat is None:
                        mat = ctx.material.model_copy(update={"span": None}) if ctx.material else None
                        flags.append("material_from_context" if mat else "no_material")
                    quantity = to_quantity(q).model_copy(update={"span": CharSpan(start=q.start, end=q.end)})
                    yield Record(
                        record_id=Record.make_id(doc.paper_id, NAME, block.id, q.start, q.raw),
                        paper_id=doc.paper_id,
                        material=mat,
                        property=prop,
                        quantity=quantity,
                        evidence=Evidence(
                            source_id=block.id, source_kind="sentence", prov=list(sent.prov), snippet=sent.text
                        ),
                        extractor=NAME,
                        extractor_version=VERSION,
                        model_id=self.model_id,
                        score=None,
                        flags=flags,
                    )
                in_sent = [s for s in spans if lo <= s.start < hi]
                mats = [s for s in in_sent if s.type == "MAT"]
                props = [s for s in in_sent if s.type == "PROP"]
                if mats:
                    ctx.material = self._material(block.text, mats[-1], materials)
                if props:
                    ctx.prop = self._property(block.text, props[-1], None)


class RulesEncoderExtractor(_Base):
    """text_rules records refined by the encoder (see the module docstring)."""

    name = COMBINED_NAME

    def __init__(
        self,
        model_dir: str | Path,
        tagger=None,
        *,
        fill_material: bool = False,
        fill_property: bool = False,
        filter_values: bool = False,
        add_values: bool = True,
    ):
        super().__init__(model_dir, tagger)
        self.fill_material, self.fill_property = fill_material, fill_property
        self.filter_values, self.add_values = filter_values, add_values

    def extract(self, doc: ParsedDocument) -> Iterator[Record]:
        from extractors.materials import DocumentMaterials
        from extractors.text_rules import READ_KINDS, TextRulesExtractor

        blocks = [b for b in doc.blocks if b.kind in READ_KINDS]
        by_id = {b.id: b for b in blocks}
        tagged = self._tag_blocks(doc, blocks)
        materials = DocumentMaterials()
        for b in blocks:
            materials.learn(b.text)
        rules = list(TextRulesExtractor().extract(doc))
        for r in rules:
            block = by_id.get(r.evidence.source_id)
            if block is None:
                yield r
                continue
            spans = tagged[block.id]
            q = r.quantity.span
            if self.filter_values and q is not None and not any(s.type == "VAL" and s.overlaps(q.start, q.end) for s in spans):
                continue
            sents = [(x.span.start, x.span.end) for x in doc.sentences_of(block.id)] or [(0, len(block.text))]
            yield self._refine(r, block, spans, materials, sents)
        if self.add_values:
            enc = EncoderExtractor(self.model_dir, tagger=self.tagger)
            taken = [(r.evidence.source_id, r.quantity.span) for r in rules if r.quantity.span is not None]
            for r in enc.extract(doc):
                sp = r.quantity.span
                if not any(b == r.evidence.source_id and s.start < sp.end and sp.start < s.end for b, s in taken):
                    yield self._renamed(r, r.flags + ["encoder_only"])

    def _refine(self, r: Record, block, spans: list[TagSpan], materials, sents: list[tuple[int, int]]) -> Record:
        q = r.quantity.span
        sent = next((s for s in sents if q is not None and s[0] <= q.start < s[1]), None)
        flags = list(r.flags)
        update: dict = {}
        if q is not None and sent is not None:
            lo, hi = sent
            if self.fill_material and ("no_material" in flags or "material_from_context" in flags):
                m = self._nearest(spans, "MAT", q.start, q.end, lo, hi)
                if m is not None:
                    update["material"] = self._material(block.text, m, materials)
                    flags = [f for f in flags if f not in ("no_material", "material_from_context")] + ["material_from_encoder"]
            if self.fill_property and ("no_property" in flags or "property_from_context" in flags):
                p = self._nearest(spans, "PROP", q.start, q.end, lo, hi)
                if p is not None:
                    prop = self._property(block.text, p, r.quantity.unit)
                    if prop.id:
                        update["property"] = prop
                        flags = [f for f in flags if f not in ("no_property", "property_from_context")]
                        flags.append("property_from_encoder")
        return self._renamed(r.model_copy(update=update), flags)

    def _renamed(self, r: Record, flags: list[str]) -> Record:
        start = r.quantity.span.start if r.quantity.span else None
        return r.model_copy(
            update={
                "record_id": Record.make_id(r.paper_id, COMBINED_NAME, r.evidence.source_id, start, r.quantity.raw),
                "extractor": COMBINED_NAME,
                "extractor_version": VERSION,
                "model_id": self.model_id,
                "flags": flags,
            }
        )


def read_manifest(model_dir: str | Path) -> dict:
    p = Path(model_dir) / "manifest.json"
    return json.loads(p.read_text("utf-8")) if p.is_file() else {}
