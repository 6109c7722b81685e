"""Tiny random causal LMs + byte-level BPE tokenizers built from a config in milliseconds (no downloads).

Shared by the LLM tests (and usable by fine-tuning tests): `tiny_model(kind="llama"|"gpt2")`.
"""

from __future__ import annotations

from functools import lru_cache

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)

_CORPUS = [
    '{"records":[{"material":"GaN","property_text":"band gap","property":"band_gap","value":"3.4","unit":"eV"}]}',
    "The band gap of GaN is 3.4 eV at 300 K. LiFePO4 delivers 160 mAh g-1. YBa2Cu3O7 has Tc = 92 K.",
    "yes no unsure value_in_text material_correct property_correct unit_correct conditions method evidence",
]


@lru_cache(maxsize=None)
def tiny_tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<|eos|>", "<|pad|>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(_CORPUS * 4, trainer)
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|eos|>", pad_token="<|pad|>")
    hf.chat_template = CHAT_TEMPLATE
    return hf


def tiny_model(kind: str = "llama", seed: int = 0):
    import torch
    from transformers import AutoModelForCausalLM, GPT2Config, LlamaConfig

    tok = tiny_tokenizer()
    torch.manual_seed(seed)
    if kind == "llama":
        cfg = LlamaConfig(
            vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
            num_key_value_heads=2, max_position_embeddings=8192, eos_token_id=tok.eos_token_id,
            pad_token_id=tok.pad_token_id, bos_token_id=None,
        )
    else:
        cfg = GPT2Config(
            vocab_size=len(tok), n_embd=32, n_layer=2, n_head=2, n_positions=8192,
            eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id, bos_token_id=tok.eos_token_id,
        )
    model = AutoModelForCausalLM.from_config(cfg).eval()
    model.generation_config.eos_token_id = tok.eos_token_id
    model.generation_config.pad_token_id = tok.pad_token_id
    return model, tok
