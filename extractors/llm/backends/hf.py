"""transformers backend: chat template -> model.generate with a llguidance logits processor (JSON Schema -> grammar).

The grammar forbids free whitespace (compact JSON) and the schema caps string lengths and array sizes, so even a
small model terminates. Each row of a batch has its own matcher; rows that finished are held on EOS. Works on CPU
and GPU (`device`), with a model directory (safetensors) or a GGUF file (`gguf_file`, dequantized on load), or
with an already loaded model + tokenizer (tests, fine-tuning).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from extractors.llm.backends import BackendError, ChatRequest, Completion, check_json

FALLBACK_CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


def grammar_for(schema: dict) -> str:
    """llguidance grammar for a JSON Schema: compact separators, no free whitespace."""
    from llguidance import LLMatcher

    return LLMatcher.grammar_from_json_schema(
        json.dumps(schema),
        overrides={"whitespace_flexible": False, "item_separator": ",", "key_separator": ":"},
    )


class _GuidanceProcessor:
    """LogitsProcessor: before each step, feed each row's last token to its matcher and mask disallowed tokens."""

    def __init__(self, matchers: list, eos_ids: list[int], prompt_len: int):
        self.matchers = matchers
        self.eos_ids = eos_ids
        self.prompt_len = prompt_len
        self.errors: list[str | None] = [None] * len(matchers)

    def __call__(self, input_ids, scores):
        import numpy as np
        import torch

        vocab = scores.shape[-1]
        for i, m in enumerate(self.matchers):
            if m is None:
                continue
            if input_ids.shape[1] > self.prompt_len:
                tok = int(input_ids[i, -1])
                if not m.is_stopped() and self.errors[i] is None and tok not in self.eos_ids:
                    if not m.consume_token(tok):
                        self.errors[i] = f"grammar rejected token {tok}: {m.get_error()}"
            if m.is_stopped() or m.is_error() or self.errors[i] is not None:
                allowed = torch.zeros(vocab, dtype=torch.bool)
                allowed[self.eos_ids] = True
            else:
                bits = np.frombuffer(m.compute_bitmask(), dtype=np.uint8)
                mask = np.unpackbits(bits, bitorder="little")[:vocab].astype(bool)
                allowed = torch.zeros(vocab, dtype=torch.bool)
                allowed[: len(mask)] = torch.from_numpy(mask)
                if not allowed.any():
                    allowed[self.eos_ids] = True
            scores[i, ~allowed.to(scores.device)] = float("-inf")
        return scores


class TransformersBackend:
    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        gguf_file: str | None = None,
        model: Any = None,
        tokenizer: Any = None,
        model_id: str | None = None,
        device: str = "cpu",
        dtype: str = "float32",
        batch_size: int = 4,
        few_shot: bool = True,
    ):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if model is None or tokenizer is None:
            if model_path is None:
                raise BackendError("transformers backend: set llm.model_path (a model directory) or pass a model")
            path = Path(model_path)
            if not path.exists():
                raise BackendError(f"transformers backend: model path not found: {path}")
            if gguf_file and not (path / gguf_file).is_file():
                raise BackendError(f"transformers backend: GGUF file not found: {path / gguf_file}")
            kw: dict[str, Any] = {"gguf_file": gguf_file} if gguf_file else {}
            try:
                tokenizer = AutoTokenizer.from_pretrained(str(path), **kw)
                model = AutoModelForCausalLM.from_pretrained(str(path), dtype=getattr(torch, dtype), **kw)
            except (OSError, ValueError) as e:
                raise BackendError(f"transformers backend: cannot load model from {path}: {e}") from e
        self.model = model.to(device).eval()
        self.tokenizer = tokenizer
        self.device = device
        self.batch_size = max(1, batch_size)
        self.model_id = model_id or (f"{Path(model_path).name}/{gguf_file}" if gguf_file else str(model_path or "model"))
        if getattr(tokenizer, "chat_template", None) is None:
            tokenizer.chat_template = FALLBACK_CHAT_TEMPLATE
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        tokenizer.padding_side = "left"
        eos = model.generation_config.eos_token_id if model.generation_config is not None else None
        eos = eos if eos is not None else tokenizer.eos_token_id
        self.eos_ids = sorted({e for e in (eos if isinstance(eos, list) else [eos]) if e is not None})
        self._lltok = None
        self._grammars: dict[str, str] = {}

    # --------------------------------------------------------------------------------------------- helpers

    def _ll_tokenizer(self):
        if self._lltok is None:
            import llguidance.hf

            n_vocab = self.model.get_output_embeddings().weight.shape[0]
            self._lltok = llguidance.hf.from_tokenizer(self.tokenizer, n_vocab=n_vocab, eos_token=self.eos_ids[0])
        return self._lltok

    def _matcher(self, schema: dict | None):
        if schema is None:
            return None
        from llguidance import LLMatcher

        key = json.dumps(schema, sort_keys=True)
        if key not in self._grammars:
            self._grammars[key] = grammar_for(schema)
        m = LLMatcher(self._ll_tokenizer(), self._grammars[key], log_level=0)
        if m.is_error():
            raise BackendError(f"transformers backend: schema does not compile to a grammar: {m.get_error()}")
        return m

    def prompt_text(self, messages: list[dict[str, str]]) -> str:
        return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    # --------------------------------------------------------------------------------------------- generate

    def generate(self, requests: list[ChatRequest]) -> list[Completion]:
        out: list[Completion] = []
        for i in range(0, len(requests), self.batch_size):
            batch = requests[i : i + self.batch_size]
            try:
                out.extend(self._generate_batch(batch))
            except BackendError:
                raise
            except Exception as e:  # noqa: BLE001 - one failing batch (OOM, bad input) is reported per request
                out.extend(Completion(text="", finish_reason="error", error=f"{type(e).__name__}: {e}") for _ in batch)
        return out

    def _generate_batch(self, batch: list[ChatRequest]) -> list[Completion]:
        import torch

        texts = [self.prompt_text(r.messages) for r in batch]
        enc = self.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(self.device)
        prompt_len = enc["input_ids"].shape[1]
        matchers = [self._matcher(r.schema) for r in batch]
        proc = _GuidanceProcessor(matchers, self.eos_ids, prompt_len)
        max_new = max(r.max_tokens for r in batch)
        temp = max(r.temperature for r in batch)
        sample = {"do_sample": True, "temperature": temp} if temp > 0 else {"do_sample": False}
        with torch.inference_mode():
            gen = self.model.generate(
                **enc,
                max_new_tokens=max_new,
                logits_processor=[proc],
                pad_token_id=self.tokenizer.pad_token_id,
                eos_token_id=self.eos_ids,
                **sample,
            )
        results = []
        for i, r in enumerate(batch):
            ids = gen[i, prompt_len:].tolist()
            n = len(ids)
            for j, t in enumerate(ids):
                if t in self.eos_ids:
                    n = j
                    break
            finished = n < len(ids) and n <= r.max_tokens  # an EOS was generated (the grammar forces it when done)
            ids = ids[: min(n, r.max_tokens)]
            text = self.tokenizer.decode(ids, skip_special_tokens=True)
            c = Completion(
                text=text,
                finish_reason="stop" if finished else "length",
                error=proc.errors[i],
                prompt_tokens=int(enc["attention_mask"][i].sum()),
                completion_tokens=len(ids),
            )
            results.append(check_json(c) if r.schema is not None else c)
        return results
