"""Rule-based text extractor: sentences -> (material, property, value, unit, conditions, method) records.

For every sentence of the body (references skipped):
  1. quantities (extractors.quantities), property mentions and methods (schemas.vocab), materials
     (extractors.materials, with the document's acronym definitions resolved);
  2. quantities introduced by a condition cue ("at 300 K", "under 1.5 GPa", "in a field of 5 T", "at 0.1 A g−1")
     whose dimension is a condition's become conditions of the others;
  3. each remaining quantity takes the nearest property mention whose dimension fits its unit (before it first),
     else the paragraph's last property; the nearest material (before it first), else the paragraph's last one;
  4. one record per quantity, with char spans into the block text and the sentence's page boxes as evidence.
Quantities that cannot be linked are still emitted, flagged `no_property` / `no_material`, so recall is not lost
silently; the score stage ranks them down.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator

from schemas import (
    BlockKind,
    CharSpan,
    Condition,
    Evidence,
    Material,
    ParsedDocument,
    PropertyRef,
    Record,
)

NAME = "text_rules"
VERSION = "1"

READ_KINDS = {BlockKind.paragraph, BlockKind.abstract, BlockKind.caption, BlockKind.footnote, BlockKind.title}

# a condition quantity is introduced by one of these, right before it (possibly with "of", "=", a symbol)
CONDITION_CUE = re.compile(
    r"(?:\b(?:at|under|in|with|@|from|below|above|up\s+to|down\s+to|measured\s+at|obtained\s+at|recorded\s+at)"
    r"(?:\s+(?:a|an|the))?(?:(?:\s+(?!(?:and|or|but|whereas|while)\b)[\w\-−μ]+){0,3}?|\s+\d[\d.,]*\s*[^\s\d]{1,6}\s+(?:and|or))(?:\s+of)?|[TPHBf]\s*=|T_?\w*\s*=)\s*[~≈∼]?\s*$",
    re.IGNORECASE,
)
COND_WINDOW = 40
COMPARED_BEFORE = re.compile(r"\b(?:compared\s+(?:with|to)|in\s+comparison\s+(?:with|to)|versus|vs\.?)\s*[~≈∼]?\s*$", re.I)
QUALIFIER_AFTER = re.compile(r"^\s*\([^()]{1,12}\)")  # "(onset)", "(zero)", "(R=0)", "(H = 0)"
CLAIM_WINDOW = 30
NUMBER = re.compile(r"[−-]?\d+(?:[.,]\d+)?(?:\s*[×x]\s*10\s*[−-]?\d+)?")
# "<property> of [the|pure|un-doped ...] NOUN PHRASE is|was|were|are|of about ..." (the material named in prose)
OF_PHRASE = re.compile(
    r"\b(?:gap|energy|temperature|Tc|T\s?c|conductivity|capacity|modulus|constant|mobility|density|coefficient|"
    r"strength|hardness|resistivity|efficiency)\s+(?:energy\s+)?of\s+(?:the\s+|an?\s+)?"
    r"(?P<np>(?:[\w\-–()/,.]+\s+){0,5}?[\w\-–()/]+?)"
    r"\s+(?:is|was|were|are|has|have|had|lies|lie|reaches|reached|amounts|becomes|decreases|increases|"
    r"shifts|found|estimated|calculated|determined|measured|obtained)\b"
)
NOT_MATERIAL = {"the sample", "the samples", "the film", "the films", "this", "it", "them", "these", "those", "the material"}
# head nouns of a phrase that names a step or feature of a measurement, never a material
PHRASE_NOT_MATERIAL_HEADS = {
    "transition", "transitions", "resistance", "onset", "peak", "peaks", "curve", "curves", "data", "measurement",
    "measurements", "anomaly", "jump", "drop", "kink", "maximum", "minimum", "midpoint", "field", "fields", "signal",
    "pressure", "pressures", "temperature", "temperatures", "fit", "value", "values",
}
# between two materials of a list: ", ", ", and ", " and " (an amount "1% " may lead the next item)
LIST_JOINT = re.compile(r"^\s*(?:,\s*(?P<last>(?:and|&)\s+)?|(?P<last2>(?:and|&)\s+))(?:the\s+)?(?:\d+(?:\.\d+)?\s*%\s*)?$")
FOR_MATERIAL = re.compile(r"\s*\)?,?\s*(?:(?:at|under)\s+(?:high\s+|ambient\s+|zero\s+|\d[\d.]*\s*)?(?:pressures?|GPa|kbar|fields?|T)\s+)?(?:for|in|of|on)\s+(?:the\s+|a\s+|an\s+)?(?:[\"“”]?[\w\-.%]+[\"“”]?\s+){0,2}$", re.IGNORECASE)
# between the subject materials of a sentence and their one value: a verb phrase, no other value or clause break
SUBJECT_TO_VALUE = re.compile(
    r"^(?:\s+(?:samples?|films?|crystals?|materials?|compounds?|phases?))?\s+(?:are|were|both|all|become|became|show|showed|"
    r"exhibit|exhibited|have|had)\b[^.;:,\d]{0,60}$"
)
# a material in parentheses of its own right after the value, a composition variable, an aside in parentheses
PAREN_OPEN = re.compile(r"^\s*\(\s*$")
CLOSE_PAREN = re.compile(r"\s*\)")
COMPOSITION = re.compile(r"^(?:1\s?[-−]\s?)?[xyzδ]\s*[=≈~∼]")
PAREN_ASIDE = re.compile(r"^\s*\([^()]{1,80}\)")
# also split by a line-end hyphen of the PDF text: "re- spectively", "respec- tively"
RESPECTIVELY = re.compile(r"\bre(?:-\s*)?spec(?:-\s*)?tive(?:-\s*)?ly\b", re.IGNORECASE)
# a sentence the splitter left joined ("... respectively.On the other hand"): a full stop glued to a capital
GLUED_STOP = re.compile(r"(?<=[a-z\d\)\]%][.!?])(?=[A-Z][a-z])")
# between two items of a list of values ("17 K (6) and 37.2 K", "3.0, 7.1 and 9 K"): connectors and citations only
LIST_GAP = re.compile(r"^\s*(?:[^\s\d,;()\[\]][^\s,;()\[\]]{0,10}\s*)?(?:\(\s*\d{1,3}(?:\s*[,–-]\s*\d{1,3})*\s*\)|\[[\d,\s–-]{1,20}\])?\s*(?:,|;|and|or|,\s*and|,\s*or)?\s*$")
FOR_LIST = re.compile(
    r"^\s*\)?,?\s*(?:(?:were|was|are|is|have\s+been|has\s+been)\s+(?:\w+\s+){0,2}?)?(?:at\s+[^,;]{1,25}?\s+)?"
    r"(?:for|of|in)\s+(?:the\s+|both\s+)?$",
    re.I,
)
# "11 K and 16 K, respectively, for x = 0.80 and 1.00": the materials named right after "respectively"
FOR_AFTER_RESPECTIVELY = re.compile(r"\s*,?\s*(?:for|of|in)\s+(?:the\s+|both\s+)?", re.I)
# a value that is not the property itself: a width, accuracy or increment ("∆Tc = 0.9 K", "transition width of about
# 0.1 K", "within ±1 K", "suppressed by ~57 K"), or a value assigned to another temperature symbol ("T* ≈ 280 K")
NOT_THE_VALUE = re.compile(
    r"(?:\b(?:transition\s+widths?|widths?\s+of\s+the\s+(?:\w+\s+)?transitions?|accuracy|precision|resolution|uncertainty|broadening|spread)\b[^.;:=]{0,25}?|"
    r"±\s*|[∆Δ]\s?[A-Za-z][\w ]{0,10}?\s*(?:\([^()]{0,20}\)\s*)?[=≈~∼≃]\s*|"
    r"(?<![\w∆Δ])(?:T\s?\*|T\s?\*?\s?(?:MI|anom|irr|coh|\*\s?(?:charge|spin))|θ|Θ)\s*"
    r"(?:(?:[=≈~∼≃<>≤≥]\s*)+|(?:is|was|are|were)\s+(?:found\s+to\s+be\s+|equal\s+to\s+|estimated\s+(?:to\s+be|as|at)\s+|"
    r"of\s+the\s+order\s+of\s+|found\s+at\s+)*))(?:about|approximately|around|only|~|∼|≈)?\s*$"
)
WIDTH_BEFORE = re.compile(r"(?<!band )(?<!band-)(?<!gap )\bwidths?\b[^.;:=()]{0,60}?\b(?:is|was|are|were|of)\s+(?:about|approximately|around|only|~|∼|≈)?\s*$", re.I)
# a value that is the argument of a function written as a symbol: "S(290K)", "ρ(300 K)", "R(50K)"
ARGUMENT_BEFORE = re.compile(r"(?<![\w(])[A-Za-zα-ωΑ-Ω]\w?\($")
INCREMENT = re.compile(r"\bby\s*(?:about|approximately|around|only|~|∼|≈)?\s*$")
# the range or temperature a measurement was made in: "between 14 K and 290 K", "cooled to 100 K"
MEASURING_RANGE = re.compile(
    r"(?:\bbetween|\b(?:cooled|cooling|warmed|warming|heated|heating)(?:\s+down|\s+up)?\s+to|\btemperature\s+range(?:\s+of)?|"
    r"\b(?:low|high|higher|lower|intermediate|elevated)\s+temperatures?\s*\(\s*(?:e\.g\.,?|for\s+example,?)?|"
    r"\(\s*except\s+(?:for\s+|at\s+)?)"
    r"\s*[~≈∼]?\s*$",
    re.I,
)
# the lower bound of the temperature range of a measurement: "for 1.6 K ≤ T ≤ Tc", "2 K < T < 300 K"
RANGE_BOUND_AFTER = re.compile(r"\s*[<≤]\s*T\s*[<≤]")
# a bibliography entry around a number: "J. Power Sources 327 (2016) 557–564", "2019, 9, 491", "[CrossRef] 22."
REFERENCE_CUE = re.compile(
    r"\b\d{1,4}\s*\((?:19|20)\d{2}[a-z]?\)\s*,?\s*[A-Za-z]?\d|\b(?:19|20)\d{2}[a-z]?\s*[,;]\s*\d{1,4}\s*(?:\(\d{1,3}\))?\s*"
    r"[,:]\s*[A-Za-z]?\d{1,6}|\bCrossRef\b|\bPubMed\b|\bGoogle Scholar\b|\bdoi\b|https?://|\bpp\.\s*\d|\b[Vv]ol\.\s*\d|"
    r"\((?:19|20)\d{2}\)\.\s*\d{1,3}\b|,\s*pp?\.\s*\d{1,5}\b"
)
REF_BEFORE, REF_AFTER = 30, 25
# the superconducting transition named without a Tc term (line-end hyphens of the PDF text allowed)
SC_TRIGGER = re.compile(
    r"\bsuper-?\s?conduc-?\s?t(?:-?\s?ivity|ing|ors?)\b|\bMeissner\b|\bdiamagnetic\s+(?:signal|drop|shift|transition|onset)|"
    r"\bzero[- ]resist",
    re.I,
)
SC_ABBREVIATION = re.compile(r"\b(?:SC|HTSC?s?)\b")
TC_IDS = {"critical_temperature", "tc_onset", "tc_zero"}
TC_MAX_K = 250.0
TC_CUE = re.compile(
    r"\b(?:at|below|near|around|up\s+to|temperature\s+of)\s*(?:about|approximately|around|~|∼|≈|T\s*[~∼≈=])?\s*$", re.I
)
# a superconducting Tc is never stated in °C/°F nor above ~400 K: such a temperature is a processing step
# (annealing, sintering, synthesis) or another transition, not the Tc (predicted room-temperature Tcs reach ~350 K)
TC_PLAUSIBLE_MAX_K = 400.0
# the superconducting transition right before a temperature, told by a verb or noun rather than a Tc term:
# "superconductivity emerges at 4.8 K", "is superconducting at 21 K", "the superconducting transition appears at
# 24 K", "zero resistivity is attained below 6.1 K", "the resistive transition starts at about 4.5 K"
SC_ONSET_BEFORE = re.compile(
    r"(?:(?:\bsuper-?\s?conduc-?\s?t(?:-?\s?ivity|-?\s?ing)(?:\s+(?:transition|state|phase))?|"
    r"\b(?:resistive|resistance|resistivity|dia-?\s?magnetic)\s+(?:transition|onset|signal|drop)|\bzero[- ]resist(?:ance|ivity)|"
    r"(?-i:\bSC\b)|"
    r"\bMeissner\s+(?:effect|signal|state))"
    r"(?:\s+(?:is|was|are|were|has\s+been|have\s+been|clearly|first|then|only|also|suddenly|abruptly))*"
    r"\s+(?:emerg\w*|appear\w*|sets?\s+in|setting\s+in|occur\w*|develop\w*|start\w*|begin\w*|began|"
    r"attain\w*|achiev\w*|reach\w*|obtain\w*|establish\w*|observ\w*|found|discover\w*|induced)|"
    r"\bzero[- ]resist(?:ance|ivity)(?=\s+(?:near|around))|"
    # the transition or the drop named right before the value, no verb: "the superconducting transition at 10 K",
    # "a diamagnetic drop below 5 K", "the resistivity drops sharply to zero at 17 K", "becomes SC at 11 K"
    r"\bsuper-?\s?conduc-?\s?t-?\s?ing\s+transitions?|\bdia-?\s?magnetic\s+(?:drop|onset|signal)|"
    r"\bresist(?:ivity|ance)\s+(?:drops?|dropped|falls?|fell|vanishes|vanished)\s+(?:\w+\s+)?to\s+zero|"
    r"\b(?:is|are|was|were|becomes?|became|be|bulk)\s+(?:super-?\s?conduc-?\s?ting|(?-i:SC)\b)|\bsuper-?\s?conduc-?\s?ts|"
    # "superconductivity in the binary compound MgB2 near 39 K"
    r"\bsuper-?\s?conduc-?\s?tivity\s+(?:in|of)\s+[^.;,()\d]{1,50}?[^\s.;,()]*)"
    r"\s+(?:at|below|near|around)\s*(?:about|approximately|around|~|∼|≈)?\s*$",
    re.I,
)
# "the 39 K superconductor MgB2", "the 90 K-class high-Tc superconductor YBa2Cu3O7": the value names the Tc
SC_NOUN_AFTER = re.compile(
    r"\s*(?:-\s*class\s+)?(?:(?:[\w~-]+\s+){0,2}?super-?\s?conduc-?\s?tors?\b|(?:bulk\s+)?super-?\s?conduc-?\s?tivity\b)", re.I
)
MEASURED_AT = re.compile(r"\b(?:measured|recorded|obtained|collected|taken|performed|carried\s+out|annealed)\b", re.I)
# what follows a reference marker that opens a sentence: "(2)"-like marks, then a capitalised word
CITATION_LEAD_AFTER = re.compile(r"\s*(?:\(\s*\d{1,3}\s*\)\s*)?[A-Z]")
AMOUNT_UNIT = re.compile(r"^(?:[mµμn]?mol|[mµμ]?g|[mµμ]?L|ml|equiv\.?|eq\.?)$", re.I)
# materials that only set the scene: a gas or solvent the sample sits in, a substrate, crucible, tube, tip, electrode
AUX_AFTER = re.compile(
    r"\s*(?:\(\w{1,6}\)\s*)?(?:single[- ]crystal(?:line)?\s+|\(\d{3}\)\s+|[\w-]+\s+)?(?:substrates?|sub-\s*strates?|crucibles?|tubes?|boats?|"
    r"ampoules?|capsules?|holders?|gaskets?|anvils?|tips?|foils?|paint|paste|glue|furnace|windows?|moulds?|molds?|"
    r"atmosphere|gas|flow|stream|solvent|counter\s+electrode|reference\s+electrode|pressure\s+medium|buffer\s+layers?|"
    r"flux(?:es)?|impurit(?:y|ies)|calibrants?)\b",
    re.I,
)
AUX_BEFORE = re.compile(
    r"(?:\b(?:in|under)\s+(?:an?\s+|the\s+)?(?:pure\s+|flowing\s+|dry\s+|high[- ]purity\s+|\d+\s*%\s*)?|\bflowing\s+|"
    r"\bdissolved\s+in\s+|\btips?\s+of\s+|\bmade\s+of\s+|\bon\s+(?:an?\s+|the\s+)?(?:single[- ]crystal(?:line)?\s+)?|"
    r"\batmosphere\s+of\s+)$",
    re.I,
)
# an impurity, a flux, a calibration standard: named beside the sample, never the material the values are stated for
SCENE_BEFORE = re.compile(
    r"(?:\bimpurit(?:y|ies)(?:\s+phases?)?\s+(?:of|such\s+as|like)\s+|\btraces?\s+of\s+|"
    r"\bdissolved\s+in\s+(?:liquid\s+|molten\s+)?|\bflux(?:es)?\s+of\s+|\bcalibrat\w*\s+(?:with|against)\s+)"
    r"(?:an?\s+|the\s+)?$",
    re.I,
)
# the kind of transition right before "transition temperature" when it is not the superconducting one
OTHER_TRANSITION_BEFORE = re.compile(
    r"\b(?:magnetic|antiferromagnetic|ferromagnetic|ferrimagnetic|paramagnetic|SDW|CDW|spin[- ]density[- ]wave|"
    r"charge[- ]density[- ]wave|structural|N[ée]el|Curie|Verwey|metal[- ]insulator|metal[- ]to[- ]insulator|MIT|"
    r"ferroelectric|orbital|nematic|glass|spin[- ]glass|martensitic|order[- ]disorder|Peierls)\s+(?:phase\s+)?$",
    re.I,
)
# inert gases and solvents (not H2, O2, CH4: in fuel cells and catalysis the reactant is a material of the record)
# supports of a device: the material of a record only when the sentence names no other
SUPPORT_AFTER = re.compile(
    r"\s*(?:\(\w{1,6}\)\s*)?(?:single[- ]crystal(?:line)?\s+|\(\d{3}\)\s+|[\w-]+\s+)?(?:substrates?|sub-\s*strates?|"
    r"counter\s+electrode|reference\s+electrode)\b",
    re.I,
)
GAS_OR_SOLVENT = re.compile(
    r"^(?:argon|Ar|nitrogen|N2|N 2|air|helium|He|vacuum|water|H2O|H 2 O|D2O|ethanol|"
    r"methanol|chloroform|toluene|chlorobenzene|dichloromethane|THF|DMF|DMSO|acetone|isopropanol)$",
    re.I,
)
ROOM_CONDITIONS = [
    (r"\b(?:at|near)\s+room\s+temperature\b|\bRT\b(?=[\s,.;)])", "temperature"),
    (r"\b(?:at|under)\s+(?:ambient|atmospheric)\s+pressure\b", "pressure"),
    (r"\b(?:in|under)\s+zero\s+(?:magnetic\s+)?field\b|\bself[- ]field\b", "magnetic_field"),
]


# the words that bring in a material to compare with, right before its mention (up to four words between)
COMPARISON_BEFORE = re.compile(
    r"(?:\b(?:same|similar|identical|analogous|comparable|isostructural|akin)\b[^,;:.()]{0,40}?\b(?:as|to|with)|"
    r"\b(?:than|unlike|like|versus|vs\.?)|\bcompared\s+(?:to|with)|\bin\s+(?:contrast|comparison)\s+(?:to|with)|"
    r"\b(?:reported|observed|found|known)\s+(?:for|in)|\bthat\s+of|\bthose\s+of|\bas\s+in)"
    r"\s+(?:(?:the|a|an|that|those|of|in|for|recently|previously|well-known|discovered|reported|known|"
    r"superconductors?|compounds?|parent|undoped|pure)\s+){0,4}$",
    re.I,
)
ELEMENT_FORMULA = re.compile(r"^[A-Z][a-z]?\d*$")
ELEMENT_REACH = 20
AHEAD_SENTENCES = 2  # a Tc with no material before it takes the first compound of the next sentences of its paragraph  # a lone element this close before the value may be the material itself ("Nb with Tc = 9.2 K")


def _plausible_tc(q) -> bool:
    """A superconducting Tc is stated in K (or mK) and below ~400 K: "annealed at 950 °C", "1500 K" are not Tcs."""
    from schemas.vocab import condition_for_unit

    if condition_for_unit(q.unit) != "temperature":
        return True  # not a temperature: unit_fits_property decides
    if q.unit not in ("K", "mK", "kelvin"):
        return False
    scale = 1e-3 if q.unit == "mK" else 1.0
    return all(v * scale <= TC_PLAUSIBLE_MAX_K for v in q.values)


def _element_only(m) -> bool:
    """'Cu', 'H 2', 'copper', 'Gold': an element written as such (graphene or diamond are materials of their own)."""
    from extractors.materials import ELEMENT_NAMES

    raw = " ".join((m.raw or "").split())
    f = getattr(m, "formula", None) or getattr(m, "reduced_formula", None)
    if not f or not ELEMENT_FORMULA.match(f):
        return False
    return bool(re.fullmatch(r"[A-Z][a-z]?\s?\d*", raw)) or raw.lower() in ELEMENT_NAMES


def _sc_abbreviation_sense(mentions: list, sentence: str) -> list:
    """"The Nb-2122 materials are SC with T C 28-30 K": the abbreviation SC / HTS(C) is a superconductivity cue the
    vocabulary's word-start cues cannot hold ("sc" would match "scan"); an ambiguous symbol that can mean the
    superconducting Tc takes that sense when the sentence gives no cue of its own for another candidate."""
    from dataclasses import replace

    from schemas.vocab import _cue_in, fold, load_vocabulary

    if not SC_ABBREVIATION.search(sentence) or not any(p.ambiguous and "critical_temperature" in p.candidates for p in mentions):
        return mentions
    v = load_vocabulary()
    low = fold(sentence).lower()
    out = []
    for p in mentions:
        if p.ambiguous and "critical_temperature" in p.candidates and p.candidates[0] != "critical_temperature":
            others = [c for c in p.candidates if c != "critical_temperature"]
            if not any(_cue_in(cue, low) for c in others for cue in v._get("properties", c).cues):
                cands = ("critical_temperature", *others)
                p = replace(p, candidates=cands, property_id=cands[0])
        out.append(p)
    return out


def _qualified_transition_sense(mentions: list, sentence: str) -> list:
    """"magnetic transition temperatures of 25 to 308 K", "the SDW transition temperature of 140 K": an ambiguous
    transition temperature that a non-superconducting kind of transition qualifies right before it is not the Tc."""
    from dataclasses import replace

    out = []
    for p in mentions:
        if (
            p.ambiguous
            and p.property_id == "critical_temperature"
            and len(p.candidates) > 1
            and OTHER_TRANSITION_BEFORE.search(sentence[max(0, p.start - 40) : p.start])
        ):
            cands = (*(c for c in p.candidates if c != "critical_temperature"), "critical_temperature")
            p = replace(p, candidates=cands, property_id=cands[0])
        out.append(p)
    return out


DOC_SENSE_MIN = 3  # cue hits the document must give the leading sense of an ambiguous symbol ...
DOC_SENSE_RATIO = 3  # ... and how many times more than any other sense of the same dimension


class DocumentSense:
    """The sense a whole document gives an ambiguous property term: in a paper on superconductors "T c" is the
    superconducting Tc even in a sentence about its magnetization (a Curie-temperature cue), in a paper on magnets
    it is the Curie temperature. A candidate wins when the document's text holds at least DOC_SENSE_MIN of its cues
    and DOC_SENSE_RATIO times as many as of any other candidate of the same dimension; otherwise the sentence's own
    cues decide (schemas.vocab.disambiguate)."""

    def __init__(self, text: str):
        from schemas.vocab import fold

        self.low = fold(text).lower()
        self._hits: dict[str, int] = {}
        self._sense: dict[tuple[str, ...], str | None] = {}

    def hits(self, property_id: str) -> int:
        if property_id not in self._hits:
            from schemas.vocab import _cue_pattern, load_vocabulary

            term = load_vocabulary().get(property_id)
            cues = term.cues if term is not None else []
            self._hits[property_id] = sum(len(_cue_pattern(c).findall(self.low)) for c in cues)
        return self._hits[property_id]

    def sense(self, candidates: tuple[str, ...]) -> str | None:
        if candidates not in self._sense:
            from schemas.vocab import load_vocabulary

            v = load_vocabulary()
            best = max(candidates, key=self.hits)
            rivals = [c for c in candidates if c != best and v.get(c) and v.get(best) and v.get(c).dimension == v.get(best).dimension]
            top = self.hits(best)
            ok = top >= DOC_SENSE_MIN and all(top >= DOC_SENSE_RATIO * self.hits(c) for c in rivals)
            self._sense[candidates] = best if ok else None
        return self._sense[candidates]

    def apply(self, mentions: list) -> list:
        """Ambiguous symbols narrowed to the document's sense (candidates of another dimension kept, for the unit
        to decide), unless the sentence names another candidate in words ("the Curie temperature T C")."""
        from dataclasses import replace

        from schemas.vocab import load_vocabulary

        v = load_vocabulary()
        named = {p.property_id for p in mentions if not p.ambiguous}
        out = []
        for p in mentions:
            if p.ambiguous and p.via == "symbol":
                best = self.sense(p.candidates)
                if best is not None and not (named & (set(p.candidates) - {best})):
                    dim = v.get(best).dimension
                    cands = (best, *(c for c in p.candidates if c != best and v.get(c) and v.get(c).dimension != dim))
                    p = replace(p, candidates=cands if len(cands) > 1 else (), property_id=best)
            out.append(p)
        return out


@dataclass
class Context:
    """What the paragraph has said so far: the last material and property, for sentences that omit them."""

    material: Material | None = None
    property_id: str | None = None
    property_raw: str | None = None
    method: str | None = None
    listed: list = field(default_factory=list)  # the materials the previous sentence listed ("A, B and C")
    seen: dict = field(default_factory=dict)  # how often the paragraph named each material on its own account
    ahead: list = field(default_factory=list)  # the next sentences of the paragraph


@dataclass
class Found:
    quantities: list = field(default_factory=list)
    properties: list = field(default_factory=list)
    materials: list = field(default_factory=list)
    methods: list = field(default_factory=list)


class TextRulesExtractor:
    name = NAME
    version = VERSION

    def extract(self, doc: ParsedDocument) -> Iterator[Record]:
        from extractors.materials import DocumentMaterials

        materials = DocumentMaterials()
        blocks = [b for b in doc.blocks if b.kind in READ_KINDS]
        for b in blocks:
            materials.learn(b.text)
        sense = DocumentSense("\n".join(b.text for b in blocks))
        for block in blocks:
            ctx = Context()
            sentences = list(doc.sentences_of(block.id))
            for i, sent in enumerate(sentences):
                ctx.ahead = sentences[i + 1 : i + 1 + AHEAD_SENTENCES]
                yield from self._sentence(doc, block, sent, ctx, materials, sense)

    # ------------------------------------------------------------------ one sentence

    def _sentence(self, doc, block, sent, ctx: Context, materials, sense: DocumentSense | None = None) -> Iterator[Record]:
        from extractors.quantities import find_quantities, to_quantity
        from schemas.vocab import find_method_mentions, find_property_mentions

        text = sent.text
        base = sent.span.start
        f = Found(
            quantities=find_quantities(text),
            properties=find_property_mentions(text),
            materials=list(materials.find(text)),
            methods=find_method_mentions(text),
        )
        if sense is not None:
            f.properties = sense.apply(f.properties)
        f.properties = _qualified_transition_sense(_sc_abbreviation_sense(f.properties, text), text)
        # page and volume numbers, years and reference numbers of a bibliography entry are no quantities
        f.quantities = [q for q in f.quantities if not self._in_reference(text, q) and not self._citation_lead(text, q)]
        f.materials = [m for m in f.materials if not any(q.start <= m.start < q.end for q in f.quantities)]
        # "the x = 0.25 sample": the composition variable names the material (its number stays a quantity)
        samples = materials.samples(text, f.materials)
        if samples:
            f.materials = sorted(f.materials + samples, key=lambda m: m.start)
        mains, conds = self._split_conditions(text, f)
        mains, conds = self._superconducting_onsets(text, f, mains, conds)
        if f.methods:
            ctx.method = f.methods[0].raw
        method = ctx.method
        # a gas, solvent, substrate or crucible is never the material a property is stated for
        linkable = [m for m in f.materials if not self._auxiliary(text, m)]
        scene = [m for m in f.materials if m not in linkable]
        if RESPECTIVELY.search(text):  # "28 K and 9 K for the x = 0.11 and 0.05 samples, respectively": one sample each
            linkable = [x for m in linkable for x in materials.split_sample_list(text, m)]
        mains = self._split_respective_lists(text, mains, linkable, 0 if linkable else len(ctx.listed))
        paired = self._respectively(text, mains, linkable)
        paired_before = {} if paired or linkable else self._respectively_before(text, mains, ctx.listed)
        keyword_conditions = self._keyword_conditions(text, base, conds)
        for q in mains:
            prop, prop_flag = self._property_for(q, f.properties, ctx, text, base)
            if self._recipe_amount(text, q):  # kept as a quantity, but no property value
                prop, prop_flag = None, "recipe_amount"
            if q in paired:
                mat, mat_flag = self._material(paired[q], materials, base), None
            elif q in paired_before:
                mat, mat_flag = paired_before[q], None
            else:
                mat, mat_flag = self._material_for(q, linkable, ctx, materials, base, text, scene)
            if mat_flag == "no_material" and prop is not None and prop[1] in TC_IDS:
                # "... T c = 1.50 K. This suggests that SnSb is fully gapped": the paragraph names its material later
                mat_ahead = self._material_ahead(ctx, materials)
                if mat_ahead is not None:
                    mat, mat_flag = mat_ahead, "material_from_next_sentence"
            if mat_flag in ("no_material", "material_from_context", "material_auxiliary") and prop is not None:
                named = self._material_of_phrase(text, q, base)
                if named is not None:
                    mat, mat_flag = named, "material_from_phrase"
            quantity = to_quantity(q).model_copy(update={"span": CharSpan(start=base + q.start, end=base + q.end)})
            conditions = [self._condition(c, text, base) for c in conds] + keyword_conditions
            flags = [fl for fl in (prop_flag, mat_flag) if fl]
            prop_ref = PropertyRef(raw="", id=None)
            if prop is not None:
                prop_ref = PropertyRef(raw=prop[0], id=prop[1], span=prop[2])
            # "a Tc of 43 K in both A and B": the value holds for each material of the list
            also = [] if q in paired or q in paired_before or mat_flag else self._shared_by(text, q, mat, linkable, base)
            for i, m in enumerate([mat, *(self._material(x, materials, base) for x in also)]):
                yield Record(
                    record_id=Record.make_id(doc.paper_id, NAME, block.id, base + q.start, q.raw + ("" if not i else f"#{m.raw}")),
                    paper_id=doc.paper_id,
                    material=m,
                    property=prop_ref,
                    quantity=quantity,
                    conditions=conditions,
                    method=method,
                    evidence=Evidence(source_id=block.id, source_kind="sentence", prov=list(sent.prov), snippet=text),
                    extractor=NAME,
                    extractor_version=VERSION,
                    flags=flags,
                )
        # the paragraph remembers the last explicit material and property, and the last list of materials
        # ("the samples with x = 0.80 and 1.0 ...": one sample per value, for a "respectively" in the next sentence)
        split = [x for m in linkable for x in materials.split_sample_list(text, m)]
        ctx.listed = [self._material(m, materials, base) for m in self._listed(text, split)]
        if linkable:
            # a lone element ("the Cu site", "oxygen content", "Zn-free") does not replace a compound named before
            compounds = [m for m in linkable if not _element_only(m)]
            # a compound named for comparison ("the same structure as KOs2O6", "unlike MgB2") is not the one the
            # paragraph goes on about, unless the paragraph has named no other
            own = [m for m in compounds if not _comparison(text, m)]
            for m in own:
                key = _mat_key(m)
                ctx.seen[key] = ctx.seen.get(key, 0) + 1
            if own:
                # of several, the one the paragraph has named most often (the latest of equals)
                last = max(reversed(own), key=lambda m: ctx.seen.get(_mat_key(m), 0))
                ctx.material = self._material(last, materials, base)
            elif ctx.material is None or _element_only(ctx.material):
                ctx.material = self._material((compounds or linkable)[-1], materials, base)
        if f.properties:
            p = f.properties[-1]
            ctx.property_id, ctx.property_raw = p.property_id, p.raw

    def _material_ahead(self, ctx: Context, materials) -> Material | None:
        """The first compound a following sentence of the paragraph names (no lone element, gas or substrate)."""
        for sent in ctx.ahead:
            found = [m for m in materials.find(sent.text) if not self._auxiliary(sent.text, m) and not _element_only(m)]
            if found:
                return self._material(found[0], materials, sent.span.start)
        return None

    @staticmethod
    def _material_of_phrase(text: str, q, base: int) -> Material | None:
        """"The band gap of pure Pyr drug is 4.72 eV": the noun phrase after "<property> of" names the material,
        even when it is not a formula or a known name."""
        matches = list(OF_PHRASE.finditer(text[: q.start]))
        if not matches:
            return None
        m = matches[-1]
        raw = m.group("np").strip(" ,")
        if not raw or len(raw) > 60 or raw.lower() in NOT_MATERIAL or not TextRulesExtractor._names_a_thing(raw):
            return None
        start = m.start("np")
        return Material(raw=raw, name=raw, span=CharSpan(start=base + start, end=base + start + len(raw)))

    def _shared_by(self, text: str, q, mat, mentions: list, base: int) -> list:
        """"Tc of 43 K in both A and B", "Tc 43 K for SLCO and 1% Zn-SLCO": the value was linked to A, the material
        it is stated for right after it; the materials listed with A ("A, B and C") take the same value."""
        if mat is None or mat.span is None or RESPECTIVELY.search(text):
            return []
        head = next((m for m in mentions if m.start == mat.span.start - base and m.start >= q.end), None)
        if head is None:
            return self._subjects_before(text, q, mat, mentions, base)
        if not FOR_MATERIAL.match(text[q.end : head.start]):
            return []
        b = self._segment(text, q.start)[1]
        out, prev = [], head
        for m in (m for m in mentions if m.start >= head.end and m.end <= b):
            joint = LIST_JOINT.match(text[prev.end : m.start])
            if joint is None or _element_only(m):
                break
            out.append(m)
            prev = m
            if joint.group("last") or joint.group("last2"):
                break
        return out

    def _subjects_before(self, text: str, q, mat, mentions: list, base: int) -> list:
        """"Both Nb-2122 and Ta-2122 are superconducting with Tc 28-30 K": the value was linked to the last material of
        a list "A and B" ("A, B and C") that is the subject before it; the others of the list take it too. Only for
        the one value of its sentence part, and a list closed by "and" ("Unlike A, B has ..." is no list)."""
        a, _ = self._segment(text, q.start)
        tail = next((m for m in mentions if m.start == mat.span.start - base and m.end <= q.start and m.start >= a), None)
        if tail is None or not SUBJECT_TO_VALUE.match(text[tail.end : q.start]):
            return []
        earlier = [m for m in mentions if a <= m.start and m.end <= tail.start]
        out, nxt = [], tail
        for m in reversed(earlier):
            joint = LIST_JOINT.match(text[m.end : nxt.start])
            if joint is None or _element_only(m):
                break
            if nxt is tail and not (joint.group("last") or joint.group("last2")):
                return []
            out.insert(0, m)
            nxt = m
        if out and re.search(r"\b(?:unlike|than|like|compared|contrast)\s+(?:\w+\s+){0,2}$", text[a : out[0].start], re.I):
            return []
        return out

    @staticmethod
    def _names_a_thing(raw: str) -> bool:
        """Whether the noun phrase after "<property> of" can name a material: not a value ("temperature of 1.8 K"),
        not another property or method ("Tc of the specific heat"), not an event of the measurement ("temperature
        of the transition", "of the zero resistance"), not a run-on into the next sentence."""
        from schemas.vocab import find_method_mentions, find_property_mentions

        if raw[0].isdigit() or raw[0] in "~∼≈<>±−-+" or GLUED_STOP.search(raw) or ". " in raw:
            return False
        if find_property_mentions(raw) or find_method_mentions(raw):
            return False
        return raw.lower().split()[-1] not in PHRASE_NOT_MATERIAL_HEADS

    @staticmethod
    def _split_respective_lists(text: str, mains: list, mentions: list, listed: int = 0) -> list:
        """"A and B are 39 K and 18 K, respectively": a list value splits into one value per item."""
        if not RESPECTIVELY.search(text):
            return mains
        from dataclasses import replace

        out = []
        for q in mains:
            numbers = [m for m in NUMBER.finditer(q.raw)]
            n = len(q.values)
            # (the materials may sit in an earlier sentence, or be one family "AOs2O6 (A = Cs, Rb, K)": each value of
            # a "respectively" list belongs to a different thing all the same)
            before = [m for m in mentions if m.end <= q.start]
            after = [m for m in mentions if m.start >= q.end]
            if q.kind != "list" or n < 2 or len(numbers) != n or (len(before) < n and len(after) < n and (n != listed)):
                out.append(q)
                continue
            for k, (v, num) in enumerate(zip(q.values, numbers, strict=True)):
                start, end = q.start + num.start(), q.start + num.end()
                if k + 1 < n:  # "43.5 S cm−1 and 51.6 S cm−1": each item keeps the unit written after it
                    tail = re.sub(r"[\s,;]*(?:\band\b|\bor\b)?[\s,;]*$", "", q.raw[num.end() : numbers[k + 1].start()])
                else:
                    tail = q.raw[num.end() :]
                if q.unit_raw and q.unit_raw in tail:
                    end += len(tail)
                out.append(replace(q, start=start, end=end, raw=text[start:end], kind="value", values=(v,)))
        return out

    @staticmethod
    def _recipe_amount(text: str, q) -> bool:
        """'phenylboronic acid (10 mg, 1.6 μmol)', '(65 mL)', '5 mmol of CuCl': how much of a reagent went in."""
        if not q.unit_raw or not AMOUNT_UNIT.match(q.unit_raw.strip()):
            return False
        before = text[max(0, q.start - 25) : q.start]
        in_parens = before.rfind("(") > before.rfind(")")
        return in_parens or bool(re.match(r"\s+of\s+[A-Za-z(]", text[q.end : q.end + 6]))

    @staticmethod
    def _superconducting_onsets(text: str, f: Found, mains: list, conds: list):
        """"Superconductivity found in LiFeAs at 18 K", "the resistivity drops below 6.5 K due to superconductivity",
        "a diamagnetic signal ... was observed below 3.3 K": a temperature introduced by at/below/near in a sentence
        about the superconducting transition is its Tc, when nothing else in the sentence is a dimensional value
        it could be the condition of (counts and percentages aside) and no Tc term is named already."""
        from schemas.vocab import PropertyMention, condition_for_unit

        # told right before the value ("superconductivity emerges at 4.8 K", "zero resistivity is attained below
        # 6.1 K"): the Tc whatever else the sentence holds
        local = []
        for q in conds:
            if q.unit != "K" or not q.values or not all(0 < v <= TC_MAX_K for v in q.values):
                continue
            m = SC_ONSET_BEFORE.search(text, max(0, q.start - 90), q.start) or SC_NOUN_AFTER.match(text, q.end)
            if m is None or MEASURED_AT.search(text, max(0, q.start - 30), q.start):
                continue
            local.append(q)
            f.properties.append(PropertyMention(m.start(), m.end(), m.group(0), "critical_temperature", "synonym"))
        for q in mains:  # "those of the 1 K superconductor Cd2Re2O7": no cue needed; "superconductivity ... near 39 K"
            m = SC_NOUN_AFTER.match(text, q.end) if q.unit == "K" else None
            if m is None and q.unit == "K" and not MEASURED_AT.search(text, max(0, q.start - 30), q.start):
                m = SC_ONSET_BEFORE.search(text, max(0, q.start - 90), q.start)
            if m is not None and all(0 < v <= TC_MAX_K for v in q.values):
                f.properties.append(PropertyMention(m.start(), m.end(), m.group(0), "critical_temperature", "synonym"))
                local.append(q)
        if local:
            f.properties.sort(key=lambda p: p.start)
            mains = sorted({id(q): q for q in mains + local}.values(), key=lambda q: q.start)
            conds = [c for c in conds if c not in local]
        if not conds or not SC_TRIGGER.search(text):
            return mains, conds
        if any(q.unit and q.unit not in ("%", "percent") for q in mains):
            return mains, conds
        if any(p.property_id in TC_IDS for p in f.properties):
            return mains, conds
        promoted = []
        for q in conds:
            if condition_for_unit(q.unit) != "temperature" or len(q.values) != 1 or not 0 < q.values[0] <= TC_MAX_K:
                continue
            if q.unit != "K" or not TC_CUE.search(text, max(0, q.start - 30), q.start):
                continue
            if MEASURED_AT.search(text, max(0, q.start - 30), q.start):
                continue
            promoted.append(q)
        if not promoted:
            return mains, conds
        for q in promoted:
            t = min(SC_TRIGGER.finditer(text), key=lambda m: abs(m.start() - q.start))
            f.properties.append(PropertyMention(t.start(), t.end(), t.group(0), "critical_temperature", "synonym"))
        f.properties.sort(key=lambda p: p.start)
        mains = sorted(mains + promoted, key=lambda q: q.start)
        return mains, [c for c in conds if c not in promoted]

    @staticmethod
    def _citation_lead(text: str, q) -> bool:
        """'62 In topography ...', '15,16 Regarding ...', '32 ( 2 ) PTPA is ...': a bare number that opens the sentence
        before a capitalised word is a reference marker left by the text layer (a sentence does not start with a
        digit-written count; '300 K measurements' has a unit, 'Two polymers' is spelled out)."""
        return (
            q.unit is None
            and q.raw[:1].isdigit()
            and not text[: q.start].strip()
            and bool(CITATION_LEAD_AFTER.match(text, q.end))
        )

    @staticmethod
    def _in_reference(text: str, q) -> bool:
        return bool(REFERENCE_CUE.search(text[max(0, q.start - REF_BEFORE) : q.end + REF_AFTER]))

    @staticmethod
    def _auxiliary(text: str, m) -> bool:
        """'on LaSrAlO4 substrates', 'in YSZ crucibles', 'annealed in argon', 'tips of tungsten': a material that only
        sets the scene of the measurement."""
        if AUX_AFTER.match(text, m.end):
            return True
        before = text[max(0, m.start - 40) : m.start]
        if re.search(r"\b(?:tips?\s+of|made\s+of)\s+$", before, re.I) or SCENE_BEFORE.search(before):
            return True
        return bool(GAS_OR_SOLVENT.match(m.raw.strip()) and AUX_BEFORE.search(before))

    @staticmethod
    def _segment(text: str, pos: int) -> tuple[int, int]:
        """The stretch of the sentence around pos between glued full stops ('...respectively.On the other hand')."""
        start, end = 0, len(text)
        for g in GLUED_STOP.finditer(text):
            if g.start() <= pos:
                start = g.start()
            else:
                end = g.start()
                break
        return start, end

    def _respectively(self, text: str, mains: list, mentions: list) -> dict:
        """"A and B show Tc of 17 K and 37 K, respectively": the values listed right before "respectively" pair in order
        with as many materials before them in the same sentence; a citation "(6)" inside the list does not break it."""
        out: dict = {}
        if len(mains) < 2:
            return out
        for r in RESPECTIVELY.finditer(text):
            a, _ = self._segment(text, r.start())
            vals = [
                q for q in mains
                if q.start >= a and q.end <= r.start() and not any(m.start < q.end and q.start < m.end for m in mentions)
            ]  # (the number of a sample 'x = 0.10, 0.15' is no value of the list)
            if len(vals) < 2:
                continue
            run = _list_run(text, vals)
            n = len(run)
            after = [m for m in mentions if m.start >= run[-1].end and m.end <= r.start()]
            if n >= 2 and len(after) >= n and FOR_LIST.match(text[run[-1].end : after[0].start]):
                # "0.087 and 0.065 Ω cm2 for x = 0.05 and x = 0.10, respectively"
                out.update(zip(run, after[:n], strict=True))
                continue
            tail = FOR_AFTER_RESPECTIVELY.match(text, r.end())
            if n >= 2 and not after and tail and not text[run[-1].end : r.start()].strip(" ,"):
                _, b = self._segment(text, r.end())
                later = [m for m in mentions if m.start >= tail.end() and m.end <= b]
                if len(later) >= n and later[0].start == tail.end():
                    out.update(zip(run, later[:n], strict=True))
                    continue
            mats = [m for m in mentions if m.start >= a and m.end <= run[0].start]
            if n < 2 or after or len(mats) < n or r.start() - run[-1].end > 60:
                continue
            out.update(zip(run, mats[-n:], strict=True))
        return out

    def _respectively_before(self, text: str, mains: list, listed: list) -> dict:
        """"... three superconductors; CsOs2O6, RbOs2O6 and KOs2O6. The Tc changes as 3.2 K, 6.3 K and 9.6 K,
        respectively": a sentence that lists n values "respectively" and names no material pairs them in order with
        the n materials the previous sentence listed (exactly n)."""
        if len(listed) < 2 or len(mains) < 2:
            return {}
        for r in RESPECTIVELY.finditer(text):
            a, _ = self._segment(text, r.start())
            vals = [q for q in mains if q.start >= a and q.end <= r.start()]
            if len(vals) < 2:
                continue
            run = _list_run(text, vals)
            if len(run) == len(listed) and r.start() - run[-1].end <= 60:
                return {q: m.model_copy() for q, m in zip(run, listed, strict=True)}
        return {}

    @staticmethod
    def _listed(text: str, mentions: list) -> list:
        """The last list of two or more materials of a sentence ("A, B and C", "A and B"), else []."""
        best: list = []
        run: list = []
        for m in mentions:
            if run and LIST_JOINT.match(text[run[-1].end : m.start]) and not _element_only(m):
                run.append(m)
            else:
                if len(run) >= 2:
                    best = run
                run = [] if _element_only(m) else [m]
        return run if len(run) >= 2 else best

    @staticmethod
    def _keyword_conditions(text: str, base: int, conds: list) -> list[Condition]:
        """Conditions named without a number: "at room temperature", "under ambient pressure"."""
        out = []
        for raw, cond_id in ROOM_CONDITIONS:
            for m in re.finditer(raw, text, re.IGNORECASE):
                span = CharSpan(start=base + m.start(), end=base + m.end())
                if not any(c.start <= m.start() < c.end for c in conds):
                    out.append(Condition(raw=m.group(0), property_id=cond_id, span=span))
        return out

    def _split_conditions(self, text: str, f: Found):
        from schemas.vocab import condition_for_unit, resolve_mention

        mains, conds = [], []
        for q in f.quantities:
            before = text[max(0, q.start - COND_WINDOW) : q.start]
            cond_id = condition_for_unit(q.unit) if q.unit else None
            if COMPARED_BEFORE.search(before):  # "compared with 93 K": a value of the same kind, not a condition
                cond_id = None
            if cond_id and CONDITION_CUE.search(before) and not self._claimed(q, f.properties, text):
                conds.append(q)
            else:
                mains.append(q)
        if not any(q.unit for q in mains) and conds and f.properties:
            # "Tc reaches 39 K at ambient pressure", "superconducts below 12 K": the property claims one of them
            for q in conds:
                if any(resolve_mention(p, q.unit, text) for p in f.properties):
                    mains, conds = sorted([*mains, q], key=lambda x: x.start), [c for c in conds if c is not q]
                    break
        return mains, conds

    @staticmethod
    def _claimed(q, mentions, text: str) -> bool:
        """A property named right before the number claims it, cue or not: "Tc of 39 K", "superconductivity at 30 K"."""
        from schemas.vocab import resolve_mention

        for p in mentions:
            if p.end <= q.start and q.start - p.end <= CLAIM_WINDOW and resolve_mention(p, q.unit, text):
                # a qualifier in parentheses right after the term stays with it: "T c (zero) is at 63 K"
                between = QUALIFIER_AFTER.sub("", text[p.end : q.start], count=1)
                if not re.search(r"[;,(]|\b(?:and|while|whereas|but)\b", between):
                    return True
        return False

    @staticmethod
    def _fits(property_id: str, q) -> bool:
        from schemas.vocab import unit_fits_property

        return unit_fits_property(q.unit, property_id)

    def _property_for(self, q, mentions, ctx: Context, text: str = "", base: int = 0):
        from schemas.vocab import condition_for_unit, resolve_mention

        before = text[max(0, q.start - 40) : q.start]
        if NOT_THE_VALUE.search(before):
            return None, "no_property"
        if WIDTH_BEFORE.search(text[max(0, q.start - 80) : q.start]):  # "the width defined by 10% and 90% ... is 0.9 K"
            return None, "no_property"
        if ARGUMENT_BEFORE.search(before) and text[q.end : q.end + 1] == ")":  # "S(290K)", "R(50 K)/R(300 K)"
            return None, "no_property"
        if q.unit and q.unit not in ("%", "percent") and INCREMENT.search(before):  # "Tc rises by 5 K"; a relative "by 10 %" is a result
            return None, "no_property"
        if (
            condition_for_unit(q.unit) == "temperature"
            and (MEASURING_RANGE.search(before) or RANGE_BOUND_AFTER.match(text, q.end))
            and not self._claimed(q, mentions, text)
        ):
            return None, "no_property"

        best, best_d = None, None
        for p in mentions:
            pid = resolve_mention(p, q.unit, text)
            if pid is None or (pid in TC_IDS and not _plausible_tc(q)):
                continue
            d = q.start - p.end if p.end <= q.start else (p.start - q.end) + 25
            if d < -5:
                continue
            if best_d is None or d < best_d:
                best, best_d = (p, pid), d
        if best is not None:
            p, pid = best
            return (p.raw, pid, CharSpan(start=base + p.start, end=base + p.end)), None
        if ctx.property_id and self._fits(ctx.property_id, q) and (ctx.property_id not in TC_IDS or _plausible_tc(q)):
            return (ctx.property_raw or "", ctx.property_id, None), "property_from_context"
        return None, "no_property"

    def _material_for(self, q, mentions, ctx: Context, materials, base: int, text: str = "", scene=()):
        a, b = self._segment(text, q.start) if text else (0, 1 << 30)
        supports = [m for m in scene if SUPPORT_AFTER.match(text, m.end)]
        if supports and not any(a <= m.start and m.end <= b for m in mentions):
            # "a cell on a Ni-YSZ substrate achieved 588 mW cm−2": a support is the material when nothing else is named
            mentions = sorted([*mentions, *supports], key=lambda m: m.start)
        before = [m for m in mentions if a <= m.start and m.end <= q.start]
        after = [m for m in mentions if m.start >= q.end and m.end <= b]
        # "Tc of 51 K for NdOFeAs", "increases Tc up to 1 K in CeRhIrIn5": the material the value is stated for
        if after and FOR_MATERIAL.match(text[q.end : after[0].start]):
            return self._material(after[0], materials, base), None
        if after and self._stated_for(text, q, after[0]):
            return self._material(after[0], materials, base), None
        if before:
            m = before[-1]
            if _element_only(m) and q.start - m.end > ELEMENT_REACH:
                # "La1.985Sr0.015CuO4 ... (p = 0.063 per Cu) ... Tc = 16 K": the compound, not its constituent
                compound = next((c for c in reversed(before) if not _element_only(c)), None)
                if compound is not None:
                    m = compound
            return self._material(m, materials, base), None
        if after:
            return self._material(after[0], materials, base), None
        earlier = [m for m in mentions if m.end <= a]
        if earlier:  # the sentence glued before this one
            return self._material(earlier[-1], materials, base), "material_from_context"
        if ctx.material is not None:
            return ctx.material.model_copy(update={"span": None}), "material_from_context"
        near = [m for m in scene if a <= m.start and m.end <= b]
        if near:  # only a gas, solvent or crucible is named: kept, flagged (the score ranks it down)
            return self._material(min(near, key=lambda m: abs(m.start - q.start)), materials, base), "material_auxiliary"
        return None, "no_material"

    @staticmethod
    def _stated_for(text: str, q, m) -> bool:
        """'42 K (y = 1.0)', 'reaching 10.5 K at x = 0.4', '40 K (onset of the signal) for the x = 0.3 sample': the
        material right after the value names what it is stated for, in parentheses of its own, as the composition
        it is reached at, or after an aside in parentheses."""
        gap = text[q.end : m.start]
        if PAREN_OPEN.match(gap) and CLOSE_PAREN.match(text, m.end):
            return True
        if COMPOSITION.match(m.raw) and re.fullmatch(r"\s*,?\s*at\s+(?:the\s+)?", gap):
            return True
        aside = PAREN_ASIDE.match(gap)
        return bool(aside) and bool(FOR_MATERIAL.match(gap[aside.end() :]))

    @staticmethod
    def _material(m, materials, base: int) -> Material:
        formula, reduced, name = m.formula, m.reduced_formula, m.name
        resolved = materials.resolve(m.raw)
        if resolved is not None:
            formula = formula or resolved.formula
            reduced = reduced or resolved.reduced_formula
            name = name or resolved.name
        return Material(
            raw=m.raw, formula=formula, reduced_formula=reduced, name=name, span=CharSpan(start=base + m.start, end=base + m.end)
        )

    @staticmethod
    def _condition(q, text: str, base: int) -> Condition:
        from extractors.quantities import to_quantity
        from schemas.vocab import condition_for_unit

        span = CharSpan(start=base + q.start, end=base + q.end)
        return Condition(raw=q.raw, property_id=condition_for_unit(q.unit), quantity=to_quantity(q).model_copy(update={"span": span}), span=span)


def _mat_key(m) -> str:
    return "".join((m.raw or "").split()).lower()


def _comparison(text: str, m) -> bool:
    """'the same structure as KOs2O6', 'higher than in MgB2', 'unlike Nb3Sn', 'as reported for LaFeAsO': a material
    brought in to compare with, not the one the statement is about."""
    return bool(COMPARISON_BEFORE.search(text[max(0, m.start - 100) : m.start]))


def _list_run(text: str, vals: list) -> list:
    """The values that end a sentence part as one list ("3.2, 6.3 and 9.6 K"): the last value and those before it
    joined to it by list gaps (commas, "and")."""
    run = [vals[-1]]
    for q in reversed(vals[:-1]):
        if not LIST_GAP.match(text[q.end : run[0].start]):
            break
        run.insert(0, q)
    return run
