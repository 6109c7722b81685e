"""ParseStage: one paper in (work/papers/<id>.json + its file), one ParsedDocument out (work/parsed/<id>.json)."""

from __future__ import annotations

from pipeline.errors import BadInputError
from pipeline.runner import Stage
from pipeline.workdir import WorkDir, atomic_write_model
from schemas import ParsedDocument


def parse_paper(wd: WorkDir, paper_id: str, cfg) -> ParsedDocument:
    """Parse one fetched paper with the configured backend (cfg is the whole Config)."""
    paper = wd.load_paper(paper_id)
    path = wd.paper_file(paper)
    if not path.exists():
        raise BadInputError(f"{paper.source}: fetched file is missing from the work dir ({path})")
    pc = cfg.parse
    if paper.media_type == "pdf":
        if pc.backend == "grobid":
            from pipeline.parse.grobid import parse_pdf_with_grobid

            doc = parse_pdf_with_grobid(path, paper_id, pc)
        else:
            from pipeline.parse.pdf import parse_pdf

            doc = parse_pdf(path, paper_id, pc)
    elif paper.media_type == "jats":
        from pipeline.parse.jats import parse_jats

        doc = parse_jats(path, paper_id)
    elif paper.media_type == "tei":
        from pipeline.parse.tei import parse_tei

        doc = parse_tei(path, paper_id)
    else:  # pragma: no cover - the Paper model forbids other values
        raise BadInputError(f"{paper.source}: unknown media type {paper.media_type!r}")
    from pipeline.parse.sentences import add_sentences

    add_sentences(doc)
    # fetch-time metadata fills what the file itself did not say
    md = doc.metadata
    md.doi = md.doi or paper.doi
    md.arxiv_id = md.arxiv_id or paper.arxiv_id
    md.title = md.title or paper.title
    md.licence = md.licence or paper.licence
    return doc


class ParseStage(Stage):
    name = "parse"

    def work_items(self, wd: WorkDir) -> list[str]:
        return wd.paper_ids()

    def process(self, wd: WorkDir, item: str) -> None:
        doc = parse_paper(wd, item, self.cfg)
        atomic_write_model(wd.parsed_json(item), doc)
