"""CPU-trainable encoder extractor: a BERT-style token classifier (all-MiniLM-L6-v2 fine-tuned by `matlit train-ner`)
tags MAT / PROP / VAL / UNIT spans; `extractor.py` turns them into Records (alone, or refining text_rules)."""

from extractors.encoder.extractor import COMBINED_NAME, NAME, VERSION, EncoderExtractor, RulesEncoderExtractor
from extractors.encoder.tags import ID2LABEL, LABEL2ID, LABELS, TYPES, TagSpan, bio_labels, decode, split_quantity

__all__ = [
    "COMBINED_NAME",
    "ID2LABEL",
    "LABEL2ID",
    "LABELS",
    "NAME",
    "TYPES",
    "VERSION",
    "EncoderExtractor",
    "RulesEncoderExtractor",
    "TagSpan",
    "bio_labels",
    "decode",
    "split_quantity",
]
