"""The prompts ship inside the wheel: a wheel installed into a fresh venv (no repo beside it) loads them."""

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.slow
def test_wheel_install_loads_prompts_without_the_repo(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w",
                    str(tmp_path / "dist"), str(ROOT)], check=True, capture_output=True, timeout=600)
    wheel = next((tmp_path / "dist").glob("matlit-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {Path(n).name for n in names if "/share/matlit/prompts/" in n}
    assert shipped >= {p.name for p in (ROOT / "prompts").glob("*.yaml")}, shipped

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    site = Path(subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # the dependencies come from this environment's site-packages (a plain path: its editable matlit hook stays off)
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps", str(wheel)],
                   check=True, capture_output=True, timeout=600)
    env = {k: v for k, v in os.environ.items() if k not in ("MATLIT_PROMPTS_DIR", "PYTHONPATH")}
    out = subprocess.run(
        [py, "-c", "from extractors.llm import prompts as p; import extractors; "
                   "print(extractors.__file__); print(p.prompts_dir()); "
                   "print(p.load_prompt('extract_paragraph').render(text='Eg = 3.2 eV').prompt_hash)"],
        cwd=tmp_path, env=env, check=True, capture_output=True, text=True, timeout=300).stdout.splitlines()
    assert str(venv) in out[0]  # the installed package, not the repo
    assert out[1] == str(venv / "share" / "matlit" / "prompts")
    assert len(out[2]) >= 12
