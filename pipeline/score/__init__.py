"""Credibility scores, reconciliation and the review queue (issue 7).

    features.py     per-record features + curator flags        model.py        the combiner (model.json) + fallback
    labels.py       correct/wrong labels with eval's matching  train.py        `matlit score train`
    calibration.py  ECE, reliability diagram                    reconcile.py    same-fact groups, consensus, repeats
    stage.py        the `score` stage                           queue.py        the `review` stage (review queue)
"""
