"""Shard stage: normalized records, paper text and figure series -> Parquet shards + manifest.json for pretraining."""
