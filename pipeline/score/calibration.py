"""Calibration measures for scores that claim to be P(correct): ECE, reliability bins and diagram, and how many of
the wrong records the lowest-scored share of records catches.

    ECE = sum over equal-width bins b of (n_b / n) * |mean score in b - share correct in b|
"""

from __future__ import annotations

import io
from pathlib import Path

DEFAULT_BINS = 15


def reliability_bins(scores: list[float], labels: list[bool], bins: int = DEFAULT_BINS) -> list[dict]:
    """Equal-width bins over [0, 1] (a score of 1.0 falls in the last bin): count, mean score, share correct."""
    if len(scores) != len(labels):
        raise ValueError(f"{len(scores)} scores but {len(labels)} labels")
    if bins < 1:
        raise ValueError("bins must be >= 1")
    acc = [[0, 0.0, 0] for _ in range(bins)]
    for s, y in zip(scores, labels, strict=True):
        if not 0.0 <= s <= 1.0:
            raise ValueError(f"score {s} outside [0, 1]")
        b = min(int(s * bins), bins - 1)
        acc[b][0] += 1
        acc[b][1] += s
        acc[b][2] += bool(y)
    return [
        {
            "lo": i / bins,
            "hi": (i + 1) / bins,
            "n": n,
            "mean_score": tot / n if n else None,
            "accuracy": pos / n if n else None,
        }
        for i, (n, tot, pos) in enumerate(acc)
    ]


def ece(scores: list[float], labels: list[bool], bins: int = DEFAULT_BINS) -> float:
    n = len(scores)
    if n == 0:
        raise ValueError("ECE of no scores")
    return sum(b["n"] / n * abs(b["mean_score"] - b["accuracy"]) for b in reliability_bins(scores, labels, bins) if b["n"])


def share_wrong_in_lowest(scores: list[float], labels: list[bool], fraction: float = 0.2) -> float | None:
    """Of all wrong records, the share that falls in the lowest-scored `fraction` of records (ties: lower index
    first, i.e. stable). None when there is no wrong record."""
    wrong = sum(1 for y in labels if not y)
    if not wrong:
        return None
    k = round(fraction * len(scores))
    order = sorted(range(len(scores)), key=lambda i: scores[i])[:k]
    return sum(1 for i in order if not labels[i]) / wrong


def brier(scores: list[float], labels: list[bool]) -> float:
    return sum((s - float(y)) ** 2 for s, y in zip(scores, labels, strict=True)) / len(scores)


def summary(scores: list[float], labels: list[bool], bins: int = DEFAULT_BINS) -> dict:
    from sklearn.metrics import roc_auc_score

    n = len(scores)
    both = 0 < sum(labels) < n
    return {
        "n": n,
        "correct": int(sum(labels)),
        "base_rate": sum(labels) / n if n else None,
        "ece": ece(scores, labels, bins),
        "bins": bins,
        "brier": brier(scores, labels),
        "auc": float(roc_auc_score(labels, scores)) if both else None,
        "share_wrong_in_lowest_20pct": share_wrong_in_lowest(scores, labels, 0.2),
        "reliability": reliability_bins(scores, labels, bins),
    }


def reliability_png(scores: list[float], labels: list[bool], title: str = "", bins: int = DEFAULT_BINS) -> bytes:
    """The reliability diagram (share correct vs mean score per bin, with counts) as PNG bytes."""
    title = title or f"reliability (ECE {ece(scores, labels, bins):.3f}, n={len(scores)})"
    return reliability_png_from_bins(reliability_bins(scores, labels, bins), title)


def reliability_png_from_bins(rbins: list[dict], title: str = "") -> bytes:
    """The diagram from reliability_bins() output (what scores.json keeps)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    width = (rbins[0]["hi"] - rbins[0]["lo"]) if rbins else 0.1
    rb = [b for b in rbins if b["n"]]
    fig, (ax, axh) = plt.subplots(2, 1, figsize=(5, 6), gridspec_kw={"height_ratios": [3, 1]}, sharex=True)
    ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1, label="perfect calibration")
    ax.plot([b["mean_score"] for b in rb], [b["accuracy"] for b in rb], marker="o", color="#4c72b0", label="records")
    ax.set_ylabel("share correct")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left")
    ax.set_title(title or "reliability", fontsize=10)
    axh.bar([(b["lo"] + b["hi"]) / 2 for b in rb], [b["n"] for b in rb], width=width * 0.9, color="#dd8452")
    axh.set_xlabel("score (predicted P(correct))")
    axh.set_ylabel("records")
    fig.tight_layout()
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format="png", dpi=100)
    finally:
        plt.close(fig)
    return buf.getvalue()


def write_reliability_png(path: Path, scores: list[float], labels: list[bool], title: str = "") -> Path:
    from pipeline.workdir import atomic_write_bytes

    atomic_write_bytes(Path(path), reliability_png(scores, labels, title))
    return Path(path)
