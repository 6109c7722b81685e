"""What a fetched file really is: a PDF (magic bytes), JATS or TEI XML (root element), or something else.

The checks return a short reason (or raise ValueError with one); callers prefix the file or URL.
"""

from __future__ import annotations

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

BOM = b"\xef\xbb\xbf"
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body")


def _head(data: bytes) -> bytes:
    """The first 1024 bytes without leading whitespace or a UTF-8 BOM."""
    head = data[:1024].lstrip()
    return head.removeprefix(BOM).lstrip()


def is_pdf(data: bytes) -> bool:
    return _head(data).startswith(b"%PDF-")


def pdf_looks_complete(data: bytes) -> bool:
    """A whole PDF ends with an %%EOF marker (tools may add a little trailing junk: look in the last 2 KB).

    Used on downloads, where a server that announces a wrong Content-Length hands over a cut-off file."""
    return b"%%EOF" in data[-2048:]


def looks_like_html(data: bytes) -> bool:
    low = _head(data).lower()
    return low.startswith(_HTML_STARTS) or b"<html" in low


def _hint(data: bytes) -> str | None:
    """What non-PDF bytes look like, for the error message."""
    head = _head(data)
    if looks_like_html(data):
        return "an HTML page"
    for start, what in (
        (b"<", "XML or markup"),
        (b"{", "JSON"),
        (b"PK\x03\x04", "a ZIP archive"),
        (b"\x1f\x8b", "gzip data"),
    ):
        if head.startswith(start):
            return what
    return None


def preview(data: bytes, n: int = 14) -> str:
    """The first printable characters of `data` (after whitespace/BOM), for error messages."""
    text = _head(data)[:n].decode("latin-1").split("\n")[0]
    return "".join(c if c.isprintable() else "." for c in text)


def pdf_problem(data: bytes) -> str | None:
    """None when `data` looks like a PDF, else why not ('not a PDF (starts with ...): looks like ...')."""
    if not data:
        return "empty file"
    if is_pdf(data):
        return None
    hint = _hint(data)
    return f"not a PDF (starts with {preview(data)!r})" + (f": looks like {hint}" if hint else "")


class _Root(Exception):
    pass


class _RootTarget:
    """Parser target that stops at the first start tag."""

    def start(self, tag, attrib):
        raise _Root(tag)

    def end(self, tag):
        pass

    def data(self, text):
        pass

    def close(self):
        return None


def xml_root(data: bytes) -> str:
    """Local name of the root element; ValueError when the XML is malformed or declares entities."""
    parser = SafeET.XMLParser(target=_RootTarget())
    try:
        parser.feed(data)
        parser.close()
    except _Root as r:
        tag = str(r.args[0])
        return tag.rsplit("}", 1)[-1]
    except DefusedXmlException as e:
        raise ValueError(f"XML refused for safety ({type(e).__name__})") from None
    except SafeET.ParseError as e:
        raise ValueError(f"not well-formed XML ({e})") from None
    raise ValueError("XML has no root element")


def xml_kind(data: bytes) -> str:
    """'jats' for an <article> root, 'tei' for <TEI>/<teiCorpus>; ValueError otherwise."""
    if not data.strip():
        raise ValueError("empty file")
    root = xml_root(data)
    if root == "article":
        return "jats"
    if root in ("TEI", "teiCorpus"):
        return "tei"
    hint = ": looks like an HTML page" if root.lower() == "html" else ""
    raise ValueError(f"not JATS or TEI XML (root element <{root}>){hint}")
