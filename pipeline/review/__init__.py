"""The curators' review app: queue import, FastAPI server, decisions flowing back (`matlit review ...`).

store.py      SQLAlchemy tables (users, assignments, sessions, papers, items, item_flags, item_docs, decisions, audit,
              login_failures) and the engine (SQLite WAL + BEGIN IMMEDIATE writes, or any SQLAlchemy URL)
decisions.py  latest_decisions(cfg), apply_decision(record, decision): the contract the shard stage uses
importer.py   `matlit review import`: records + work/review/queue.jsonl into the DB, with each record's context
auth.py       argon2id accounts, server-side sessions, CSRF tokens, login rate limiting, paper visibility
service.py    queue pages (keyset), record neighbours, other sources of the same fact, decisions with versions
app.py        FastAPI routes + Jinja2 templates (templates/) + vendored htmx (static/)
pages.py      page images rendered by PyMuPDF, cached under work/review/pages/
export.py     `matlit review export`: curated records as fine-tuning data
gold.py       curated records as extra gold for `matlit eval --corpus curated`
bench.py      the 100k-queue request benchmark of `make bench`
cli.py        the `matlit review` commands
"""
