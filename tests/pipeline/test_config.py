"""Config precedence: defaults < YAML < env MATLIT_* < flags; bad files give clear errors."""

import pytest

from pipeline.config import Config, load_config
from pipeline.errors import ConfigError


def test_defaults_work():
    cfg = Config()
    assert cfg.runner.executor == "local" and cfg.parse.backend == "pymupdf" and str(cfg.work_dir) == "work"


def test_yaml_env_and_flags_precedence(tmp_path, monkeypatch):
    f = tmp_path / "c.yaml"
    f.write_text("work_dir: /tmp/a\nparse:\n  ocr: never\n  tables: true\nrunner:\n  tasks: 4\n  workers: 2\n")
    monkeypatch.setenv("MATLIT_PARSE__TABLES", "false")
    monkeypatch.setenv("MATLIT_RUNNER__WORKERS", "3")
    cfg = load_config(f, {"runner.workers": 1})
    assert str(cfg.work_dir) == "/tmp/a"
    assert cfg.parse.ocr == "never"  # from YAML
    assert cfg.parse.tables is False  # env beats YAML
    assert cfg.runner.tasks == 4  # YAML, nested merge keeps siblings
    assert cfg.runner.workers == 1  # flag beats env


def test_bad_yaml_names_the_file(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("parse: [unclosed\n")
    with pytest.raises(ConfigError, match="bad.yaml"):
        load_config(f)


def test_unknown_key_is_an_error(tmp_path):
    f = tmp_path / "typo.yaml"
    f.write_text("parse:\n  tabels: false\n")
    with pytest.raises(ConfigError, match="tabels"):
        load_config(f)


def test_missing_file():
    with pytest.raises(ConfigError, match="not found"):
        load_config("/nonexistent/matlit.yaml")


def test_resolved_config_round_trips(tmp_path):
    cfg = load_config(None, {"parse.tables": False, "fetch.dois": ["10.1/x"]})
    f = tmp_path / "resolved.yaml"
    f.write_text(cfg.to_yaml())
    again = load_config(f)
    assert again.model_dump() == cfg.model_dump()
