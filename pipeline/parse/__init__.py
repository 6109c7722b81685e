"""Parse stage: papers (PDF, JATS XML, GROBID TEI) -> ParsedDocument.

    stage.py      ParseStage: dispatch by media type and backend, add sentences, write atomically
    pdf.py        PyMuPDF: page loop, block kinds, sections, captions <-> figures/tables, output
    layout.py     text cleanup, running headers/footers, reading order (XY-cut), paragraphs, dehyphenation
    figures.py    caption labels, graphics clustering, figure regions and figure text
    pdf_meta.py   DOI, arXiv id, licence, journal, year from the first page
    tables.py     PyMuPDF find_tables -> Table cells with bboxes and header rows
    ocr.py        rapidocr fallback for pages without a text layer
    sentences.py  spaCy blank("en") tokenizer + sentence-boundary rules; char spans and page boxes per sentence
    nogc.py       cyclic GC paused while one document is built (it found nothing and cost ~45 % of parse CPU)
    jats.py       JATS XML (PMC) -> ParsedDocument
    tei.py        GROBID TEI -> ParsedDocument;  grobid.py  client for a GROBID server
"""
