"""Sentence splitting for scientific text: spaCy blank("en") tokenizer + sentence rules.

spaCy tokenises; the `matlit_sentence_rules` component decides every token's `is_sent_start` from the end
tokens the sentencizer would propose (its punctuation set) and more, because the tokenizer glues some periods
to words ("eV.", "K.") where the sentencizer never splits. (The sentencizer itself is not in the pipeline: every
one of its decisions was overwritten by the rules, so running it only cost time.)

* a boundary may follow any token that ends a sentence: ".", "!", "?" (alone or glued to a word, as the tokenizer
  keeps "eV." or "K." in one piece), or a word with a glued citation number ("reported.12,13");
* closing brackets/quotes glued to the period stay with the sentence; whitespace must follow;
* no boundary after reference/latin abbreviations (Fig., Eqs., Ref., et al., e.g., i.e., ca., approx., vs., cf.,
  No., Tab., Sec., resp., ...), after initials ("J. Smith"), inside a matched bracket pair, or before a plain
  lowercase word ("approx. the");
* a sentence that is only a label ("Fig. 2.", "1.", "(a)") is merged into the next one.

Decimals ("3.2") and formulas ("YBa2Cu3O7−δ", "mA h g−1") are single tokens, so they never split.

Which blocks get sentences: paragraph, abstract, caption and footnote blocks are split; title and heading blocks
get exactly one sentence each (their whole trimmed text, never split); reference and equation blocks get none.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from functools import lru_cache
from operator import attrgetter
from typing import NamedTuple

import numpy
from pydantic import TypeAdapter
from spacy.attrs import IDX, IS_SPACE, LENGTH, SENT_START, SPACY

from pipeline.parse.nogc import paused_gc
from schemas.document import Block, BlockKind, ParsedDocument, Sentence
from schemas.geometry import CharSpan, Prov

SPLIT_KINDS = {BlockKind.paragraph, BlockKind.abstract, BlockKind.caption, BlockKind.footnote}
WHOLE_KINDS = {BlockKind.title, BlockKind.heading}

# never split after these (case-sensitive: the period is part of the abbreviation)
ABBREVIATIONS = set(
    "Fig Figs Eq Eqs Eqn Eqns Ref Refs Tab Tabs Sec Secs Sect No Nos Ch Chap Vol Vols Suppl Supp Dr Prof Mr Mrs "
    "Ms St Jr Ltd Inc vs cf ca approx resp viz e.g i.e eg ie Approx Ca Cf Resp fig figs eq eqs eqn ref refs tab "
    "pp vol no sect".split()
)
# "sec." is also seconds: only an abbreviation before a number ("sec. 3")
ABBREVIATIONS_BEFORE_NUMBER = {"sec", "secs", "p"}
# journal-name words: "J. Power Sources. 249, 270" or "Sci. Rep. 5, 11946" leak into body text from PDFs
JOURNAL_WORDS = set(
    "Rep Lett Mater Phys Chem Soc Rev Sci Appl Commun Res Electrochem Technol Eng Proc Trans Nat Sources Energy "
    "Ionics Acta Adv Funct Interfaces".split()
)
# a capitalised word after "X." that is almost never a name: the "X." ended a sentence ("vitamin C. The")
SENTENCE_STARTERS = set(
    "The This These That Those There In We It Its A An Our Here However Thus Therefore Hence For As To At On "
    "After Since When While All Such Both Each Moreover Furthermore Finally Then Next Also First Second Similarly "
    "Figure Table Fig By With From If No Note Further Fig. Although".split()
)
OPENERS = {"(": ")", "[": "]", "{": "}"}
CLOSERS = set(")]}\"'”’»")
ENDERS = ".!?…"
CITATION_AFTER = re.compile(r"\[\d{1,3}(?:\s*[,–-]\s*\d{1,3})*\]\.?(?=\s|$)")
CITATION_GLUED = re.compile(r"[^\W\d_][)\]]?\.\d{1,3}(?:[,–-]\d{1,3})*$")
NO_START = set("%=×±·/:;,)]}–—-+<>≈≤≥~∼")  # a sentence does not begin with these
NON_SPACE = re.compile(r"\S+")
PLAIN_LOWER = re.compile(r"[a-z]+[,;:]?$")
LABEL_WORDS = {"fig", "figs", "figure", "figures", "table", "tables", "tab", "scheme", "eq", "eqs", "eqn", "no", "step"}
MAX_BRACKET_SPAN = 600  # a longer "pair" is more likely two unrelated stray brackets


@lru_cache(maxsize=1)
def _nlp():
    """The spaCy pipeline, built once: blank English tokenizer, then our rules."""
    import spacy
    from spacy.language import Language

    if not Language.has_factory("matlit_sentence_rules"):
        Language.component("matlit_sentence_rules", func=_apply_rules)
    nlp = spacy.blank("en")
    nlp.add_pipe("matlit_sentence_rules")
    return nlp


def split(text: str) -> list[tuple[int, int]]:
    """Sentence char spans [start, end) of `text`, whitespace trimmed, in order."""
    if not text.strip():
        return []
    nlp = _nlp()
    nlp.max_length = max(nlp.max_length, len(text) + 1)
    return _spans(nlp(text), text)


def add_sentences(doc: ParsedDocument) -> None:
    """Fill doc.sentences (replacing any) from the blocks; ids "<block id>.s<k>" in order."""
    with paused_gc():
        _add_sentences(doc)


def _add_sentences(doc: ParsedDocument) -> None:
    out: list[dict] = []
    todo = [b for b in doc.blocks if b.kind in SPLIT_KINDS and b.text.strip()]
    nlp = _nlp()
    nlp.max_length = max([nlp.max_length] + [len(b.text) + 1 for b in todo])
    texts = [b.text for b in todo]
    # spaCy's tokenizer over all blocks in one batch, then the rules (the pipeline's own component) on each doc
    split_spans = {b.id: _spans_from(_annotate(d, t, write=False), t) if len(d) else []
                   for b, t, d in zip(todo, texts, nlp.tokenizer.pipe(texts), strict=True)}
    for block in doc.blocks:
        if block.kind in WHOLE_KINDS:
            spans = [_trim(block.text, 0, len(block.text))] if block.text.strip() else []
        else:
            spans = split_spans.get(block.id, [])
        if not spans:
            continue
        lines = _line_boxes(block) if block.lines else None
        for k, (start, end) in enumerate(spans):
            prov = (_word_provs(lines, block, start, end) if lines else None) or sentence_prov(doc, block, start, end)
            out.append({"id": f"{block.id}.s{k}", "block_id": block.id, "span": {"start": start, "end": end},
                        "text": block.text[start:end], "prov": prov})
    doc.sentences = _SENTENCES.validate_python(out)  # plain dicts, validated once


_SENTENCES = TypeAdapter(list[Sentence])


_WORD = attrgetter("start", "end", "bbox.x0", "bbox.y0", "bbox.x1", "bbox.y1")  # one C call per word
_BOX = attrgetter("x0", "y0", "x1", "y1")


def _line_boxes(block: Block) -> list[tuple]:
    """A block's lines as (start, end, page, line box, words as (start, end, x0, y0, x1, y1))."""
    word = _WORD
    return [(ln.start, ln.end, ln.page, _BOX(ln.bbox), list(map(word, ln.words))) for ln in block.lines]


def _word_provs(lines: list[tuple], block: Block, start: int, end: int) -> list[dict]:
    """doc.boxes_for(block, start, end) on plain data, as dicts: one Prov per line the span touches, its box the
    union of the touched words' boxes (the line box when none); [] when no line is touched."""
    out = []
    origin = "ocr" if block.ocr else "pdf"
    for l0, l1, page, lbox, words in lines:
        if l1 <= start or l0 >= end:
            continue
        ws = [w for w in words if w[1] > start and w[0] < end]
        if len(ws) > 1:  # min / max keep the first of equal values, as a running min / max does
            _, _, a, b, c, d = zip(*ws, strict=True)
            x0, y0, x1, y1 = min(a), min(b), max(c), max(d)
        elif ws:
            x0, y0, x1, y1 = ws[0][2:]
        else:
            x0, y0, x1, y1 = lbox
        out.append({"page": page, "bbox": {"x0": x0, "y0": y0, "x1": x1, "y1": y1},
                    "span": {"start": max(start, l0), "end": min(end, l1)}, "item_id": block.id, "origin": origin})
    return out


def sentence_prov(doc: ParsedDocument, block: Block, start: int, end: int) -> list[Prov]:
    """Page boxes of a block's char span: word boxes via doc.boxes_for when the block has lines; otherwise the
    block's own provs whose span overlaps (TEI gives boxes per element, e.g. per <s>), clipped to the span."""
    if block.lines or not block.prov:
        return doc.boxes_for(block, start, end)
    out = []
    for p in block.prov:
        s0, s1 = (p.span.start, p.span.end) if p.span else (0, len(block.text))
        if s1 <= start or s0 >= end:
            continue
        span = CharSpan(start=max(start, s0), end=min(end, s1))
        out.append(p.model_copy(update={"span": span, "item_id": block.id}))
    return out


# -- spans ------------------------------------------------------------------------------------------------------


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _spans(sdoc, text: str) -> list[tuple[int, int]]:
    """Trimmed char spans of the sentences of a doc the rules have annotated (every token's SENT_START set).

    The same as trimming `sdoc.sents`: a sentence runs from its first token to the next sentence's first token,
    and what lies between its last token and that one is whitespace, which the trim removes."""
    if len(sdoc) == 0:
        return []
    arr = sdoc.to_array([SENT_START, IDX]).view("int64")
    firsts = arr[:, 1][arr[:, 0] == 1].tolist()
    if not firsts or firsts[0] != 0:
        firsts.insert(0, 0)  # the first token always starts a sentence (as in sdoc.sents)
    return _spans_from(firsts, text)


def _spans_from(firsts: list[int], text: str) -> list[tuple[int, int]]:
    """Trimmed sentence spans from the char offsets of the sentence-initial tokens (the first one at 0)."""
    ends = firsts[1:] + [len(text)]
    spans = [_trim(text, a, b) for a, b in zip(firsts, ends, strict=True)]
    spans = [(a, b) for a, b in spans if b > a]
    return _merge_labels(spans, text)


def _merge_labels(spans: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """Merge a label-only sentence ("Fig. 2.", "1.", "(a)") into the sentence after it."""
    out: list[tuple[int, int]] = []
    carry: int | None = None
    for i, (a, b) in enumerate(spans):
        a = carry if carry is not None else a
        carry = None
        if i + 1 < len(spans) and _is_label(text[a:b]):
            carry = a
            continue
        out.append((a, b))
    return out


def _is_label(s: str) -> bool:
    if len(s) > 24:
        return False
    words = re.findall(r"[^\W\d_]{2,}", s)
    return all(w.lower() in LABEL_WORDS for w in words)


# -- rules ------------------------------------------------------------------------------------------------------


class _Tok(NamedTuple):
    text: str
    ws: bool  # whitespace follows
    idx: int  # char offset
    space: bool  # a whitespace token


def _apply_rules(sdoc):
    """spaCy component: set is_sent_start on every token from the candidates and the rules."""
    if len(sdoc):
        _annotate(sdoc, sdoc.text)
    return sdoc


def _annotate(sdoc, text: str, write: bool = True) -> list[int]:
    """Set is_sent_start on every token of sdoc (a tokenised `text`, not empty); returns the char offsets of the
    sentence-initial tokens, in order. write=False: only the offsets (add_sentences drops the doc right after)."""
    # one array read instead of a Token object per token (their creation dominated the cost); `text` is passed
    # in because sdoc.text rebuilds the string token by token
    toks = _Toks(text, *sdoc.to_array([IDX, LENGTH, SPACY, IS_SPACE]).T.tolist())
    inside = _Inside(text)
    starts = sorted({j for j, k in _candidates(toks, text) if _keep(toks, text, j, k, inside)} | {0})
    if write:
        flags = numpy.full((len(toks), 1), -1, dtype="int64")  # one array write: per-token setters are quadratic
        flags[starts, 0] = 1
        sdoc.from_array([SENT_START], flags.view("uint64"))
    return [toks.idx[j] for j in starts]


class _Toks:
    """A doc's tokens as _Tok, each made on first access: the rules look at the few tokens around the end
    tokens, not at every token of the block. Indexes like the list of all of them (a negative index counts
    from the end)."""

    __slots__ = ("text", "idx", "lengths", "ws", "space", "made")

    def __init__(self, text: str, idx: list[int], lengths: list[int], ws: list[int], space: list[int]):
        self.text, self.idx, self.lengths, self.ws, self.space = text, idx, lengths, ws, space
        self.made: dict[int, _Tok] = {}

    def __len__(self) -> int:
        return len(self.idx)

    def __getitem__(self, k: int) -> _Tok:
        tok = self.made.get(k)
        if tok is None:
            i = self.idx[k]
            tok = self.made[k] = tuple.__new__(_Tok, (self.text[i:i + self.lengths[k]], self.ws[k] == 1, i,
                                                      self.space[k] == 1))
        return tok


def _is_end_token(tok: _Tok, punct_chars: frozenset[str]) -> bool:
    t = tok.text
    if t in punct_chars or (t and t[-1] in ENDERS and not tok.space):
        return True
    return bool(CITATION_GLUED.search(t))


def _candidates(toks: _Toks, text: str) -> list[tuple[int, int]]:
    """(j, k): token j may start a sentence, ending the one closed by end token k. j is the first non-space token
    after k, its glued closers and whitespace. Every sentencizer boundary follows one of these end tokens, so this
    is a superset of its proposals, placed canonically (an opening bracket after the period starts the next one).

    An end token holds a sentence punctuation char or a "." (the citation pattern needs one), so only the tokens
    holding one of _END_CHARS are looked at, found by one scan of the text."""
    punct_chars = _punct_chars()
    starts = toks.idx
    n = len(toks)
    out: dict[int, int] = {}
    last = -1
    for m in _end_chars(text).finditer(text):
        i = bisect_right(starts, m.start()) - 1  # the token holding the char (whitespace holds none of them)
        if i == last:
            continue
        last = i
        tok = toks[i]
        t = tok.text
        if len(t) > 1 and t[-1] not in ENDERS and "." not in t:
            continue  # quick no: the punctuation set is single chars, the citation pattern needs a "."
        if not _is_end_token(tok, punct_chars):
            continue
        j = i
        while j + 1 < n and not toks[j].ws and toks[j + 1].text in CLOSERS:
            j += 1
        if j + 1 >= n or not (toks[j].ws or toks[j + 1].space):
            continue
        j = _skip_space(toks, j + 1)
        m = CITATION_AFTER.match(text, toks[j].idx) if j < n else None
        if m:  # "reported. [12, 13] The": the citation stays with the sentence it follows
            if m.group().endswith("."):
                continue  # "et al. [27]. His": the period after the citation is the candidate
            j = _skip_space(toks, bisect_left(starts, m.end()))
        if j < n:
            out.setdefault(j, i)
    return sorted(out.items())


def _skip_space(toks: _Toks, j: int) -> int:
    while j < len(toks) and toks[j].space:
        j += 1
    return j


_END_COMMON = re.compile("[" + re.escape(ENDERS) + "]")


def _end_chars(text: str) -> re.Pattern:
    """A pattern for any char an end token must hold: a sentencizer punctuation char or one of ENDERS (which has
    the "."). The class of all of them is slow to scan, so it is used only where one of the rare ones (Armenian,
    Devanagari, CJK ... full stops) occurs."""
    return _END_COMMON if _rare_punct().isdisjoint(text) else _end_all()


@lru_cache(maxsize=1)
def _rare_punct() -> frozenset[str]:
    return _punct_chars() - frozenset(ENDERS)


@lru_cache(maxsize=1)
def _end_all() -> re.Pattern:
    return re.compile("[" + re.escape("".join(sorted(_punct_chars() | set(ENDERS)))) + "]")


@lru_cache(maxsize=1)
def _punct_chars() -> frozenset[str]:
    """The sentencizer's sentence punctuation (its default set)."""
    from spacy.pipeline import Sentencizer

    return frozenset(Sentencizer.default_punct_chars)


def _word_before_period(toks: _Toks, k: int) -> tuple[str, int]:
    """The word end token k closes ("Fig" for "Fig" + ".", "eV" for "eV.") and the index of that word's token."""
    t = toks[k].text
    if t == "." and k > 0 and not toks[k - 1].ws:
        return toks[k - 1].text, k - 1
    if len(t) > 1 and t.endswith("."):
        return t[:-1], k
    return "", k


def _keep(toks: _Toks, text: str, j: int, k: int, inside: _Inside) -> bool:
    """Whether candidate j (after end token k) really starts a sentence."""
    boundary = toks[j].idx
    if inside[boundary]:
        return False
    chunk = _chunk(text, boundary)
    if PLAIN_LOWER.match(chunk) or chunk[:1] in NO_START:
        return False  # "approx. the", "wt. %"
    end = toks[k].text
    if CITATION_GLUED.search(end):
        return chunk[:1].isupper()  # "reported.12,13 The", not "CII.2 = 200"
    if not end.endswith("."):
        return True  # "!", "?", "…"
    word, wi = _word_before_period(toks, k)
    prev = toks[wi - 1].text if wi > 0 else ""
    if word in ABBREVIATIONS:
        return False
    if (word.lower() in ABBREVIATIONS_BEFORE_NUMBER or word in JOURNAL_WORDS) and chunk[:1].isdigit():
        return False
    if word == "al" and prev.lower() == "et":
        return chunk.rstrip(",;:") in SENTENCE_STARTERS  # "Smith et al. (2019)" no; "... et al. The" yes
    if len(word) == 1 and word.islower() and (re.fullmatch(r"[a-z]\.", prev) or re.fullmatch(r"[a-z]\.,?", chunk)):
        return False  # "e. g.", "i. e."
    return not _is_initial(word, prev, wi, chunk)


def _is_initial(word: str, prev: str, wi: int, chunk: str) -> bool:
    """A single capital + "." before a capitalised name: "J. Smith" (not "77 K. Next", "15 °C. The", "vitamin C.
    The")."""
    if not (len(word) == 1 and word.isupper() and word.isalpha()):
        return False
    if not chunk[:1].isupper() or chunk.rstrip(",;:") in SENTENCE_STARTERS:
        return False
    if wi == 0 or prev in {",", ";", "(", "[", "&"}:
        return True
    return bool(re.fullmatch(r"[^\W\d_]+\.?", prev))  # after a word or another initial; not after "77" or "°"


def _chunk(text: str, i: int) -> str:
    """The whitespace-delimited chunk of text starting at i."""
    m = NON_SPACE.match(text, i)
    return m.group(0) if m else ""


_BRACKET = re.compile(r"[()\[\]{}]")
_CLOSING = {v: k for k, v in OPENERS.items()}


class _Inside:
    """inside[i]: whether char i is strictly inside a matched bracket pair no longer than MAX_BRACKET_SPAN (stray
    brackets ignored; a closer matches the innermost open bracket of its kind and closes everything above it)."""

    __slots__ = ("starts", "ends")

    def __init__(self, text: str):
        pairs: list[tuple[int, int]] = []  # covered chars [a + 1, b)
        stack: list[tuple[str, int]] = []
        for m in _BRACKET.finditer(text):
            ch, i = m.group(), m.start()
            if ch in OPENERS:
                stack.append((ch, i))
                continue
            want = _CLOSING[ch]
            for depth in range(len(stack) - 1, -1, -1):
                if stack[depth][0] == want:
                    a = stack[depth][1]
                    del stack[depth:]
                    if i - a <= MAX_BRACKET_SPAN and i > a + 1:
                        pairs.append((a + 1, i))
                    break
        self.starts: list[int] = []
        self.ends: list[int] = []
        for a, b in sorted(pairs):  # merged into disjoint runs
            if self.ends and a <= self.ends[-1]:
                self.ends[-1] = max(self.ends[-1], b)
            else:
                self.starts.append(a)
                self.ends.append(b)

    def __getitem__(self, i: int) -> bool:
        k = bisect_right(self.starts, i) - 1
        return k >= 0 and i < self.ends[k]
