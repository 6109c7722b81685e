"""Training on the dev gold corpora and curated records: `matlit train-ner` (the encoder token classifier,
ner.py) and `matlit finetune` (a LoRA adapter for a causal LM on the extract_paragraph prompt, lora.py).
Base models come out of PyPI wheels (base_models.py); outputs go under work/models/ with a data manifest."""
