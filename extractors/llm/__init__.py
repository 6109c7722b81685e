"""LLM extraction: versioned prompts (prompts/*.yaml), backends (transformers + llguidance, vLLM, OpenAI-compatible
HTTP) behind one interface, grounding of every value/unit/material in the source text, and the `llm` extractor.

Heavy libraries (torch, transformers, llguidance, httpx, vllm) are imported inside functions.
"""
