"""Hostile corpus builder: bad, huge, odd and malicious inputs written into a directory, each with its expectation.

`build(directory)` writes every case (deterministic: seeded offsets, fixed bytes) and returns the `Case` list.
Most files are a few KB; the decompression bomb is ~1 MB on disk and inflates to 1 GiB; the huge JATS file is
20 MB and is generated on the fly. Expectations:

* `fail`: exactly one failure row, at `stage`, whose message matches `reason` (case-insensitive regex);
* `ok`: parsed (and extracted/normalized) with no failure row;
* `degraded`: parsed, with a parse warning matching `reason`;
* `fail_or_degraded`: either of the two, with `reason` matching the message or a warning (repairable damage,
  where the outcome depends on what MuPDF's repair recovers);
* `ok_or_timeout`: parsed and normalized, or one PaperTimeoutError row at one of the `stage`s (a regex) when the
  machine is too slow for the per-paper limit.

The encrypted cases are the only non-deterministic bytes (AES salt and IV are random); tests read paper ids from
the files written, never from a second build.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from pathlib import Path

import pymupdf

from tests.conftest import BUNDLED

SEED = 20261121
GOOD_PAPERS = sorted(BUNDLED.glob("*.pdf"))


@dataclass(frozen=True)
class Case:
    name: str
    file: str  # file name inside the corpus directory
    expect: str  # fail | ok | degraded | fail_or_degraded
    stage: str | None = None  # stage of the failure row (fail)
    reason: str | None = None  # regex, case-insensitive: the failure message or a parse warning


# ---------------------------------------------------------------- PDF helpers

LOREM = (
    "The critical temperature of MgB2 films is 39 K and the band gap of GaN is 3.4 eV at 300 K. "
    "Thin films were grown by pulsed laser deposition on SrTiO3 substrates at 750 C. "
)


def text_pdf(pages: int = 3, text: str = LOREM, **save) -> bytes:
    """A plain text PDF: `pages` pages of a few lines of text."""
    doc = pymupdf.open()
    for i in range(pages):
        page = doc.new_page()
        page.insert_textbox(pymupdf.Rect(72, 72, 520, 760), f"Section {i + 1}. " + text * 6, fontsize=11)
    data = doc.tobytes(no_new_id=True, **save)
    doc.close()
    return data


def raw_pdf(objects: list[bytes], root: int = 1, xref: bool = True, trailer_extra: bytes = b"") -> bytes:
    """Hand-written PDF bytes: objects numbered from 1, a classic xref table and trailer."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    start = len(out)
    if xref:
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        for off in offsets:
            out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root %d 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        root,
        trailer_extra,
        start,
    )
    return bytes(out)


def stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< %s /Length %d >>\nstream\n" % (dictionary, len(data)) + data + b"\nendstream"


def one_page_pdf(page_extra: bytes = b"", content: bytes = b"", extra_objects: list[bytes] = (), **kw) -> bytes:
    """Catalog (1), Pages (2), Page (3), content (4), font (5), then extra objects from 6."""
    text = b"BT /F1 12 Tf 72 720 Td (" + LOREM[:90].encode() + b") Tj ET\n" + content
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R %s>>" % kw.pop("catalog_extra", b""),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> %s>> >>" % page_extra,
        stream(b"", text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *extra_objects,
    ]
    return raw_pdf(objs, **kw)


def truncated(data: bytes, rng: random.Random, n: int) -> list[bytes]:
    """`n` prefixes of `data` cut at seeded offsets between 5% and 95% of its length."""
    return [data[: rng.randint(len(data) // 20, len(data) * 19 // 20)] for _ in range(n)]


def encrypted(user_pw: str) -> bytes:
    doc = pymupdf.open("pdf", text_pdf(1))
    data = doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="owner-secret", user_pw=user_pw)
    doc.close()
    return data


def many_pages(n: int) -> bytes:
    doc = pymupdf.open()
    for _ in range(n):
        doc.new_page()
    doc[0].insert_text((72, 72), "page one of many")
    data = doc.tobytes(garbage=1, deflate=True, no_new_id=True)
    doc.close()
    return data


def big_image_page() -> bytes:
    """One page showing a 10000 x 10000 1-bit image (100 megapixels, ~12 KB of Flate data)."""
    side = 10_000
    row = b"\x00" * (side // 8)
    comp = zlib.compressobj(9)
    data = b"".join(comp.compress(row) for _ in range(side)) + comp.flush()
    image = stream(
        b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 1 "
        b"/Filter /FlateDecode" % (side, side),
        data,
    )
    return one_page_pdf(b"/XObject << /Im1 6 0 R >>", b"q 400 0 0 400 100 100 cm /Im1 Do Q\n", [image])


def bomb() -> bytes:
    """A page whose content stream is ~1 MB of Flate data inflating to 1 GiB of spaces."""
    comp = zlib.compressobj(9)
    block = b" " * (1 << 20)
    data = b"".join(comp.compress(block) for _ in range(1024)) + comp.flush()
    contents = stream(b"/Filter /FlateDecode", data)
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        contents,
    ]
    return raw_pdf(objs)


def zero_pages() -> bytes:
    return raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])


def cyclic_pages() -> bytes:
    """The page tree's root lists itself as its own kid."""
    return raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>"])


def cyclic_refs() -> bytes:
    """A normal page whose resources hold a reference cycle (6 -> 7 -> 6) and a self-referencing object."""
    return one_page_pdf(
        b"/ExtGState << /G1 6 0 R >> /Properties << /P1 8 0 R >>",
        extra_objects=[b"<< /Type /ExtGState /Next 7 0 R >>", b"<< /Back 6 0 R >>", b"<< /Self 8 0 R >>"],
    )


def deep_nesting(depth: int = 50_000) -> bytes:
    """Arrays nested `depth` deep inside the page dictionary, and a 1,000-long chain of indirect references."""
    chain = [b"<< /Next %d 0 R >>" % (7 + i) for i in range(1000)] + [b"<< /End true >>"]
    return one_page_pdf(b"/Deep " + b"[" * depth + b"]" * depth + b" /Chain 6 0 R ", extra_objects=chain)


def garbage_xref(data: bytes) -> bytes:
    """The xref table replaced by garbage and startxref pointing into the middle of the file."""
    cut = data.rfind(b"xref\n")
    return data[:cut] + b"xref\n0 9999\nGARBAGE GARBAGE \x00\x01\x02\ntrailer\n<< /Size 3 >>\nstartxref\n77\n%%EOF\n"


def no_xref(data: bytes) -> bytes:
    cut = data.rfind(b"xref\n")
    return data[:cut] + b"%%EOF\n"


def javascript_pdf() -> bytes:
    js = b"<< /Type /Action /S /JavaScript /JS (app.alert\\('hostile'\\); this.exportDataObject\\({}\\);) >>"
    return one_page_pdf(catalog_extra=b"/OpenAction 6 0 R /Names << /JavaScript << /Names [(a) 6 0 R] >> >> ",
                        extra_objects=[js])


def launch_pdf() -> bytes:
    launch = b"<< /Type /Action /S /Launch /F (/bin/sh) /Win << /F (cmd.exe) /P (/c calc.exe) >> >>"
    annot = b"<< /Type /Annot /Subtype /Link /Rect [72 700 300 730] /A 6 0 R >>"
    return one_page_pdf(b"", extra_objects=[launch, annot], catalog_extra=b"/OpenAction 6 0 R ")


def blank_pdf() -> bytes:
    doc = pymupdf.open()
    doc.new_page()
    data = doc.tobytes(no_new_id=True)
    doc.close()
    return data


def cjk_pdf() -> bytes:
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 72), "二硼化镁薄膜的临界温度为39 K。", fontname="china-s", fontsize=14)
    page.insert_text((72, 100), "氮化镓的带隙为3.4 eV，在室温下测量。", fontname="china-s", fontsize=14)
    page.insert_text((72, 128), "超伝導体の臨界温度は93 Kである。", fontname="japan", fontsize=14)
    page.insert_text((72, 156), "The critical temperature of MgB2 is 39 K.", fontsize=11)
    data = doc.tobytes(garbage=1, deflate=True, no_new_id=True)
    doc.close()
    return data


def rtl_pdf() -> bytes:
    """Arabic and Hebrew through insert_htmlbox (MuPDF's HTML layout picks its bundled Noto fallback fonts)."""
    doc = pymupdf.open()
    page = doc.new_page()
    html = (
        '<p dir="rtl">درجة الحرارة الحرجة لـ MgB2 هي 39 كلفن.</p>'
        '<p dir="rtl">פער האנרגיה של GaN הוא 3.4 eV.</p>'
        "<p>The critical temperature of MgB2 is 39 K.</p>"
    )
    page.insert_htmlbox(pymupdf.Rect(72, 72, 520, 400), html)
    data = doc.tobytes(garbage=1, deflate=True, no_new_id=True)
    doc.close()
    return data


def scanned_pdf() -> bytes:
    """First page of a bundled paper as a grey image only: no text layer."""
    src = pymupdf.open(GOOD_PAPERS[0])
    pix = src[0].get_pixmap(dpi=100, colorspace=pymupdf.csGRAY)
    src.close()
    doc = pymupdf.open()
    page = doc.new_page(width=pix.width * 72 / 100, height=pix.height * 72 / 100)
    page.insert_image(page.rect, stream=pix.tobytes("png"))
    data = doc.tobytes(garbage=1, deflate=True, no_new_id=True)
    doc.close()
    return data


# ---------------------------------------------------------------- non-PDF bytes

HTML_PAYWALL = b"""<!DOCTYPE html>
<html><head><title>Access denied</title></head>
<body><h1>Purchase this article</h1><p>Log in through your institution to read the full text.</p></body></html>
"""


def zip_bytes() -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("paper.txt", "not a pdf")
    return buf.getvalue()


def png_bytes() -> bytes:
    return pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 8, 8), False).tobytes("png")


# ---------------------------------------------------------------- JATS

JATS_HEAD = (
    '<?xml version="1.0" encoding="{enc}"?>\n'
    '<article xmlns:xlink="http://www.w3.org/1999/xlink"><front><article-meta>'
    "<title-group><article-title>{title}</article-title></title-group></article-meta></front><body><sec>"
    "<title>Results</title>"
)
JATS_TAIL = "</sec></body></article>\n"


def jats(paragraphs: list[str], title: str = "Hostile JATS", enc: str = "UTF-8") -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (JATS_HEAD.format(enc=enc, title=title) + body + JATS_TAIL).encode(enc)


def huge_jats(megabytes: int = 20) -> bytes:
    """`megabytes` MB of paragraphs (each a few sentences with numbers)."""
    para = "<p>" + ("Sample %d was annealed for a while and we looked at it again without measuring anything. " * 4) + "</p>"
    head = JATS_HEAD.format(enc="UTF-8", title="Huge").encode()
    parts, size, i = [head], len(head), 0
    while size < megabytes * 2**20:
        chunk = (para % (i, i + 1, i + 2, i + 3)).encode()
        parts.append(chunk)
        size += len(chunk)
        i += 4
    parts.append(JATS_TAIL.encode())
    return b"".join(parts)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE article [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<article><body><p>&lol9;</p></body></article>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE article [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<article><body><p>&xxe;</p></body></article>
"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE article SYSTEM "http://127.0.0.1:9/evil.dtd">
<article><front><article-meta><title-group><article-title>External DTD</article-title></title-group>
</article-meta></front><body><p>The band gap of GaN is 3.4 eV.</p></body></article>
"""

PARAS = ["The critical temperature of MgB2 is 39 K.", "The band gap of GaN is 3.4 eV at 300 K."]


# ---------------------------------------------------------------- the corpus


def cases_and_bytes() -> list[tuple[Case, bytes]]:
    rng = random.Random(SEED)
    out: list[tuple[Case, bytes]] = []

    def add(case: Case, data: bytes) -> None:
        out.append((case, data))

    damaged = "damaged|truncated|zero pages|cannot be opened|no page could be read"
    base = text_pdf(3)
    for i, cut in enumerate(truncated(base, rng, 6)):
        add(Case(f"truncated-{i}", f"truncated_{i}.pdf", "fail_or_degraded", "parse", damaged), cut)
    compressed = text_pdf(3, garbage=3, deflate=True, use_objstms=1)
    for i, cut in enumerate(truncated(compressed, rng, 4)):
        add(Case(f"truncated-objstm-{i}", f"truncated_objstm_{i}.pdf", "fail_or_degraded", "parse", damaged), cut)
    add(Case("header-only", "header_only.pdf", "fail", "parse", damaged), b"%PDF-1.7\n")
    add(Case("encrypted-user-pw", "encrypted_user.pdf", "fail", "parse", r"encrypted.*password"), encrypted("user-pw"))
    add(Case("encrypted-owner-pw-only", "encrypted_owner.pdf", "ok"), encrypted(""))
    add(Case("zero-pages", "zero_pages.pdf", "fail", "parse", "zero pages"), zero_pages())
    add(Case("2000-pages", "pages_2000.pdf", "fail", "parse", r"2000 pages > max_pages"), many_pages(2000))
    add(Case("100-megapixel-image", "image_100mp.pdf", "ok"), big_image_page())
    add(Case("cyclic-page-tree", "cyclic_pages.pdf", "fail_or_degraded", "parse", damaged + "|cycle|page"),
        cyclic_pages())
    add(Case("cyclic-references", "cyclic_refs.pdf", "ok"), cyclic_refs())
    add(Case("deep-nesting", "deep_nesting.pdf", "degraded", "parse", "MuPDF could not read all"), deep_nesting())
    add(Case("flate-bomb", "flate_bomb.pdf", "degraded", "parse", "no text found on any page"), bomb())
    good = one_page_pdf()
    add(Case("garbage-xref", "garbage_xref.pdf", "degraded", "parse", "damaged"), garbage_xref(good))
    add(Case("missing-xref", "missing_xref.pdf", "degraded", "parse", "damaged"), no_xref(good))
    add(Case("xref-offsets-shifted", "xref_shifted.pdf", "degraded", "parse", "damaged"),
        good.replace(b"0000000", b"0000001", 3))
    add(Case("javascript-openaction", "javascript.pdf", "ok"), javascript_pdf())
    add(Case("launch-action", "launch.pdf", "ok"), launch_pdf())
    add(Case("zip-named-pdf", "zip.pdf", "fail", "fetch", r"not a PDF.*ZIP"), zip_bytes())
    add(Case("png-named-pdf", "png.pdf", "fail", "fetch", "not a PDF"), png_bytes())
    add(Case("random-bytes-named-pdf", "random.pdf", "fail", "fetch", "not a PDF"), rng.randbytes(4096))
    add(Case("gzip-named-pdf", "gzip.pdf", "fail", "fetch", r"not a PDF.*gzip"), b"\x1f\x8b\x08\x00" + rng.randbytes(200))
    add(Case("html-paywall-named-pdf", "paywall.pdf", "fail", "fetch", r"not a PDF.*HTML"), HTML_PAYWALL)
    add(Case("html-paywall-bom", "paywall_bom.pdf", "fail", "fetch", r"not a PDF.*HTML"),
        b"\xef\xbb\xbf  \n" + HTML_PAYWALL.replace(b"<!DOCTYPE html>\n", b""))
    add(Case("pdf-magic-late", "magic_late.pdf", "fail", "fetch", "not a PDF"), b"junk" * 300 + good)
    add(Case("empty-pdf", "empty.pdf", "fail", "fetch", "empty"), b"")
    add(Case("whitespace-pdf", "whitespace.pdf", "fail", "fetch", "not a PDF"), b" \n\t\n" * 10)
    add(Case("empty-xml", "empty.xml", "fail", "fetch", "empty"), b"")
    add(Case("whitespace-xml", "whitespace.xml", "fail", "fetch", "empty"), b"   \n\n")
    add(Case("cjk-text", "cjk.pdf", "ok"), cjk_pdf())
    add(Case("rtl-arabic-hebrew", "rtl.pdf", "ok"), rtl_pdf())
    add(Case("scanned-no-text-layer", "scanned.pdf", "degraded", "parse", "no text layer; OCR used"), scanned_pdf())
    add(Case("blank-page", "blank.pdf", "degraded", "parse", "no text found on any page"), blank_pdf())
    # JATS and friends
    add(Case("jats-ok", "ok.xml", "ok"), jats(PARAS))
    add(Case("jats-unclosed", "unclosed.xml", "fail", "parse", "malformed XML"), jats(PARAS)[:-30])
    add(Case("jats-mismatched-tags", "mismatched.xml", "fail", "parse", "malformed XML"),
        jats(PARAS).replace(b"</sec>", b"</section>"))
    add(Case("jats-garbage", "garbage.xml", "fail", "parse", "malformed XML"), b"<article><<<>>>&&&</article>")
    add(Case("jats-two-roots", "two_roots.xml", "fail", "parse", "malformed XML"), jats(PARAS) + b"<article/>")
    add(Case("jats-html-root", "html_root.xml", "fail", "fetch", r"not JATS.*HTML"),
        b"<html><body><p>Subscribe to read</p></body></html>")
    add(Case("jats-wrong-root", "wrong_root.xml", "fail", "fetch", r"not JATS or TEI XML \(root element <rss>"),
        b"<rss><channel/></rss>")
    add(Case("billion-laughs", "billion_laughs.xml", "fail", "fetch", "entit"), BILLION_LAUGHS)
    add(Case("external-entity", "xxe.xml", "fail", "fetch", "entit"), EXTERNAL_ENTITY)
    add(Case("external-dtd", "external_dtd.xml", "ok"), EXTERNAL_DTD)
    add(Case("latin1-declared", "latin1_declared.xml", "ok"),
        jats(PARAS + ["Résumé: Curie temperature of Fe is 1043 K (±2 K)."], title="Étude", enc="ISO-8859-1"))
    add(Case("latin1-undeclared", "latin1_undeclared.xml", "fail", "parse", "malformed XML"),
        jats(PARAS + ["Résumé: T = 1043 K."], title="Étude", enc="ISO-8859-1").replace(
            b'encoding="ISO-8859-1"', b'encoding="UTF-8"'))
    add(Case("utf16-bom", "utf16.xml", "ok"), b"\xff\xfe" + jats(PARAS, enc="UTF-16").decode("utf-16").encode(
        "utf-16-le"))
    add(Case("nul-bytes-xml", "nul.xml", "fail", "parse", "malformed XML"), jats(PARAS).replace(b"39 K", b"39\x00K"))
    add(Case("huge-jats-20mb", "huge.xml", "ok_or_timeout", "parse|extract", "per-paper limit"), huge_jats(20))
    return out


def build(directory: Path) -> list[Case]:
    """Write every hostile case into `directory` (created); returns the cases."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    cases = []
    for case, data in cases_and_bytes():
        (directory / case.file).write_bytes(data)
        cases.append(case)
    names = [c.file for c in cases]
    assert len(set(names)) == len(names), "two cases share a file name"
    return cases
