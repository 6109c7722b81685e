"""Document dedup before sharding: exact (content hash of the normalized text) and near-duplicate (datasketch MinHash
over word n-gram shingles + MinHashLSH at a Jaccard threshold).

Papers are visited in paper-id order; the first of a group is kept and every later one is dropped as a duplicate
of it, so the outcome is deterministic whatever order the files were fetched in.
"""

from __future__ import annotations

from dataclasses import dataclass

SCHEME = "affine32"  # datasketch >= 2 MinHash permutation scheme (signatures are cached: keep it explicit)


@dataclass(frozen=True)
class Duplicate:
    paper_id: str
    duplicate_of: str
    kind: str  # "exact" | "near"
    similarity: float

    def as_dict(self) -> dict:
        return {"paper_id": self.paper_id, "duplicate_of": self.duplicate_of, "kind": self.kind,
                "similarity": round(self.similarity, 4)}


def shingles(normalized: str, n: int) -> list[bytes]:
    words = normalized.split()
    if len(words) < n:
        return [" ".join(words).encode("utf-8")] if words else []
    return sorted({" ".join(words[i : i + n]).encode("utf-8") for i in range(len(words) - n + 1)})


class Deduper:
    """Feed papers in paper-id order with `add(paper_id, normalized_text)`; `duplicates` lists the ones to drop."""

    def __init__(self, threshold: float = 0.85, num_perm: int = 128, shingle_words: int = 5):
        from datasketch import MinHashLSH

        self.threshold, self.num_perm, self.shingle_words = threshold, num_perm, shingle_words
        self.lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self.sigs: dict = {}
        self.by_hash: dict[str, str] = {}
        self.duplicates: list[Duplicate] = []
        self._last: str | None = None

    def signature(self, normalized: str) -> dict:
        """What dedup needs of a text, JSON-friendly (cacheable): its content hash and MinHash values."""
        import hashlib

        from datasketch import MinHash

        sig: dict = {"sha256": hashlib.sha256(normalized.encode("utf-8")).hexdigest(), "minhash": None,
                     "num_perm": self.num_perm, "shingle_words": self.shingle_words, "scheme": SCHEME}
        sh = shingles(normalized, self.shingle_words)
        if sh:
            m = MinHash(num_perm=self.num_perm, seed=1, scheme=SCHEME)
            m.update_batch(sh)
            sig["minhash"] = [int(v) for v in m.hashvalues]
        return sig

    def add(self, paper_id: str, normalized: str) -> Duplicate | None:
        return self.add_signature(paper_id, self.signature(normalized))

    def add_signature(self, paper_id: str, sig: dict) -> Duplicate | None:
        import numpy as np
        from datasketch import MinHash

        if self._last is not None and paper_id <= self._last:
            raise ValueError(f"papers must be added in increasing id order ({paper_id} after {self._last})")
        if (sig.get("num_perm"), sig.get("shingle_words"), sig.get("scheme")) != (self.num_perm, self.shingle_words, SCHEME):
            raise ValueError(f"signature of {paper_id} made with other MinHash settings")
        self._last = paper_id
        h = sig["sha256"]
        if h in self.by_hash:
            d = Duplicate(paper_id, self.by_hash[h], "exact", 1.0)
            self.duplicates.append(d)
            return d
        self.by_hash[h] = paper_id
        if sig["minhash"] is None:
            return None  # an empty text is nobody's near-duplicate
        m = MinHash(num_perm=self.num_perm, seed=1, scheme=SCHEME, hashvalues=np.array(sig["minhash"], dtype=np.uint64))
        best: tuple[float, str] | None = None
        for other in sorted(self.lsh.query(m)):
            sim = m.jaccard(self.sigs[other])
            if sim >= self.threshold and (best is None or sim > best[0]):
                best = (sim, other)
        if best is not None:
            d = Duplicate(paper_id, best[1], "near", best[0])
            self.duplicates.append(d)
            return d
        self.lsh.insert(paper_id, m)
        self.sigs[paper_id] = m
        return None


def find_duplicates(
    texts: dict[str, str], threshold: float = 0.85, num_perm: int = 128, shingle_words: int = 5
) -> list[Duplicate]:
    """`texts`: paper id -> normalized text. Returns the papers to drop (with the paper each duplicates)."""
    d = Deduper(threshold, num_perm, shingle_words)
    for pid in sorted(texts):
        d.add(pid, texts[pid])
    return d.duplicates
