"""The score combiner: logistic regression over features.py's features, then a calibration map (isotonic).

The trained model is a small committed JSON file, pipeline/score/model.json (`matlit score train` writes it):

    {"version": 1, "features": [...], "coef": [...], "intercept": b,
     "priors": {feature: logit offset},          # hand-set, for features the dev corpora cannot show (see below)
     "calibration": {"method": "isotonic", "x": [...], "y": [...]},   # raw probability -> calibrated probability
     "split": {"by": "document", "rule": ...}, "training": {manifest}, "metrics": {...}}

    score = calibration(sigmoid(intercept + coef . x + priors . x))

The dev gold corpora are plain text run through one extractor, so features that only exist on real papers
(a second extractor agreeing, tables, LLM, section, OCR, broken tables, grounding) never vary there and get no
trained weight; `priors` holds documented hand-set logit offsets for them. When model.json is missing,
`FALLBACK` (hand-set weights, no calibration) is used and every score carries the flag `score_model:fallback`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.score.features import FEATURES

MODEL_PATH = Path(__file__).with_name("model.json")

# Hand-set logit offsets for features the dev corpora cannot train (documented in the model file as well).
PRIORS: dict[str, float] = {
    "corroborated": 1.5,  # a second, independent extractor found the same fact
    "from_table": 0.0,  # table cells: no evidence either way yet (table_gold value+unit P 0.90 ~ text)
    "from_llm": -0.3,  # generative extraction: hallucination risk until grounded
    "section_background": -0.8,  # introduction/background: mostly quoted values
    "section_methods": -0.3,  # methods: set-points and synthesis parameters more than results
    "ocr": -0.5,  # OCR text: digit errors
    "table_broken": -1.0,
    "ungrounded": -2.0,  # not found verbatim in the source
}

# Used only when model.json is missing: hand-set weights in the same form, uncalibrated.
FALLBACK = {
    "version": 1,
    "features": list(FEATURES),
    "intercept": 0.4,
    "coef": [
        {
            "no_material": -1.5,
            "no_property": -1.5,
            "unit_problem": -1.5,
            "out_of_range": -2.0,
            "no_unit": -0.3,
            "hedged": -0.7,
            "negated": -1.0,
            "cited": -0.5,
            "computed": -0.3,
            "gga_band_gap": -0.5,
            "experimental_cue": 0.3,
            "many_numbers": -1.0,
            "material_far": -1.0,
            "property_far": -0.5,
            "repeated_in_paper": 0.3,
            "agrees_with_consensus": 0.8,
            "disagrees_with_consensus": -0.8,
        }.get(f, 0.0)
        for f in FEATURES
    ],
    "priors": PRIORS,
    "calibration": None,
    "training": {"note": "hand-set fallback: pipeline/score/model.json was missing"},
}


class ModelError(ValueError):
    pass


@dataclass
class ScoreModel:
    features: list[str]
    coef: list[float]
    intercept: float
    priors: dict[str, float] = field(default_factory=dict)
    cal_x: list[float] = field(default_factory=list)
    cal_y: list[float] = field(default_factory=list)
    fallback: bool = False
    meta: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: dict, fallback: bool = False, source: str = "model") -> "ScoreModel":
        try:
            feats, coef = list(d["features"]), [float(c) for c in d["coef"]]
            intercept = float(d["intercept"])
        except (KeyError, TypeError, ValueError) as e:
            raise ModelError(f"{source}: not a score model ({e!r})") from e
        if len(feats) != len(coef):
            raise ModelError(f"{source}: {len(feats)} features but {len(coef)} coefficients")
        unknown = sorted(set(feats) - set(FEATURES))
        if unknown:
            raise ModelError(f"{source}: features unknown to this version: {unknown}")
        cal = d.get("calibration") or {}
        xs, ys = [float(x) for x in cal.get("x", [])], [float(y) for y in cal.get("y", [])]
        if len(xs) != len(ys) or any(b < a for a, b in zip(xs, xs[1:], strict=False)):
            raise ModelError(f"{source}: calibration table must be two equal-length lists with increasing x")
        meta = {k: v for k, v in d.items() if k in ("training", "metrics", "split", "version")}
        return cls(feats, coef, intercept, dict(d.get("priors") or {}), xs, ys, fallback, meta)

    @classmethod
    def load(cls, path: Path | str | None = None) -> "ScoreModel":
        """The model file (default pipeline/score/model.json); the hand-set FALLBACK when the default is missing.
        An explicitly given path must exist."""
        p = Path(path) if path is not None else MODEL_PATH
        if not p.is_file():
            if path is not None:
                raise ModelError(f"score model not found: {p}")
            return cls.from_dict(FALLBACK, fallback=True, source="fallback")
        try:
            d = json.loads(p.read_text("utf-8"))
        except json.JSONDecodeError as e:
            raise ModelError(f"{p}: not valid JSON: {e}") from e
        return cls.from_dict(d, source=str(p))

    def logit(self, x: dict[str, float]) -> float:
        z = self.intercept + sum(c * x.get(f, 0.0) for f, c in zip(self.features, self.coef, strict=True))
        return z + sum(w * x.get(f, 0.0) for f, w in self.priors.items())

    def calibrate(self, p: float) -> float:
        xs, ys = self.cal_x, self.cal_y
        if not xs:
            return p
        if p <= xs[0]:
            return ys[0]
        if p >= xs[-1]:
            return ys[-1]
        import bisect

        i = bisect.bisect_right(xs, p)
        x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
        return y0 if x1 == x0 else y0 + (y1 - y0) * (p - x0) / (x1 - x0)

    def predict(self, x: dict[str, float]) -> float:
        z = max(-30.0, min(30.0, self.logit(x)))
        p = self.calibrate(1.0 / (1.0 + math.exp(-z)))
        return round(min(1.0, max(0.0, p)), 4)

    def contributions(self, x: dict[str, float]) -> dict[str, float]:
        """Per-feature logit contribution (weight x value), for explanations."""
        out = {f: c * x.get(f, 0.0) for f, c in zip(self.features, self.coef, strict=True)}
        for f, w in self.priors.items():
            out[f] = out.get(f, 0.0) + w * x.get(f, 0.0)
        return out
