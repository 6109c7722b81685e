"""The import layers hold: pipeline -> extractors -> schemas, and schemas imports no project code."""

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_import_linter_contracts_are_kept():
    exe = Path(sys.executable).parent / "lint-imports"
    cmd = [str(exe)] if exe.exists() else [shutil.which("lint-imports")]
    r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 kept, 0 broken" in r.stdout
