"""Extractors: ParsedDocument in, candidate Records out. Imports only `schemas`."""
