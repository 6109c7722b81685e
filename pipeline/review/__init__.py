"""The curators' review app: queue import, FastAPI server, decisions flowing back (`matlit review ...`).

store.py      SQLAlchemy tables (users, sessions, items, decisions, audit) and the engine
decisions.py  latest_decisions(cfg), apply_decision(record, decision): the contract the shard stage uses
"""
