"""ChemDataExtractor worker: runs INSIDE .venv-cde. Imports only the stdlib and chemdataextractor (no matlit code).

Protocol, JSON lines in UTF-8 (started by pipeline.cde.CdeExtractor):
  first stdout line: {"ready": true, "cde_version": "2.4.1", "data_dir": "..."}
                  or {"fatal": "clear message"} and exit code 3 (import error, missing models, failed warm-up)
  then, per stdin line {"id": ..., "text": ...}, one stdout line {"id": ..., "records": [...], "error": null | "..."}
records are CDE's own serialization, one {ModelName: fields} per record, e.g.
  {"BandGap": {"specifier": "band gap", "raw_value": "3.2", "raw_units": "eV", "value": [3.2],
               "units": "ElectronVolt^(1.0)", "compound": {"Compound": {"names": ["TiO2"]}}}}
Only protocol lines go to stdout: CDE's own prints and spinners are sent to stderr.

CDE never downloads here: a model it asks for that is not on disk is a fatal error naming it and where it was looked
for. Environment: MATLIT_CDE_DATA = CDE's data directory (the folder holding models/), overriding CDE's config;
STANZA_RESOURCES_DIR = stanza's model directory (stanza's own variable); HF_HUB_OFFLINE defaults to 1 here
(transformers reads its local cache only; set HF_HUB_OFFLINE=0 to let it fetch).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import traceback

FATAL_EXIT = 3
WARMUP = "The band gap of TiO2 is 3.2 eV."
HOSTS = "data.chemdataextractor.org and cdemodels.blob.core.windows.net"
STANZA = "stanza English models"


class Fatal(Exception):
    pass


class MissingData(Exception):
    def __init__(self, path: str, full_path: str):
        super().__init__(path)
        self.path = path
        self.full_path = full_path


def protocol_stream():
    """A private copy of stdout for protocol lines; fd 1 and sys.stdout then point at stderr."""
    out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    sys.stdout.flush()
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return out


def send(out, obj) -> None:
    out.write(json.dumps(obj, ensure_ascii=True, default=str) + "\n")
    out.flush()


def stanza_dir() -> str:
    try:
        from stanza.resources.common import DEFAULT_MODEL_DIR

        return DEFAULT_MODEL_DIR
    except Exception:  # noqa: BLE001 - only used in messages
        return "$STANZA_RESOURCES_DIR or ~/.cache/stanza/<version>/resources"


def missing_message(err: MissingData, data_dir: str, config_path: str, absent: list[str], total: int) -> str:
    if err.path == STANZA:
        return (
            f"stanza English models missing: CDE builds a stanza pipeline at import and found none in {err.full_path}. "
            "Get it online with `.venv-cde/bin/python -c \"import stanza; stanza.download('en')\"` and copy that "
            "directory here; STANZA_RESOURCES_DIR points stanza at another directory."
        )
    others = [p for p in absent if p != err.path]
    text = (
        f"ChemDataExtractor model data missing: {err.path} is not in {data_dir} (looked for {err.full_path}). "
        f"CDE downloads its models on first use from {HOSTS}, which cannot be reached from here. "
        "To use CDE: on a machine with internet run `.venv-cde/bin/cde data download` (it fills the directory that "
        "`cde data where` prints, ~/.local/share/ChemDataExtractor by default), copy that directory here and point "
        "matlit at it with MATLIT_CDE_DATA=/path/to/ChemDataExtractor (the folder that holds models/), or set "
        f"`data_dir:` in CDE's config file {config_path} (CHEMDATAEXTRACTOR_CONFIG moves that file). "
        f"CDE also needs stanza's English models in {stanza_dir()} (STANZA_RESOURCES_DIR) "
        "and may need its BERT's base config in the Hugging Face cache."
    )
    if others:
        shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
        text += f" {len(others)} more of CDE's {total} data packages are absent there too ({shown})."
    return text


def load_cde():
    """Import chemdataextractor with downloads off; returns (Document, Paragraph, models, info) or raises Fatal."""
    spec = importlib.util.find_spec("chemdataextractor")
    if spec is None:
        raise Fatal(f"chemdataextractor is not installed for {sys.executable}: run `make cde-env`")
    # Load chemdataextractor.data before the package's __init__ runs (that __init__ already needs models), so that
    # nothing is downloaded and a missing model raises MissingData naming it.
    pkg = importlib.util.module_from_spec(spec)
    sys.modules["chemdataextractor"] = pkg
    try:
        data = importlib.import_module("chemdataextractor.data")
    except Exception as e:  # noqa: BLE001
        raise Fatal(f"cannot import chemdataextractor: {type(e).__name__}: {e}") from e
    data.AUTO_DOWNLOAD = False
    if os.environ.get("MATLIT_CDE_DATA"):
        override = os.path.abspath(os.path.expanduser(os.environ["MATLIT_CDE_DATA"]))
        data.get_data_dir = lambda: override
    data_dir = data.get_data_dir()
    real_find_data = data.find_data

    def find_data(path, warn=True, get_data=True):
        full = real_find_data(path, warn=False, get_data=False)
        if get_data and not os.path.exists(full):
            raise MissingData(path, full)
        return full

    data.find_data = find_data  # modules import it by name: they get this one
    absent = [p.path for p in data.PACKAGES if not os.path.exists(os.path.join(data_dir, p.path))]
    config_path = data.config.path
    no_stanza_download()
    try:
        spec.loader.exec_module(pkg)
        models = cde_models()
        from chemdataextractor.doc import Document, Paragraph

        run(Document, Paragraph, models, WARMUP)  # loads the models CDE only loads on first use
    except MissingData as e:
        raise Fatal(missing_message(e, data_dir, config_path, absent, len(data.PACKAGES))) from e
    except Exception as e:  # noqa: BLE001
        raise Fatal(
            f"chemdataextractor failed to start ({type(e).__name__}: {e}); data dir {data_dir}, "
            f"stanza dir {stanza_dir()}. Last frames: {' | '.join(traceback.format_exc().splitlines()[-6:])}"
        ) from e
    info = {"cde_version": version("chemdataextractor2"), "data_dir": data_dir}
    return Document, Paragraph, models, info


def no_stanza_download() -> None:
    """stanza.Pipeline fetches resources.json on every start by default, and CDE calls stanza.download when the
    pipeline fails: use what is on disk only, and turn a download into MissingData naming stanza's directory."""
    try:
        import stanza
        from stanza.pipeline.core import DownloadMethod
    except Exception:  # noqa: BLE001 - CDE's own import will report it
        return
    base = stanza.Pipeline

    class Pipeline(base):
        def __init__(self, *args, **kwargs):
            kwargs.setdefault("download_method", DownloadMethod.NONE)
            super().__init__(*args, **kwargs)

    def download(*args, **kwargs):
        raise MissingData(STANZA, kwargs.get("model_dir") or stanza_dir())

    stanza.Pipeline = Pipeline
    stanza.download = download


def cde_models() -> list:
    """CDE's compound model, its built-in property models useful for materials, and a band gap model."""
    from chemdataextractor.model import (
        Compound,
        CurieTemperature,
        GlassTransition,
        MeltingPoint,
        ModelType,
        NeelTemperature,
        StringType,
    )
    from chemdataextractor.model.units import EnergyModel
    from chemdataextractor.parse import I, R, join

    class BandGap(EnergyModel):
        specifier = StringType(
            parse_expression=((I("band") + R("^gaps?$")) | R("^band-?gaps?$", re.I) | R("^E[gG]$")).add_action(join),
            required=True,
            contextual=False,
            updatable=False,
        )
        compound = ModelType(Compound, required=False, contextual=False)

    return [Compound, BandGap, MeltingPoint, GlassTransition, CurieTemperature, NeelTemperature]


def run(Document, Paragraph, models, text: str) -> list[dict]:
    doc = Document(Paragraph(text))
    doc.models = models
    return [r.serialize(primitive=True) for r in doc.records]


def version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as v

    try:
        return v(dist)
    except PackageNotFoundError:
        return "unknown"


def main() -> int:
    out = protocol_stream()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # transformers: the local cache only, no hub requests
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    scratch = tempfile.mkdtemp(prefix="matlit-cde-")
    os.chdir(scratch)  # CDE's import truncates ./log.txt: keep it out of the caller's directory
    try:
        try:
            Document, Paragraph, models, info = load_cde()
        except Fatal as e:
            send(out, {"fatal": str(e)})
            return FATAL_EXIT
        send(out, {"ready": True, **info})
        stdin = open(sys.stdin.fileno(), encoding="utf-8", closefd=False)
        for line in stdin:
            if not line.strip():
                continue
            item_id = None
            try:
                item = json.loads(line)
                item_id = item["id"]
                records = run(Document, Paragraph, models, str(item["text"]))
                send(out, {"id": item_id, "records": records, "error": None})
            except MissingData as e:
                send(out, {"fatal": f"ChemDataExtractor model data missing: {e.path} (looked for {e.full_path})"})
                return FATAL_EXIT
            except Exception as e:  # noqa: BLE001 - one bad text must not stop the worker
                send(out, {"id": item_id, "records": [], "error": f"{type(e).__name__}: {e}"})
        return 0
    finally:
        os.chdir(tempfile.gettempdir())
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
