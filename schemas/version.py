"""Schema version: bump the minor part for additive changes, the major part for breaking ones."""

SCHEMA_VERSION = "1.0"
