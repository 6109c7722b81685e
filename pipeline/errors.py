"""Errors that say what the runner should do with them.

`PaperError` and its subclasses: record the paper as failed with this reason and go on with the batch.
`RetryableError`: a transient fault (network); the stage may retry before giving up.
Anything else raised inside a stage is also recorded per paper (class name + message); only errors raised
outside a paper's processing (bad config, unwritable work dir) abort the run.
"""


class MatlitError(Exception):
    """Base of matlit's own errors."""


class ConfigError(MatlitError):
    """The configuration is invalid: abort before any work."""


class PaperError(MatlitError):
    """This paper cannot go through this stage; record it and continue."""


class BadInputError(PaperError):
    """The input file is not what it claims (not a PDF, truncated, encrypted, malformed XML...)."""


class TooLargeError(PaperError):
    """The input exceeds a configured limit (bytes, pages, pixels)."""


class PaperTimeoutError(PaperError):
    """The paper took longer than the per-paper time limit."""


class MemoryLimitError(PaperError):
    """The worker's memory went over the per-paper limit while processing this paper."""


class RetryableError(MatlitError):
    """A transient fault: retry with backoff."""


class FetchError(PaperError):
    """A source could not be fetched (after retries) or was rejected (not a PDF, not allowed)."""
