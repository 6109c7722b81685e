"""The `matlit` CLI on the bundled corpus: run, status, show, render, config."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pymupdf
import pytest

from tests.conftest import BUNDLED, REPO

SMALL = "10.1016_j.ssc.2016.12.016.pdf"


def matlit(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def parsed_work(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    src = root / "src"
    src.mkdir()
    shutil.copy(BUNDLED / SMALL, src / SMALL)
    work = root / "work"
    r = matlit("fetch", str(src), "--work-dir", str(work), "--no-progress")
    assert r.returncode == 0, r.stderr
    r = matlit("run", "--work-dir", str(work), "--no-progress")
    assert r.returncode == 0, r.stderr
    assert "parse" in r.stdout and "papers in" in r.stdout  # the summary table
    pid = next((work / "parsed").glob("*.json")).stem
    return work, pid


def test_status_counts_stages(parsed_work):
    work, pid = parsed_work
    r = matlit("status", "--work-dir", str(work))
    assert r.returncode == 0
    assert "parse" in r.stdout and "fetch" in r.stdout and "last run" in r.stdout


def test_show_prints_title_and_structure(parsed_work):
    work, pid = parsed_work
    r = matlit("show", pid[:8], "--work-dir", str(work))
    assert r.returncode == 0, r.stderr
    assert "graphene" in r.stdout.lower()
    assert "10.1016/j.ssc.2016.12.016" in r.stdout
    assert "tables" in r.stdout and "figures" in r.stdout


def test_show_unknown_paper_is_a_clear_error(parsed_work):
    work, _ = parsed_work
    r = matlit("show", "nosuchpaper", "--work-dir", str(work))
    assert r.returncode == 2 and "no paper 'nosuchpaper'" in r.stdout


def test_render_draws_the_parse_on_the_page(parsed_work, tmp_path):
    work, pid = parsed_work
    out = tmp_path / "p1.png"
    r = matlit("render", pid, "--page", "1", "-o", str(out), "--work-dir", str(work), "--dpi", "72")
    assert r.returncode == 0, r.stderr
    drawn = pymupdf.Pixmap(str(out))
    plain = pymupdf.open(BUNDLED / SMALL)[0].get_pixmap(dpi=72)
    assert (drawn.width, drawn.height) == (plain.width, plain.height)
    assert drawn.samples != plain.samples  # outlines were drawn
    r = matlit("render", pid, "--page", "99", "-o", str(out), "--work-dir", str(work))
    assert r.returncode == 2 and "out of range" in r.stdout


def test_config_prints_resolved_yaml(tmp_path):
    r = matlit("config", "-c", str(REPO / "data" / "corpus.yaml"))
    assert r.returncode == 0 and "stages:" in r.stdout and "data/papers" in r.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("runner:\n  workers: lots\n")
    r = matlit("config", "-c", str(bad))
    assert r.returncode == 2 and "bad.yaml" in r.stdout
