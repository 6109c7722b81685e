"""The `llm` extractor: versioned prompt -> backend (constrained JSON) -> validate -> ground -> Records.

Where it runs (`run_on`):
- "numbers":   every readable block (paragraph, abstract, caption, ...) that contains a digit;
- "uncertain": only blocks where the rules found nothing, or records they flagged as unsure (no material, material
               or property taken from context, no property);
plus, with `tables=True`, every table as cell-addressed text ("r2c3: 3.1"). A per-paper token budget (prompt
estimate + max_tokens) stops sending requests once spent; skipped blocks are counted.

Every value, unit and material of a response is aligned to the source text (grounding.py). A record that does not
align is dropped and counted (`keep_ungrounded=False`, the default) or kept with flag `ungrounded:<fields>`.
Records carry prompt_id, prompt_hash and model_id. The optional verification pass asks ChatExtract-style follow-up
questions per record and stores the answers as flags `llm_verify:<question>=<yes|no|unsure>` for the score stage.

Backend failures (server errors, timeouts, invalid/empty/truncated JSON, schema violations) are counted in
`stats` and never stop the paper or the batch.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Literal

from pydantic import ValidationError

from extractors.llm.backends import Backend, ChatRequest, Completion
from extractors.llm.grounding import Aligner, ground_record
from extractors.llm.prompts import Prompt, load_prompt
from schemas import BlockKind, CharSpan, Condition, Evidence, Material, ParsedDocument, PropertyRef, Quantity, Record
from schemas.llm_response import OTHER_PROPERTY

NAME = "llm"
VERSION = "1"
READ_KINDS = {BlockKind.paragraph, BlockKind.abstract, BlockKind.caption, BlockKind.footnote}
UNSURE_FLAGS = {"no_material", "material_from_context", "property_from_context", "no_property"}
_DIGIT = re.compile(r"\d")


@dataclass
class LLMOptions:
    run_on: Literal["numbers", "uncertain"] = "numbers"
    tables: bool = False
    token_budget: int | None = 20000  # per paper, prompt + completion tokens (estimated); None = unlimited
    max_tokens: int = 512
    temperature: float = 0.0
    few_shot: bool = True
    verify: bool = False
    keep_ungrounded: bool = False
    max_block_chars: int = 4000  # longer blocks are cut at a sentence end (the rest is counted as skipped)
    prompts_dir: str | Path | None = None


@dataclass
class _Item:
    source_id: str
    kind: Literal["block", "table"]
    text: str  # the text the model sees and spans are grounded against
    block: Any = None
    table: Any = None
    cell_lines: list[tuple[int, int, Any]] = field(default_factory=list)  # (start, end, cell) in `text` for tables


def estimate_tokens(messages: list[dict[str, str]]) -> int:
    return sum(len(m["content"]) for m in messages) // 4 + 4 * len(messages)


class LLMExtractor:
    name = NAME
    version = VERSION

    def __init__(self, backend: Backend, options: LLMOptions | None = None):
        self.backend = backend
        self.options = options or LLMOptions()
        o = self.options
        self.paragraph_prompt: Prompt = load_prompt("extract_paragraph", o.prompts_dir)
        self.table_prompt: Prompt = load_prompt("extract_table", o.prompts_dir)
        self.verify_prompt: Prompt = load_prompt("verify_record", o.prompts_dir)
        self.stats: Counter = Counter()

    # ------------------------------------------------------------------------------------------ selection

    def _uncertain_blocks(self, doc: ParsedDocument) -> set[str]:
        from extractors.text_rules import TextRulesExtractor

        found: dict[str, list[Record]] = {}
        for r in TextRulesExtractor().extract(doc):
            found.setdefault(r.evidence.source_id, []).append(r)
        out = set()
        for b in doc.blocks:
            recs = found.get(b.id, [])
            if not recs or any(UNSURE_FLAGS & set(r.flags) or r.property.id is None for r in recs):
                out.add(b.id)
        return out

    def select(self, doc: ParsedDocument) -> list[_Item]:
        o = self.options
        wanted = self._uncertain_blocks(doc) if o.run_on == "uncertain" else None
        items: list[_Item] = []
        for b in doc.blocks:
            if b.kind not in READ_KINDS or not _DIGIT.search(b.text):
                continue
            if wanted is not None and b.id not in wanted:
                self.stats["blocks_skipped_rules_sure"] += 1
                continue
            text = b.text
            if len(text) > o.max_block_chars:
                cut = text.rfind(". ", 0, o.max_block_chars)
                text = text[: cut + 1 if cut > 0 else o.max_block_chars]
                self.stats["blocks_truncated"] += 1
            items.append(_Item(source_id=b.id, kind="block", text=text, block=b))
        if o.tables:
            for t in doc.tables:
                lines, spans, pos = [], [], 0
                for c in sorted(t.cells, key=lambda c: (c.row, c.col)):
                    prefix = f"r{c.row}c{c.col}: "
                    line = prefix + c.text.replace("\n", " ")
                    spans.append((pos + len(prefix), pos + len(line), c))
                    lines.append(line)
                    pos += len(line) + 1
                if lines and any(_DIGIT.search(c.text) for c in t.cells):
                    items.append(_Item(source_id=t.id, kind="table", text="\n".join(lines), table=t, cell_lines=spans))
        return items

    # ------------------------------------------------------------------------------------------ extract

    def requests_for(self, doc: ParsedDocument) -> tuple[list[_Item], list[ChatRequest], list]:
        o = self.options
        items, requests, rendered = [], [], []
        spent = 0
        for it in self.select(doc):
            if it.kind == "block":
                prompt, r = self.paragraph_prompt, self.paragraph_prompt.render(few_shot=o.few_shot, text=it.text)
            else:
                t = it.table
                caption = (t.caption or t.label or "").strip()
                prompt, r = self.table_prompt, self.table_prompt.render(few_shot=o.few_shot, caption=caption, cells=it.text)
            cost = estimate_tokens(r.messages) + o.max_tokens
            if o.token_budget is not None and spent + cost > o.token_budget:
                self.stats["skipped_token_budget"] += 1
                continue
            spent += cost
            items.append(it)
            rendered.append((prompt, r))
            requests.append(
                ChatRequest(
                    messages=r.messages,
                    schema=prompt.response_schema,
                    schema_name=prompt.schema_name,
                    max_tokens=o.max_tokens,
                    temperature=o.temperature,
                    key=f"{r.prompt_hash}:{r.input_hash}",
                )
            )
        self.stats["tokens_budgeted"] += spent
        return items, requests, rendered

    def extract(self, doc: ParsedDocument) -> Iterator[Record]:
        items, requests, rendered = self.requests_for(doc)
        if not requests:
            return
        completions = self.backend.generate(requests)
        self.stats["requests"] += len(requests)
        records: list[Record] = []
        for it, (prompt, r), c in zip(items, rendered, completions, strict=True):
            self._count(c)
            if not c.ok:
                continue
            try:
                parsed = prompt.validate_response(c.text)
            except ValidationError:
                self.stats["error:schema_invalid"] += 1
                continue
            for llm_rec in parsed.records:
                self.stats["llm_records"] += 1
                rec = self._record(doc, it, llm_rec, prompt, r)
                if rec is not None:
                    records.append(rec)
        if self.options.verify and records:
            self._verify(doc, records, items)
        seen = set()
        for rec in records:
            if rec.record_id not in seen:
                seen.add(rec.record_id)
                yield rec

    def _count(self, c: Completion) -> None:
        self.stats["cached" if c.cached else "backend_calls"] += 1
        self.stats["prompt_tokens"] += c.prompt_tokens
        self.stats["completion_tokens"] += c.completion_tokens
        if c.error is not None:
            kind = c.error.split(":")[0].split(" (")[0] if c.finish_reason != "error" else "backend_error"
            self.stats[f"error:{kind}"] += 1
            self.stats["errors"] += 1

    # ------------------------------------------------------------------------------------------ records

    def _record(self, doc: ParsedDocument, it: _Item, rec, prompt: Prompt, r) -> Record | None:
        from extractors.materials import normalize_formula

        g = ground_record(it.text, rec, Aligner(it.text))
        if not g.ok:
            self.stats["ungrounded"] += 1
            for m in g.missing:
                self.stats[f"ungrounded_{m}"] += 1
            if not self.options.keep_ungrounded:
                self.stats["dropped_ungrounded"] += 1
                return None
        text = it.text
        if g.value is not None:
            vs, ve = g.value
            qend = g.unit[1] if g.unit and g.unit[0] >= vs else ve
            quantity = self._quantity(text, vs, qend, g.unit)
        else:  # kept ungrounded: the model's own strings, no span, no page box
            stated = f"{rec.value} {rec.unit}".strip()
            vs = qend = None
            quantity = self._quantity(stated, 0, len(stated), (len(rec.value) + 1, len(stated)) if rec.unit else None)
        if quantity is None:
            self.stats["dropped_unparsable_value"] += 1
            return None
        self.stats["grounded" if g.ok else "kept_ungrounded"] += 1
        offset, source_id, prov, kind = 0, it.source_id, [], "block"
        if vs is None:
            pass
        elif it.kind == "table":
            cell_hit = next(((s, e, c) for s, e, c in it.cell_lines if s <= vs < e), None)
            if cell_hit is None:  # aligned inside a "rNcM:" address, not a cell
                self.stats["dropped_ungrounded"] += 1
                return None
            offset, cell = cell_hit[0], cell_hit[2]
            source_id, kind = f"{it.source_id}:r{cell.row}c{cell.col}", "table"
            if it.table.page is not None:
                from schemas import Prov

                prov = [Prov(page=it.table.page, bbox=cell.bbox, item_id=it.table.id, origin="pdf")]
        else:
            prov = doc.boxes_for(it.block, vs, qend)

        def span(s: tuple[int, int] | None) -> CharSpan | None:
            if s is None or it.kind == "table" and not (offset <= s[0] and s[1] <= _line_end(it, offset)):
                return None
            return CharSpan(start=s[0] - offset, end=s[1] - offset)

        quantity = quantity.model_copy(update={"span": span((vs, qend)) if vs is not None else None})
        material = None
        if rec.material.strip():
            mraw = text[g.material[0] : g.material[1]] if g.material else rec.material[:120]
            formula, reduced = normalize_formula(mraw)
            material = Material(raw=mraw, formula=formula, reduced_formula=reduced, name=None if formula else mraw, span=span(g.material))
        prop_raw = text[g.property_text[0] : g.property_text[1]] if g.property_text else rec.property_text
        prop = PropertyRef(raw=prop_raw, id=None if rec.property == OTHER_PROPERTY else rec.property, span=span(g.property_text))
        conditions = []
        for c_span in g.conditions:
            if c_span is None:
                self.stats["conditions_dropped_ungrounded"] += 1
                continue
            conditions.append(self._condition(text, c_span, span(c_span)))
        method = rec.method if rec.method.strip() and Aligner(text).find(rec.method, case_insensitive=True) else None
        flags = [] if g.ok else ["ungrounded:" + ",".join(g.missing)]
        if vs is None:
            snippet = rec.evidence
        elif it.kind == "block":
            snippet = _sentence_around(text, vs, qend)
        else:
            snippet = text[offset : _line_end(it, offset)]
        raw_key = f"{quantity.raw}|{prop.id or prop.raw}|{material.raw if material else ''}"
        return Record(
            record_id=Record.make_id(doc.paper_id, NAME, source_id, None if vs is None else vs - offset, raw_key),
            paper_id=doc.paper_id,
            material=material,
            property=prop,
            quantity=quantity,
            conditions=conditions,
            method=method,
            evidence=Evidence(source_id=source_id, source_kind=kind, prov=prov, snippet=snippet),
            extractor=NAME,
            extractor_version=VERSION,
            prompt_id=r.prompt_id,
            prompt_hash=r.prompt_hash,
            model_id=self.backend.model_id,
            flags=flags,
        )

    @staticmethod
    def _quantity(text: str, start: int, end: int, unit_span) -> Quantity | None:
        from extractors.quantities import find_quantities, to_quantity
        from schemas.units import normalize_unit_text

        piece = text[start:end]
        unit_raw = text[unit_span[0] : unit_span[1]] if unit_span else None
        try:
            unit = normalize_unit_text(unit_raw) if unit_raw else None
        except Exception:  # noqa: BLE001 - an unknown unit stays raw; normalize flags it
            unit = None
        for m in find_quantities(piece):
            if min(m.start, m.lead_start if m.lead_start is not None else m.start) <= 2:
                q = to_quantity(m).model_copy(update={"raw": piece})
                if q.unit_raw is None and unit_raw:  # the unit stands apart (a table header): keep it
                    q = q.model_copy(update={"unit_raw": unit_raw, "unit": unit})
                return q
        nums = re.findall(r"[-−]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?", piece)
        if not nums:
            return None
        values = [float(n.replace("−", "-")) for n in nums[:2]]
        return Quantity(raw=piece, kind="interval" if len(values) == 2 else "value", values=values, unit_raw=unit_raw, unit=unit)

    @staticmethod
    def _condition(text: str, s: tuple[int, int], cspan: CharSpan | None) -> Condition:
        from extractors.quantities import find_quantities, to_quantity
        from schemas.vocab import condition_for_unit

        raw = text[s[0] : s[1]]
        qs = find_quantities(raw)
        q = to_quantity(qs[0]).model_copy(update={"span": cspan}) if qs else None
        return Condition(raw=raw, property_id=condition_for_unit(q.unit) if q else None, quantity=q, span=cspan)

    # ------------------------------------------------------------------------------------------ verification

    def _verify(self, doc: ParsedDocument, records: list[Record], items: list[_Item]) -> None:
        texts = {it.source_id: it.text for it in items}
        reqs = []
        for rec in records:
            src = rec.evidence.source_id.split(":")[0] if rec.evidence.source_kind == "table" else rec.evidence.source_id
            r = self.verify_prompt.render(
                few_shot=self.options.few_shot,
                text=texts.get(src, rec.evidence.snippet),
                material=rec.material.raw if rec.material else "",
                property=rec.property.raw or (rec.property.id or ""),
                value=rec.quantity.raw.replace(rec.quantity.unit_raw or "\0", "").strip(),
                unit=rec.quantity.unit_raw or "",
            )
            reqs.append(
                ChatRequest(
                    messages=r.messages,
                    schema=self.verify_prompt.response_schema,
                    schema_name=self.verify_prompt.schema_name,
                    max_tokens=64,
                    temperature=0.0,
                    key=f"{r.prompt_hash}:{r.input_hash}",
                )
            )
        for rec, c in zip(records, self.backend.generate(reqs), strict=True):
            self.stats["verify_requests"] += 1
            self._count(c)
            if not c.ok:
                rec.flags.append("llm_verify:error")
                continue
            try:
                ans = self.verify_prompt.validate_response(c.text)
            except ValidationError:
                self.stats["error:schema_invalid"] += 1
                rec.flags.append("llm_verify:error")
                continue
            for k, v in ans.model_dump().items():
                rec.flags.append(f"llm_verify:{k}={v}")
                if v == "no":
                    self.stats[f"verify_no:{k}"] += 1


def _line_end(it: _Item, offset: int) -> int:
    for s, e, _ in it.cell_lines:
        if s == offset:
            return e
    return len(it.text)


def _sentence_around(text: str, start: int, end: int) -> str:
    lo = max(text.rfind(". ", 0, start) + 2, 0) if text.rfind(". ", 0, start) >= 0 else 0
    hi = text.find(". ", end)
    return text[lo : hi + 1 if hi >= 0 else len(text)].strip()
