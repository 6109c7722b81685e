"""Training on the shards: chemistry-aware tokenizer, streaming dataset, reference pretraining."""
