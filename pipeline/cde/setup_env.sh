#!/usr/bin/env bash
# Build .venv-cde: chemdataextractor2 in its own environment (it pins numpy<2, scipy<1.13, transformers<5,
# which the main .venv must not get). Idempotent: a stamp file records what was installed; rerun to repair.
# Usage (from anywhere): bash pipeline/cde/setup_env.sh   (make cde-env)
# Env: PYTHON (default python3), CDE_VENV (default .venv-cde, relative to the repo root).
set -euo pipefail

CDE_VERSION=2.4.1
TORCH_VERSION=2.13.0  # the CPU wheel on disk; letting torch float pulls several GB of CUDA wheels
PYTHON=${PYTHON:-python3}

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
VENV=${CDE_VENV:-.venv-cde}
STAMP=$VENV/.stamp-cde
WANT="chemdataextractor2==$CDE_VERSION torch==$TORCH_VERSION"

if [[ -f $STAMP && "$(cat "$STAMP")" == "$WANT" && -x $VENV/bin/python ]]; then
    echo "$VENV is up to date ($WANT)"
    exit 0
fi

start=$(date +%s)
test -x "$VENV/bin/python" || "$PYTHON" -m venv "$VENV"
printf 'torch==%s\nchemdataextractor2==%s\n' "$TORCH_VERSION" "$CDE_VERSION" > "$VENV/constraints.txt"
"$VENV/bin/python" -m pip install -q --upgrade pip
echo "installing torch==$TORCH_VERSION (CPU) first"
"$VENV/bin/python" -m pip install -q "torch==$TORCH_VERSION"
echo "installing chemdataextractor2==$CDE_VERSION"
"$VENV/bin/python" -m pip install -q -c "$VENV/constraints.txt" "chemdataextractor2==$CDE_VERSION"
# do not import chemdataextractor here: its import tries to download models
"$VENV/bin/python" - <<'PY'
from importlib.metadata import version
print("chemdataextractor2", version("chemdataextractor2"), "torch", version("torch"), "numpy", version("numpy"))
PY
echo "$WANT" > "$STAMP"
echo "$VENV ready in $(( $(date +%s) - start )) s, $(du -sh "$VENV" | cut -f1)"
echo "CDE models are not included (CDE downloads them itself, which fails offline): see pipeline/cde/__init__.py"
