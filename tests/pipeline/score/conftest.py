"""Helpers for the score tests: real records from real sentences (text_rules + normalize)."""

from __future__ import annotations

import pytest

from schemas import Record


def records_from(doc_id: str, text: str) -> list[Record]:
    from pipeline.extract import extract_texts
    from pipeline.normalize import normalize_records

    return normalize_records(extract_texts([(doc_id, text)], ["text_rules"]))


def one_record(doc_id: str, text: str) -> Record:
    recs = records_from(doc_id, text)
    assert len(recs) == 1, [r.quantity.raw for r in recs]
    return recs[0]


@pytest.fixture
def record_of():
    return one_record
