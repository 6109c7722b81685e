"""The token classifier at inference: a trained model folder -> char spans of MAT / PROP / VAL / UNIT in a text.

Long texts are cut into overlapping token windows; a token seen by two windows keeps the prediction of the window
where it sits farther from the edge. torch / transformers are imported here, on first use only.
"""

from __future__ import annotations

import json
from pathlib import Path

from extractors.encoder.tags import LABELS, TagSpan, decode

MAX_LENGTH = 256
STRIDE = 64
BATCH = 16


class EncoderTagger:
    def __init__(
        self, model_dir: str | Path, *, max_length: int | None = None, stride: int = STRIDE, batch: int = BATCH
    ):
        import torch
        from transformers import AutoModelForTokenClassification, AutoTokenizer

        self.model_dir = Path(model_dir)
        if not (self.model_dir / "config.json").is_file():
            raise FileNotFoundError(f"no trained encoder in {self.model_dir} (config.json missing): run `matlit train-ner`")
        self.tokenizer = AutoTokenizer.from_pretrained(self.model_dir)
        self.model = AutoModelForTokenClassification.from_pretrained(self.model_dir)
        names = [self.model.config.id2label[i] for i in range(self.model.config.num_labels)]
        if tuple(names) != LABELS:
            raise ValueError(f"{self.model_dir}: model labels {names} are not the encoder's {list(LABELS)}")
        self.model.eval()
        self.torch = torch
        if max_length is None:  # the window length the model was trained with (manifest), else MAX_LENGTH
            manifest = self.model_dir / "manifest.json"
            trained = json.loads(manifest.read_text("utf-8")).get("train", {}) if manifest.is_file() else {}
            max_length = int(trained.get("max_length") or MAX_LENGTH)
        self.max_length, self.stride, self.batch = max_length, min(stride, max_length // 4), batch

    def tag(self, text: str) -> list[TagSpan]:
        return self.tag_many([text])[0]

    def tag_many(self, texts: list[str]) -> list[list[TagSpan]]:
        """Spans for each text (empty texts give no spans)."""
        torch = self.torch
        enc = self.tokenizer(
            [t if t.strip() else " " for t in texts],
            truncation=True,
            max_length=self.max_length,
            stride=self.stride,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
            padding=True,
            return_tensors="pt",
        )
        sample_of = enc.pop("overflow_to_sample_mapping").tolist()
        offsets = enc.pop("offset_mapping").tolist()
        best: list[dict[tuple[int, int], tuple[int, int, float]]] = [{} for _ in texts]  # offset -> (margin, id, p)
        n = len(sample_of)
        with torch.inference_mode():
            for lo in range(0, n, self.batch):
                batch = {k: v[lo : lo + self.batch] for k, v in enc.items()}
                probs = self.model(**batch).logits.softmax(-1)
                pmax, ids = probs.max(-1)
                for j in range(ids.shape[0]):
                    w = lo + j
                    offs = offsets[w]
                    real = [k for k, (a, b) in enumerate(offs) if a != b]
                    if not real:
                        continue
                    first, last = real[0], real[-1]
                    table = best[sample_of[w]]
                    for k in real:
                        margin = min(k - first, last - k)
                        key = (offs[k][0], offs[k][1])
                        old = table.get(key)
                        if old is None or margin > old[0]:
                            table[key] = (margin, int(ids[j, k]), float(pmax[j, k]))
        out = []
        for i, table in enumerate(best):
            keys = sorted(table)
            spans = decode(keys, [table[k][1] for k in keys], [table[k][2] for k in keys])
            out.append([s for s in spans if texts[i][s.start : s.end].strip()])
        return out
