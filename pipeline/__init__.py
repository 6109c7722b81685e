"""matlit pipeline: stages, runner and CLI. The only package that knows the work dir and config files."""

__version__ = "0.1.0"
