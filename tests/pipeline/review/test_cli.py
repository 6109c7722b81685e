"""`matlit review import | adduser | export` through the real CLI on a real work dir."""

import json
import shutil

from sqlalchemy import select
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import load_config
from pipeline.review.store import db_url_for, get_engine, items, users


def flat(r) -> str:
    """The command's output with rich's line wrapping undone."""
    return " ".join(r.output.split())


def test_import_adduser_export(review_work, tmp_path):
    work = tmp_path / "work"
    shutil.copytree(review_work, work)
    run = CliRunner()
    r = run.invoke(app, ["review", "import", "-w", str(work)])
    assert r.exit_code == 0, r.output
    assert "imported 6 records of 2 papers; 6 queued" in flat(r)
    r = run.invoke(app, ["review", "import", "-w", str(work)])  # re-import: nothing duplicated
    assert r.exit_code == 0 and "6 open ones refreshed" in flat(r)
    r = run.invoke(app, ["review", "adduser", "ann", "--role", "admin", "-w", str(work)],
                   env={"MATLIT_REVIEW_PASSWORD": "long enough pw"})
    assert r.exit_code == 0, r.output
    r = run.invoke(app, ["review", "adduser", "x y", "-w", str(work)], env={"MATLIT_REVIEW_PASSWORD": "long enough pw"})
    assert r.exit_code == 2 and "user name 'x y'" in flat(r)
    r = run.invoke(app, ["review", "adduser", "bob", "-w", str(work)], env={"MATLIT_REVIEW_PASSWORD": "short"})
    assert r.exit_code == 2 and "at least 8 characters" in flat(r)
    cfg = load_config(overrides={"work_dir": work})
    eng = get_engine(db_url_for(cfg))
    with eng.connect() as c:
        assert c.execute(select(items.c.record_id)).all().__len__() == 6
        [(name, role, pw)] = c.execute(select(users.c.username, users.c.role, users.c.pw_hash)).all()
    assert (name, role) == ("ann", "admin") and pw.startswith("$argon2id$") and "long enough" not in pw
    r = run.invoke(app, ["review", "export", "-w", str(work)])
    assert r.exit_code == 0 and "wrote 0 examples" in flat(r)
    assert (work / "review" / "finetune.jsonl").read_text() == ""


def test_import_without_records_says_so(tmp_path):
    r = CliRunner().invoke(app, ["review", "import", "-w", str(tmp_path / "empty")])
    assert r.exit_code == 2 and "no records to import" in flat(r)
    r = CliRunner().invoke(app, ["review", "export", "-w", str(tmp_path / "empty")])
    assert r.exit_code == 2 and "no review DB" in flat(r)


def test_queue_file_from_the_score_stage_sets_the_queue(review_work, tmp_path):
    work = tmp_path / "work"
    shutil.copytree(review_work, work)
    recs = [json.loads(line) for p in sorted((work / "records").glob("*.jsonl")) for line in p.read_text().splitlines()]
    (work / "review").mkdir()
    (work / "review" / "queue.jsonl").write_text(
        json.dumps({"record_id": recs[0]["record_id"], "paper_id": recs[0]["paper_id"], "priority": 2.0,
                    "reasons": ["low score"]}) + "\n"
        + json.dumps({"record_id": recs[1]["record_id"], "paper_id": recs[1]["paper_id"], "priority": 5.0,
                      "reasons": ["disagreement"]}) + "\n")
    r = CliRunner().invoke(app, ["review", "import", "-w", str(work)])
    assert r.exit_code == 0 and "6 records of 2 papers; 2 queued" in flat(r)
    eng = get_engine(db_url_for(load_config(overrides={"work_dir": work})))
    with eng.connect() as c:
        q = c.execute(select(items.c.record_id, items.c.reasons).where(items.c.priority.is_not(None))
                      .order_by(items.c.priority.desc())).all()
    assert [x.record_id for x in q] == [recs[1]["record_id"], recs[0]["record_id"]]
    assert json.loads(q[0].reasons) == ["disagreement"]
    (work / "review" / "queue.jsonl").write_text("{not json\n")
    r = CliRunner().invoke(app, ["review", "import", "-w", str(work)])
    assert r.exit_code == 2 and "queue.jsonl:1: not a queue entry" in flat(r)


def test_import_names_a_corrupt_records_file(review_work, tmp_path):
    work = tmp_path / "work"
    shutil.copytree(review_work, work)
    bad = sorted((work / "records").glob("*.jsonl"))[0]
    bad.write_text(bad.read_text() + '{"record_id": "x", "truncated\n')
    r = CliRunner().invoke(app, ["review", "import", "-w", str(work)])
    assert r.exit_code == 2 and f"{bad}: not valid records" in flat(r)
