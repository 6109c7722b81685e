"""LLM plumbing on the pipeline side: backend construction from config, the on-disk response cache, the
OpenAI-compatible server (`matlit llm serve`) and the throughput benchmark (`matlit llm bench`)."""
