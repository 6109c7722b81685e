"""GPU throughput plan for the LLM extractor: papers/hour for a model on one GPU with vLLM.

Two parts:
- `workload(wd)`: what one paper costs, measured from a work dir's parsed papers with the real prompts: requests
  per paper (blocks the extractor would send), prompt tokens (of which the shared system + few-shot prefix, which
  vLLM's prefix cache computes once), and the response budget.
- `estimate(...)`: papers/hour from prefill and decode rates (assumptions stated, result marked "estimated");
  `measure_vllm(...)`: the real number on a GPU: vLLM with random weights of a real architecture (Llama-3-8B
  config, load_format="dummy": same FLOPs and memory traffic as the real model), the workload's real prompts,
  fixed output lengths (ignore_eos), optionally with the JSON-schema grammar on.

    matlit llm bench --work-dir work                 # workload + estimate (CPU)
    matlit llm bench --work-dir work --measure       # on a GPU machine with the gpu extra installed
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path

# Llama-3-8B architecture (config.json of meta-llama/Meta-Llama-3-8B): written locally, no hub access needed.
LLAMA3_8B_CONFIG = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "vocab_size": 128256,
    "max_position_embeddings": 8192,
    "rope_theta": 500000.0,
    "rms_norm_eps": 1e-5,
    "hidden_act": "silu",
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
    "bos_token_id": 0,
    "eos_token_id": 1,
}

# Assumptions for the estimate (one H100 SXM, bf16, vLLM >= 0.6 with continuous batching and prefix caching).
# Prefill: 8B params -> ~16 GFLOP/token; 989 TFLOPS dense bf16 at ~35-40 % MFU -> ~20-25k tokens/s; we use 20k.
# Decode: memory-bound; the vLLM v0.6 perf update (blog.vllm.ai/2024/09/05/perf-update.html, Llama 3 8B, 1xH100,
# ShareGPT) and common offline benchmarks put aggregate output at several thousand tokens/s; we use 5k.
ASSUMED_PREFILL_TOK_S = 20_000.0
ASSUMED_DECODE_TOK_S = 5_000.0


@dataclass
class Workload:
    papers: int
    requests_per_paper: float
    prompt_tokens_per_request: float
    prefix_tokens: float  # system + few-shot: identical for every request (prefix cache)
    output_tokens_per_request: float
    tokens_source: str  # "tokenizer:<name>" or "chars/4"

    @property
    def uncached_prompt_tokens_per_paper(self) -> float:
        return self.requests_per_paper * max(self.prompt_tokens_per_request - self.prefix_tokens, 0.0)


def workload(wd, llm_options=None, count_tokens=None, output_tokens: float = 150.0) -> Workload:
    """Requests and tokens per paper for the parsed papers in work dir `wd`, with the extractor's own selection."""
    from extractors.llm.extractor import LLMExtractor, LLMOptions, estimate_tokens

    class _NoBackend:
        model_id = "none"

        def generate(self, requests):  # pragma: no cover - never called: only requests_for is used
            raise RuntimeError("workload() sends nothing")

    opts = llm_options or LLMOptions(token_budget=None)
    ex = LLMExtractor(_NoBackend(), opts)
    count = count_tokens or (lambda messages: estimate_tokens(messages))
    ids = sorted(wd.done_ids("parse"))
    if not ids:
        raise ValueError(f"{wd.root}: no parsed papers (run `matlit run` first)")
    n_req, prompt_tokens = [], []
    for pid in ids:
        _, reqs, _ = ex.requests_for(wd.load_parsed(pid))
        n_req.append(len(reqs))
        prompt_tokens += [count(r.messages) for r in reqs]
    prefix_msgs = ex.paragraph_prompt.render(few_shot=opts.few_shot, text="").messages[:-1]
    return Workload(
        papers=len(ids),
        requests_per_paper=statistics.fmean(n_req),
        prompt_tokens_per_request=statistics.fmean(prompt_tokens) if prompt_tokens else 0.0,
        prefix_tokens=float(count(prefix_msgs)),
        output_tokens_per_request=output_tokens,
        tokens_source="chars/4" if count_tokens is None else "tokenizer",
    )


def estimate(w: Workload, prefill_tok_s: float = ASSUMED_PREFILL_TOK_S, decode_tok_s: float = ASSUMED_DECODE_TOK_S,
             prefix_cache: bool = True) -> dict:
    prompt = w.uncached_prompt_tokens_per_paper if prefix_cache else w.requests_per_paper * w.prompt_tokens_per_request
    out = w.requests_per_paper * w.output_tokens_per_request
    seconds = prompt / prefill_tok_s + out / decode_tok_s
    return {
        "kind": "estimated",
        "papers_per_hour": round(3600.0 / seconds) if seconds else None,
        "seconds_per_paper": round(seconds, 3),
        "prefill_tokens_per_paper": round(prompt),
        "output_tokens_per_paper": round(out),
        "assumed_prefill_tok_s": prefill_tok_s,
        "assumed_decode_tok_s": decode_tok_s,
        "prefix_cache": prefix_cache,
        "workload": asdict(w),
    }


def write_dummy_model(
    out_dir: Path, config: dict = LLAMA3_8B_CONFIG, tokenizer_texts: list[str] | None = None, vocab_size: int = 32000
) -> Path:
    """A model folder vLLM can load with load_format="dummy": the real architecture's config.json and a BPE
    tokenizer trained here on the workload's own text (no hub access on GPU machines)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<s>", "</s>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(tokenizer_texts or ["The band gap of GaN is 3.4 eV."], trainer)
    hf = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>")
    hf.chat_template = (
        "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}\n{% endfor %}"
        "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
    )
    hf.save_pretrained(out_dir)
    (out_dir / "config.json").write_text(json.dumps(config, indent=1))
    return out_dir


def measure_vllm(prompts: list[list[dict]], model_dir: Path, output_tokens: int = 150, structured_schema=None,
                 tensor_parallel_size: int = 1, max_model_len: int = 8192, prefix_caching: bool = True) -> dict:
    """Offline batch throughput with vLLM on this machine's GPU(s)."""
    from vllm import LLM, SamplingParams
    from vllm.sampling_params import StructuredOutputsParams

    from extractors.llm.backends.vllm import engine_kwargs

    llm = LLM(**engine_kwargs(str(model_dir), tensor_parallel_size=tensor_parallel_size, max_model_len=max_model_len,
                              enable_prefix_caching=prefix_caching, load_format="dummy", dtype="bfloat16"))
    kw = {"max_tokens": output_tokens, "temperature": 0.0, "ignore_eos": structured_schema is None}
    if structured_schema is not None:
        kw["structured_outputs"] = StructuredOutputsParams(json=structured_schema, disable_any_whitespace=True)
    params = SamplingParams(**kw)
    llm.chat(prompts[:8], params, use_tqdm=False)  # warm-up (CUDA graphs, grammar compile)
    t0 = time.perf_counter()
    outs = llm.chat(prompts, params, use_tqdm=False)
    dt = time.perf_counter() - t0
    n_in = sum(len(o.prompt_token_ids or []) for o in outs)
    n_out = sum(len(o.outputs[0].token_ids) for o in outs)
    return {"kind": "measured", "requests": len(prompts), "seconds": round(dt, 3), "requests_per_s": len(prompts) / dt,
            "prompt_tokens": n_in, "output_tokens": n_out, "output_tok_s": n_out / dt, "total_tok_s": (n_in + n_out) / dt}
