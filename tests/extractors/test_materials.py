"""extractors.materials: formula normalization, material mentions and document definitions — table-driven,
on real corpora (SuperMat, SOFC-Exp, band-gap gold, NERRE doping), and under adversarial input."""

from __future__ import annotations

import collections
import csv
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors.materials import DocumentMaterials, MaterialMention, find_materials, normalize_formula
from tests.conftest import shared_data

# ---------------------------------------------------------------------------------------------------- normalize_formula

# (raw, formula); reduced_formula must be pymatgen's reduced formula of it
NORMALIZE = [
    ("LiFePO4", "LiFePO4"),
    ("Ba0.5Sr0.5Co0.8Fe0.2O3", "Ba0.5Sr0.5Co0.8Fe0.2O3"),
    ("(CH3NH3)PbI3", "(CH3NH3)PbI3"),
    ("Ca9La(PO4)7", "Ca9La(PO4)7"),
    # unicode sub/superscripts, minus signs, spaced subscripts
    ("YBa₂Cu₃O₇", "YBa2Cu3O7"),
    ("HgBa 2 CuO 4", "HgBa2CuO4"),
    # oxygen non-stoichiometry is dropped to the nominal count
    ("YBa2Cu3O7−δ", "YBa2Cu3O7"),
    ("La0.6Sr0.4CoO3-δ", "La0.6Sr0.4CoO3"),
    ("YBa2Cu3O7-x", "YBa2Cu3O7"),
    ("HgBa2CuO4+δ", "HgBa2CuO4"),
    ("La0.8Sr0.2Ga0.8Mg0.2O3−d", "La0.8Sr0.2Ga0.8Mg0.2O3"),
    ("Fe1−xS", "FeS"),
    ("Li1+xAl0.3Ti1.7(PO4)3", "LiAl0.3Ti1.7(PO4)3"),
    # substitution variables: a value in the mention is substituted
    ("La2−xSrxCuO4 (x = 0.15)", "La1.85Sr0.15CuO4"),
    ("Ba1−xKxFe2As2 with x=0.4", "Ba0.6K0.4Fe2As2"),
    ("BaFe2(As1−xPx)2 (x = 0.3)", "BaFe2(As0.7P0.3)2"),
    ("K 1Àx Sr x Fe 2 As 2 (x = 0.5)", "K0.5Sr0.5Fe2As2"),
    ("Na x CoO 2 (x = 1/3)", "Na0.333333CoO2"),
    ("La2−xSrxCuO4 (x = 0)", "La2CuO4"),
    # hydrates and adducts
    ("CuSO4·5H2O", "CuSO4(H2O)5"),
    ("Fe2O3·H2O", "Fe2O3(H2O)"),
    ("Na0.35CoO2•1.3H2O", "Na0.35CoO2(H2O)1.3"),
    ("Na 0.35 CoO 2 ⋅1.3H 2 O", "Na0.35CoO2(H2O)1.3"),
    ("Fe2O3•nH2O", "Fe2O3"),
    ("MgSO4*xH2O", "MgSO4"),
    ("Na0.3CoO2·1.3D2O", "Na0.3CoO2(D2O)1.3"),
    # ions and oxidation states
    ("Er3+", "Er"),
    ("Eu²⁺", "Eu"),
    ("SO4^2-", "SO4"),
    ("O2−", "O"),
    ("Fe(III)", "Fe"),
    ("Cr(VI)", "Cr"),
    # phase and polytype prefixes, Miller-index suffixes
    ("α-Fe2O3", "Fe2O3"),
    ("β-Ga2O3", "Ga2O3"),
    ("2M-WS2", "WS2"),
    ("2H-MoS2", "MoS2"),
    ("1T'-MoTe2", "MoTe2"),
    ("1T′-MoTe2", "MoTe2"),
    ("4H-SiC", "SiC"),
    ("h-BN", "BN"),
    ("g-C3N4", "C3N4"),
    ("anatase TiO2", "TiO2"),
    ("wurtzite ZnO", "ZnO"),
    ("zinc blende InP", "InP"),
    ("GaAs(111)A", "GaAs"),
    # organic cations of halide perovskites
    ("MAPbI3", "(CH3NH3)PbI3"),
    ("FAPbBr3", "(CH(NH2)2)PbBr3"),
    ("FA0.85MA0.15PbI3", "(CH(NH2)2)0.85(CH3NH3)0.15PbI3"),
    ("(BA)2PbI4", "((C4H9NH3))2PbI4"),
    ("MA2AgBiI6", "(CH3NH3)2AgBiI6"),
    ("CsPbBr3", "CsPbBr3"),
    # brackets, nesting, implicit multiplication
    ("[Ni4Al(OH)10]OH", "(Ni4Al(OH)10)OH"),
    ("Zn(C4H5N2)2", "Zn(C4H5N2)2"),
    ("(AgIn)xCd2(1−x)S2 (x = 0.5)", "(AgIn)0.5CdS2"),
    ("H2", "H2"),
    ("C60", "C60"),
    ("Pt", "Pt"),
]


@pytest.mark.parametrize("raw,formula", NORMALIZE)
def test_normalize_formula(raw, formula):
    from pymatgen.core import Composition

    assert normalize_formula(raw) == (formula, Composition(formula).reduced_formula)


NOT_NORMALIZED = [
    # not formulas: acronyms, words, units, labels
    "XRD",
    "SEM",
    "DFT",
    "SOFC",
    "SOFCs",
    "MR",
    "TC",
    "RT",
    "OK",
    "IV",
    "II",
    "III",
    "S1",
    "C3",
    "In2",
    "C",
    "K",
    "T",
    "V",
    "W",
    "S",
    "H",
    "I",
    "The",
    "Sample",
    "graphene",
    "",
    "   ",
    "LSCF",
    "YSZ",
    "B3LYP",
    "SCN20",
    "CD74",
    "HeLa",
    "NaN",
    # composition unknown: free variables, mixed sites, dopant notation
    "La2−xSrxCuO4",
    "NaxCoO2",
    "(La,Sr)MnO3",
    "Ce(O,F)BiS2",
    "La2−xSrxCuO4 (x = 0.1, 0.2)",
    "Nb-doped SrTiO3",
    "SrTiO3:Nb",
    "LnOFeAs",
    "CsPbX3",
]


@pytest.mark.parametrize("raw", NOT_NORMALIZED)
def test_not_normalized(raw):
    assert normalize_formula(raw) == (None, None)


def test_normalize_is_cached_and_fast():
    for _ in range(20000):
        normalize_formula("Ba0.5Sr0.5Co0.8Fe0.2O3−δ")
    # no time assertion here: speed is measured by `make bench` (timed tests are flaky on shared CPUs)


# ---------------------------------------------------------------------------------------------------- find_materials


def mention(text: str, raw: str) -> MaterialMention:
    found = find_materials(text)
    hits = [m for m in found if m.raw == raw]
    assert hits, f"{raw!r} not in {[m.raw for m in found]}"
    m = hits[0]
    assert text[m.start : m.end] == m.raw
    return m


# (text, raw, kind, formula, name)
FOUND = [
    # formulas, written every way
    ("The gap of LiFePO4 is 3.7 eV.", "LiFePO4", "formula", "LiFePO4", None),
    ("measured for La 1.85 Sr 0.15 CuO 4 crystals", "La 1.85 Sr 0.15 CuO 4", "formula", "La1.85Sr0.15CuO4", None),
    ("the HgBa2CuO 4+δ samples", "HgBa2CuO 4+δ", "formula", "HgBa2CuO4", None),
    ("Y Ba 2 Cu 3 O 7−δ films", "Y Ba 2 Cu 3 O 7−δ", "formula", "YBa2Cu3O7", None),
    ("in the MgB 2 samples", "MgB 2", "formula", "MgB2", None),
    ("the C 60 molecule", "C 60", "formula", "C60", None),
    ("Na 0.35 CoO 2 •1.3H 2 O is a superconductor", "Na 0.35 CoO 2 •1.3H 2 O", "formula", "Na0.35CoO2(H2O)1.3", None),
    ("CuSO4·5H2O crystals", "CuSO4·5H2O", "formula", "CuSO4(H2O)5", None),
    ("Er3+ ions in the host", "Er3+", "formula", "Er", None),
    ("hematite (α-Fe2O3) films", "α-Fe2O3", "formula", "Fe2O3", None),
    ("exfoliated 1T′-MoTe2 flakes", "1T′-MoTe2", "formula", "MoTe2", None),
    ("anatase TiO2 nanoparticles", "anatase TiO2", "formula", "TiO2", None),
    ("on h-BN substrates", "h-BN", "formula", "BN", None),
    ("MAPbI3 and FA0.85MA0.15PbI3 films", "FA0.85MA0.15PbI3", "formula", "(CH(NH2)2)0.85(CH3NH3)0.15PbI3", None),
    ("CO oxidation over Co catalysts", "CO", "formula", "CO", None),
    ("CO oxidation over Co catalysts", "Co", "formula", "Co", None),
    ("with Pt paste electrodes", "Pt", "formula", "Pt", None),
    ("H2, O2 and N2 gases", "O2", "formula", "O2", None),
    ("of ZnSiP2's band gap", "ZnSiP2", "formula", "ZnSiP2", None),
    ("The TiO2- and ZnO-based films", "TiO2", "formula", "TiO2", None),
    ("The TiO2- and ZnO-based films", "ZnO", "formula", "ZnO", None),
    ("the SnS2nanowire is", "SnS2", "formula", "SnS2", None),
    ("Ba0.8Sr0.2TiO3(BST) films", "Ba0.8Sr0.2TiO3", "formula", "Ba0.8Sr0.2TiO3", None),
    ("in 5%H2 at 800 °C", "H2", "formula", "H2", None),
    ("neutron diffraction on BaFe 2 As 2 [268] and", "BaFe 2 As 2", "formula", "BaFe2As2", None),
    ("nitrogen-doped graphene sheets", "nitrogen-doped graphene", "doped", None, "C:N"),
    ("silicon oxycarbide films", "silicon oxycarbide", "name", None, "silicon oxycarbide"),
    ("the ratio H2:H2O = 50:50", "H2O", "formula", "H2O", None),
    # variables: substituted when the sentence gives one value, else kept as doped
    ("La2−xSrxCuO4 with x = 0.15 was grown.", "La2−xSrxCuO4", "doped", "La1.85Sr0.15CuO4", None),
    (
        "The sample with x = 0.1, i.e. Ba1−xKxFe2As2, shows Tc = 38 K.",
        "Ba1−xKxFe2As2",
        "doped",
        "Ba0.9K0.1Fe2As2",
        None,
    ),
    ("La 2−x Sr x CuO 4 (x = 0.10, 0.15, 0.20)", "La 2−x Sr x CuO 4", "doped", None, None),
    ("for 0 ≤ x ≤ 0.3 in Sr1−xLaxCuO2", "Sr1−xLaxCuO2", "doped", None, None),
    ("BaZr1−x YxO3 electrolytes", "BaZr1−x YxO3", "doped", None, None),
    ("Na x CoO 2 ⋅yH 2 O", "Na x CoO 2 ⋅yH 2 O", "doped", None, None),
    ("(La,Sr)MnO3 cathodes", "(La,Sr)MnO3", "doped", None, None),
    ("the LnOFeAs family", "LnOFeAs", "doped", None, None),
    # dopant notation
    ("Nb-doped SrTiO3 substrates", "Nb-doped SrTiO3", "doped", None, "SrTiO3:Nb"),
    ("SrTiO3:Nb substrates", "SrTiO3:Nb", "doped", None, "SrTiO3:Nb"),
    ("Y2O3:Eu3+ phosphors", "Y2O3:Eu3+", "doped", None, "Y2O3:Eu"),
    ("NaYF4:Yb,Er nanocrystals", "NaYF4:Yb,Er", "doped", None, "NaYF4:Yb,Er"),
    ("a Nd:YAG laser", "Nd:YAG", "doped", None, "YAG:Nd"),
    ("Er3+-doped Ti:LiNbO3 waveguides", "Ti:LiNbO3", "doped", None, "LiNbO3:Ti"),
    ("of Co-doped SnO2 powders", "Co-doped SnO2", "doped", None, "SnO2:Co"),
    ("Gd-doped CeO2 (GDC)", "Gd-doped CeO2", "doped", None, "CeO2:Gd"),
    ("5 mol% Eu3+-doped LaSi3N5", "5 mol% Eu3+-doped LaSi3N5", "doped", None, "LaSi3N5:Eu"),
    ("Ba, Mg-codoped Bi12GeO20", "Ba, Mg-codoped Bi12GeO20", "doped", None, "Bi12GeO20:Ba,Mg"),
    ("In-doped thin CdSe layers", "In-doped thin CdSe", "doped", None, "CdSe:In"),
    ("yttrium-doped barium zirconate (BZY)", "yttrium-doped barium zirconate", "doped", None, "BaZrO3:Y"),
    ("SrTiO3 doped with 1 at% Nb", "SrTiO3 doped with 1 at% Nb", "doped", None, "SrTiO3:Nb"),
    ("boron- and nitrogen-doped graphenes", "boron- and nitrogen-doped graphenes", "doped", None, "C:B,N"),
    ("the Zn-doped samples", "Zn-doped", "doped", None, "Zn-doped"),
    # curated names, element names, chemical names, composites
    ("Graphene and graphite electrodes", "Graphene", "name", "C", "graphene"),
    ("pure copper wires", "copper", "name", "Cu", "copper"),
    ("niobium foils", "niobium", "name", "Nb", "niobium"),
    ("lithium iron phosphate (LFP)", "lithium iron phosphate", "name", "LiFePO4", "lithium iron phosphate"),
    ("on yttria-stabilized zirconia", "yttria-stabilized zirconia", "name", None, "yttria-stabilized zirconia"),
    ("barium zirconate films", "barium zirconate", "name", "BaZrO3", "barium zirconate"),
    (
        "lanthanum strontium cobalt ferrite",
        "lanthanum strontium cobalt ferrite",
        "name",
        None,
        "lanthanum strontium cobalt ferrite",
    ),
    ("cuprous oxide (Cu2O)", "cuprous oxide", "name", "Cu2O", "cuprous oxide"),
    ("carbon nanotubes", "carbon nanotubes", "name", "C", "carbon nanotube"),
    ("Ni-YSZ anodes", "Ni-YSZ", "name", None, "Ni-YSZ"),
    ("GDC/YSZ bilayer", "GDC/YSZ", "name", None, "GDC/YSZ"),
    ("LiFePO4/C composite", "LiFePO4/C", "name", None, "LiFePO4/C"),
    ("Pd+LSM−YSZ electrodes", "Pd+LSM−YSZ", "name", None, "Pd+LSM-YSZ"),
    ("Ni-Fe alloy", "Ni-Fe", "name", None, "Ni-Fe"),
    # acronyms and family codes
    ("YBCO films", "YBCO", "acronym", "YBa2Cu3O7", "YBCO"),
    ("YBCO6.57 crystals", "YBCO6.57", "acronym", "YBa2Cu3O6.57", "YBCO"),
    ("For YBCO 7 we see", "YBCO 7", "acronym", "YBa2Cu3O7", "YBCO"),
    ("LFP cathodes", "LFP", "acronym", "LiFePO4", "LFP"),
    ("8YSZ electrolyte", "8YSZ", "acronym", None, "8YSZ"),
    ("ZIF-8 crystals", "ZIF-8", "acronym", "ZnC8H10N4", "ZIF-8"),
    ("PEDOT:PSS layers", "PEDOT:PSS", "acronym", None, "PEDOT:PSS"),
    ("overdoped Bi-2212", "Bi-2212", "acronym", "Bi2Sr2CaCu2O8", "Bi-2212"),
    ("optimally doped Y123", "Y123", "acronym", "YBa2Cu3O7", "Y-123"),
    ("the Co-1212 phase", "Co-1212", "acronym", None, "Co-1212"),
    ("the LNSCO crystals", "LNSCO", "acronym", None, "LNSCO"),
    ("SWCNTs were dispersed", "SWCNTs", "acronym", "C", "SWCNT"),
]


@pytest.mark.parametrize("text,raw,kind,formula,name", FOUND)
def test_found(text, raw, kind, formula, name):
    m = mention(text, raw)
    assert (m.kind, m.formula, m.name) == (kind, formula, name)
    if m.formula:
        from pymatgen.core import Composition

        assert m.reduced_formula == Composition(m.formula).reduced_formula


# (text, token that must not be (part of) a mention)
REJECTED = [
    ("I measured it twice.", "I"),
    ("In this work we grew films.", "In"),
    ("As expected, the gap opens.", "As"),
    ("At 300 K the gap opens.", "At"),
    ("He et al. measured the gap.", "He"),
    ("Sample No. 5 was annealed.", "No"),
    ("Be careful with the data.", "Be"),
    ("Conclusions In summary, the gap opens.", "In"),
    ("(i) In reducing atmosphere the film", "In"),
    ("the Re of the two devices is small", "Re"),
    ("fit with Ho = 55.7 T and n = 2", "Ho"),
    ("measured by XRD, SEM and DFT", "XRD"),
    ("measured by XRD, SEM and DFT", "SEM"),
    ("measured by XRD, SEM and DFT", "DFT"),
    ("the MR and TC at RT are OK", "MR"),
    ("the MR and TC at RT are OK", "OK"),
    ("a pressure of 10 Pa", "Pa"),
    ("at 4 K in 9 T with 5 V and 3 W", "K"),
    ("at 4 K in 9 T with 5 V and 3 W", "T"),
    ("at 4 K in 9 T with 5 V and 3 W", "V"),
    ("the S, C and H atoms", "S"),
    ("type II superconductivity", "II"),
    ("listed in Table II.", "II"),
    ("Section IV describes", "IV"),
    ("see Fig. S1 and Table S2", "S1"),
    ("as reported by J. K. Li and co-workers", "Li"),
    ("as shown by Li, X. in 2019", "Li"),
    ("Li et al. reported", "Li"),
    ("radiation of Cu Kα was used", "Cu"),
    ("the Fe 2p spectrum", "Fe"),
    ("the O 1s peak", "O"),
    ("Sigma-Aldrich Co., Ltd. supplied", "Co"),
    ("Merck KGaA supplied", "KGaA"),
    ("the SOFCs and PCFCs", "SOFCs"),
    ("CsPbBr3 NCs were made", "NCs"),
    ("SARS-CoV-2 and HeLa cells", "HeLa"),
    ("the Na content and the Cu spins", "Na"),
    ("the Na content and the Cu spins", "Cu"),
    ("3d orbitals of Fe are split", "Fe"),
    ("the CuO 2 planes are doped", "CuO"),
    ("the CuO2 planes are doped", "CuO2"),
    ("OsO6 octahedra are tilted", "OsO6"),
    ("oxygen vacancies in the film", "oxygen"),
    ("the oxygen electrode reaction", "oxygen"),
    ("the Sr : La ratio is nominal", "Sr"),
    ("grown under PAr = 1 Torr", "PAr"),
    ("a diamond anvil cell was used", "diamond"),
    ("open diamonds show the data", "diamonds"),
    ("iron pnictide superconductors", "iron"),
    ("the perovskite solar cell", "perovskite"),
    ("cuprate superconductors", "cuprate"),
    ("the La/Sr phonon", "La/Sr"),
    ("the La-La bridge site", "La-La"),
    ("(Mn,Fe,Co)-based compounds", "(Mn,Fe,Co)"),
    ("the YBCO7 sample and LSCO4", "LSCO4"),
    ("the Li-ion battery", "Li"),
    ("at high PH2O and low PO2", "PH2O"),
    ("at high PH2O and low PO2", "PO2"),
    ("an anode for SOFCs19.", "SOFCs19"),
    ("Bulk Chemistry Impact on Oxygen Surface Exchange", "Oxygen"),
    ("the oxygen-free arsenides", "oxygen"),
    ("neutron diffraction on BaFe 2 As 2 [268] and", "[268]"),
    ("type-II", "II"),
]


@pytest.mark.parametrize("text,token", REJECTED)
def test_rejected(text, token):
    start = text.index(token)
    found = find_materials(text)
    assert not [m.raw for m in found if m.start <= start < m.end], found


def test_spans_and_order():
    text = "Nb-doped SrTiO3, La 2−x Sr x CuO 4 (LSCO), Ni-YSZ | graphene; CuSO4·5H2O and α-Fe2O3."
    found = find_materials(text)
    assert [m.raw for m in found] == [
        "Nb-doped SrTiO3",
        "La 2−x Sr x CuO 4",
        "LSCO",
        "Ni-YSZ",
        "graphene",
        "CuSO4·5H2O",
        "α-Fe2O3",
    ]
    assert all(text[m.start : m.end] == m.raw for m in found)
    assert all(a.end <= b.start for a, b in zip(found, found[1:], strict=False))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet="LaSrCuOFe BaYxδ0123456789.-−()·:/, doped", max_size=200))
def test_spans_exact_on_random_text(text):
    found = find_materials(text)
    assert all(text[m.start : m.end] == m.raw for m in found)
    assert all(a.end <= b.start for a, b in zip(found, found[1:], strict=False))


# ---------------------------------------------------------------------------------------------------- DocumentMaterials

PARAGRAPHS = [
    "We synthesized LiFePO4 (LFP) and PrBa0.5Sr0.5Co2O5+δ (PBSC) cathodes on yttria-stabilized zirconia (YSZ).",
    "The (La,Sr)(Co,Fe)O3 (LSCF) and SrCo0.8Nb0.1Ta0.1O3−δ (SCNT) powders; La0.6Sr0.4CoO3−δ (LSC) was used.",
    "Proton-conducting yttrium-doped barium zirconate (BZY) was sintered.",
    "The as-grown sample (S1) was annealed in O2 to give the annealed La2CuO4 film (S2).",
    "La2−xSrxCuO4 crystals were grown. TiNb2O7, hereafter denoted as TNO, and the Ni0.9Fe0.1 alloy, referred to as NF.",
    "A zinc oxide (ZnO) layer; the PBFM (PrBaFe2O5+δ) anode; X-ray diffraction (XRD) and solid oxide fuel cells (SOFC).",
]

# (query, formula, name)
RESOLVED = [
    ("LFP", "LiFePO4", "LFP"),
    ("PBSC", "PrBa0.5Sr0.5Co2O5", "PBSC"),
    ("YSZ", None, "yttria-stabilized zirconia"),
    ("LSCF", None, "(La,Sr)(Co,Fe)O3"),
    ("SCNT", "SrCo0.8Nb0.1Ta0.1O3", "SCNT"),
    ("LSC", "La0.6Sr0.4CoO3", "LSC"),  # the document's composition wins over the curated name-only entry
    ("BZY", None, "BaZrO3:Y"),
    ("S1", None, "The as-grown sample"),
    ("S2", "La2CuO4", "S2"),
    ("TNO", "TiNb2O7", "TNO"),
    ("NF", "Ni0.9Fe0.1", "NF"),
    ("PBFM", "PrBaFe2O5", "PBFM"),
    ("x = 0.1", "La1.9Sr0.1CuO4", None),
    ("the x = 0.15 sample", "La1.85Sr0.15CuO4", None),
    ("graphene", "C", "graphene"),
    ("Fe2O3", "Fe2O3", None),
]


@pytest.fixture(scope="module")
def document() -> DocumentMaterials:
    doc = DocumentMaterials()
    for p in PARAGRAPHS:
        doc.learn(p)
    return doc


@pytest.mark.parametrize("query,formula,name", RESOLVED)
def test_document_resolves(document, query, formula, name):
    info = document.resolve(query)
    assert info is not None and (info.formula, info.name) == (formula, name)


@pytest.mark.parametrize("query", ["XRD", "SOFC", "ZnO-like", "unknown", ""])
def test_document_does_not_define_techniques(document, query):
    info = document.resolve(query)
    assert info is None or query == "ZnO-like"
    assert "XRD" not in document.definitions and "SOFC" not in document.definitions


def test_document_find_adds_learned_keys(document):
    text = "The PBSC and SCNT cathodes, S1 and 3TNO; see Fig. S1."
    found = document.find(text)
    got = {m.raw: (m.formula, m.kind) for m in found}
    assert got["PBSC"] == ("PrBa0.5Sr0.5Co2O5", "acronym")
    assert got["SCNT"] == ("SrCo0.8Nb0.1Ta0.1O3", "acronym")
    assert got["3TNO"] == ("TiNb2O7", "acronym")
    assert [m.start for m in found if m.raw == "S1"] == [text.index("S1")]  # not the figure label
    assert all(text[m.start : m.end] == m.raw for m in found)


# ---------------------------------------------------------------------------------------------------- speed

MB = 1_000_000
ADVERSARIAL = {
    "letters": "a" * MB,
    "open_parens": "(" * MB,
    "close_parens": ")" * MB,
    "nested_groups": "((((((((((Fe))))))))))" * (MB // 22),
    "one_long_token": "Fe" * (MB // 2),
    "spaced_subscripts": "La 2 " * (MB // 5),
    "spaced_variables": "La 2−x Sr x CuO 4 " * (MB // 18),
    "hyphen_chain": "Ni-" * (MB // 3),
    "colon_chain": "Y2O3:Eu:" * (MB // 8),
    "slash_chain": "LSM/YSZ/" * (MB // 8),
    "dot_chain": "CuSO4·5H2O·" * (MB // 11),
    "minus_chain": "−x" * (MB // 2),
    "dopant_words": "Nb-doped " * (MB // 9),
    "dopant_list": "Xx, Yy, Zz, " * (MB // 12) + "Ba, Mg-codoped BaTiO3",
    "assignments": "x = 0.1 " * (MB // 8),
    "caps_words": "ABCDEFGHIJ " * (MB // 11),
    "english_collisions": "The In As He No Be Co. Ltd " * (MB // 27),
    "digits": "12 " * (MB // 3),
    "mixed_sites": "(La,Sr)(Co,Fe)O3−δ (LSCF) " * (MB // 26),
    "names": "graphene oxide " * (MB // 15),
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_adversarial_megabyte_is_fast(name):
    text = ADVERSARIAL[name]
    find_materials("warm up LiFePO4 graphene")
    found = find_materials(text)
    # no time assertion here: speed is measured by `make bench` (timed tests are flaky on shared CPUs)
    assert all(text[m.start : m.end] == m.raw for m in found[:50])


def test_document_learning_is_linear():
    text = "lithium iron phosphate (LFP) and (La,Sr)(Co,Fe)O3 (LSCF) in sample (S1). " * 4000  # ~300 kB
    doc = DocumentMaterials()
    doc.learn(text)
    doc.find(text)
    # no time assertion here: speed is measured by `make bench` (timed tests are flaky on shared CPUs)


def test_dense_mentions_scale_linearly():
    """Back-to-back symbols (one mention per 3 characters) cost a few µs each: linear, no blow-up."""
    small, large = "Fe Ni " * 5000, "Fe Ni " * 50000
    find_materials(small)
    n = len(find_materials(large))
    assert n == 100000
    # no time assertion here: speed is measured by `make bench` (timed tests are flaky on shared CPUs)


# ---------------------------------------------------------------------------------------------------- real corpora


def overlaps(a: tuple[int, int], spans) -> bool:
    return any(a[0] < e and s < a[1] for s, e in spans)


def occurrences(text: str, s: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(re.escape(s), text)] if s else []


FORMULA_TEXT = re.compile(r"^[A-Z(\[][A-Za-z0-9().,\[\]+\-−–δ·•⋅∙'′ÀΔ=/]*$")
NOT_A_FORMULA = re.compile(r"[/+|]|[-–—−](?=[A-Z])|[A-Z]{3,}(?![a-z])|^[A-Z][a-z]?-?\d{3,4}|[a-z]{3,}")
ASSIGNMENT_ONLY = re.compile(r"^[\sxyzδp0-9.,=<>≤~and-]+$")


def formula_like(gold: str) -> bool:
    """Gold strings written as one chemical formula (not composites, acronyms, family codes or names)."""
    s = re.sub(r"\s+", "", gold)
    if not FORMULA_TEXT.match(s) or NOT_A_FORMULA.search(s) or (s.isupper() and not any(c.isdigit() for c in s)):
        return False
    return bool(re.search(r"\d", s)) or len(re.findall(r"[A-Z]", s)) >= 2


def normalization_rates(golds: list[str]) -> tuple[float, float, int]:
    """(share with a composition, share parsed incl. variable/mixed-site templates, count) of formula-like golds."""
    from extractors.materials import _analyse

    formulas = [g for g in golds if formula_like(g)]
    resolved = sum(normalize_formula(g)[0] is not None for g in formulas)
    parsed = sum(_analyse(g) is not None for g in formulas)
    return resolved / len(formulas), parsed / len(formulas), len(formulas)


@pytest.fixture(scope="module")
def supermat():
    base = shared_data("supermat")
    paragraphs = {
        (r["filename"], r["pid"]): r["text"] for r in csv.DictReader(open(base / "ner_training_paragraphs.csv"))
    }
    gold = collections.defaultdict(list)
    for r in csv.DictReader(open(base / "ner_training_materials.csv")):
        gold[(r["filename"], r["pid"])].append(r["material"])
    return paragraphs, gold


def test_supermat_recall_precision_normalization(supermat):
    """SuperMat: 6341 located gold material mentions (variable assignments like 'x = 0.1' left out)."""
    paragraphs, gold = supermat
    total = hit = predicted = correct = 0
    for key, text in paragraphs.items():
        found = find_materials(text)
        spans = []
        for g in gold.get(key, []):
            occ = occurrences(text, g)
            spans += occ
            if occ and not ASSIGNMENT_ONLY.match(g):
                total += 1
                hit += any(overlaps((m.start, m.end), occ) for m in found)
        if gold.get(key):
            predicted += len(found)
            correct += sum(overlaps((m.start, m.end), spans) for m in found)
    recall, precision = hit / total, correct / predicted
    assert total > 6000
    assert recall >= 0.90, recall  # measured 0.918
    assert precision >= 0.64, precision  # measured 0.670 against gold that marks only superconductors
    resolved, parsed, n = normalization_rates([g for v in gold.values() for g in v])
    assert n > 3000
    assert resolved >= 0.72, resolved  # measured 0.745; the rest carry free x/δ/y or mixed sites
    assert parsed >= 0.94, parsed  # measured 0.959


def test_supermat_document_level_recall(supermat):
    """Learning each document's definitions first adds acronyms the curated list lacks."""
    paragraphs, gold = supermat
    docs = collections.defaultdict(list)
    for (name, pid), text in paragraphs.items():
        docs[name].append((int(pid), text, (name, pid)))
    total = hit = 0
    for items in docs.values():
        doc = DocumentMaterials()
        for _, text, _ in sorted(items):
            doc.learn(text)
        for _, text, key in sorted(items):
            found = doc.find(text)
            for g in gold.get(key, []):
                occ = occurrences(text, g)
                if occ and not ASSIGNMENT_ONLY.match(g):
                    total += 1
                    hit += any(overlaps((m.start, m.end), occ) for m in found)
    assert hit / total >= 0.905, hit / total  # measured 0.924


def sofc_documents():
    """(document text, [(sentence, [gold MATERIAL spans])]) for SOFC-Exp train+dev experiment sentences."""
    for split in ("train", "dev"):
        base = shared_data("sofc_exp", split)
        for frames in sorted((base / "annotations" / "frames").glob("*.csv")):
            pid = frames.stem
            text = (base / "texts" / f"{pid}.txt").read_text()
            sentences = {}
            for row in csv.reader(open(base / "annotations" / "sentences" / f"{pid}.csv"), delimiter="\t"):
                if row[0] != "sentence_id" and row[1] == "1":
                    sentences[row[0]] = text[int(row[2]) : int(row[3])]
            gold = collections.defaultdict(list)
            for line in frames.read_text().splitlines():
                p = line.split("\t")
                if p[0] == "SPAN" and p[2] == "MATERIAL":
                    gold[p[3]].append((int(p[4]), int(p[5])))
            yield text, [(s, gold.get(sid, [])) for sid, s in sentences.items()]


def test_sofc_exp_recall_precision_normalization():
    """SOFC-Exp: 1274 MATERIAL spans in experiment sentences; documents learned line by line first."""
    total = hit = hit_doc = predicted = correct = 0
    golds = []
    for text, sentences in sofc_documents():
        doc = DocumentMaterials()
        for line in text.split("\n"):
            doc.learn(line)
        for sentence, spans in sentences:
            plain, learned = find_materials(sentence), doc.find(sentence)
            for span in spans:
                golds.append(sentence[span[0] : span[1]])
                total += 1
                hit += any(overlaps((m.start, m.end), [span]) for m in plain)
                hit_doc += any(overlaps((m.start, m.end), [span]) for m in learned)
            predicted += len(learned)
            correct += sum(overlaps((m.start, m.end), spans) for m in learned)
    assert total > 1200
    assert hit / total >= 0.72, hit / total  # measured 0.747 (gold also marks 'air', 'anode', 'electrolyte')
    assert hit_doc / total >= 0.83, hit_doc / total  # measured 0.856
    assert correct / predicted >= 0.81, correct / predicted  # measured 0.842
    resolved, parsed, n = normalization_rates(golds)
    assert n > 300
    assert resolved >= 0.82, resolved  # measured 0.842
    assert parsed >= 0.94, parsed  # measured 0.965


def test_bandgap_gold_compounds():
    """Dong & Cole band-gap gold: the record's compound is found in its sentence."""
    rows = list(csv.DictReader(open(shared_data("bandgap_dong_cole", "gold_records.csv"))))
    total = hit = 0
    for r in rows:
        occ = occurrences(r["sentence"], r["compound"])
        if occ:
            total += 1
            hit += any(overlaps((m.start, m.end), occ) for m in find_materials(r["sentence"]))
    assert total > 200
    assert hit / total >= 0.87, hit / total  # measured 0.894
    resolved, parsed, n = normalization_rates([r["compound"] for r in rows])
    assert n > 120
    assert resolved >= 0.94, resolved  # measured 0.963


def test_nerre_doping_hosts_and_dopants():
    """NERRE doping: base materials, dopants and doped results found in their sentences."""
    data = json.loads(shared_data("nerre", "doping", "train.json").read_text())
    total = hit = predicted = correct = 0
    golds = []
    for item in data:
        for s in item["doping_sentences"]:
            text = s["sentence_text"]
            entities = [*s["basemats"].values(), *s["dopants"].values(), *s["results"].values()]
            found = find_materials(text)
            spans = [o for x in entities + s["sentence_cems"] for o in occurrences(text, x)]
            for x in entities:
                occ = occurrences(text, x)
                if occ:
                    golds.append(x)
                    total += 1
                    hit += any(overlaps((m.start, m.end), occ) for m in found)
            predicted += len(found)
            correct += sum(overlaps((m.start, m.end), spans) for m in found)
    assert total > 700
    assert hit / total >= 0.68, hit / total  # measured 0.702 (gold dopants include bare 'N', 'B', 'electron')
    assert correct / predicted >= 0.84, correct / predicted  # measured 0.864 against gold + CDE chemical mentions
    resolved, parsed, n = normalization_rates(golds)
    assert n > 150
    assert resolved >= 0.73, resolved  # measured 0.756
    assert parsed >= 0.89, parsed  # measured 0.913


def test_curated_names_are_all_strings():
    """YAML 1.1 reads NO/ON/YES as booleans: every curated formula must stay a string."""
    from pathlib import Path

    import yaml

    data = yaml.safe_load((Path(__file__).resolve().parents[2] / "extractors" / "material_names.yaml").read_text())

    def walk(x):
        if isinstance(x, dict):
            for k, v in x.items():
                assert isinstance(k, str), k
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
        else:
            assert x is None or isinstance(x, (str, int, float)) and not isinstance(x, bool), x

    walk(data)


def test_document_samples_named_by_composition_variable():
    from extractors.materials import DocumentMaterials

    text = "La2−xSrxCuO4 crystals. The x = 0.15 sample, the 0.031 ≤ x ≤ 0.145 samples and x = 0.05 and 0.1; T = 0.2 K."
    dm = DocumentMaterials()
    dm.learn(text)
    got = {m.raw: m.formula for m in dm.samples(text, dm.find(text))}
    assert got == {"x = 0.15": "La1.85Sr0.15CuO4", "0.031 ≤ x ≤ 0.145": None, "x = 0.05 and 0.1": None}
    # without a variable formula in the document, only a sample noun makes it a sample
    other = DocumentMaterials()
    assert [m.raw for m in other.samples("x = 0.2 samples; the fit gives x = 0.3.")] == ["x = 0.2"]


def test_sample_named_by_its_cue_and_split_lists():
    from extractors.materials import DocumentMaterials

    dm = DocumentMaterials()  # no variable formula learned
    text = "T c = 22 K at x = 1/8, T c of 93 K (y=0.93), and the fit gives x = 0.3."
    assert [m.raw for m in dm.samples(text)] == ["x = 1/8", "y=0.93"]
    text = "28 K and 9 K for x = 0.11, 0.05 and 0.2, respectively"
    (m,) = dm.samples(text)
    parts = dm.split_sample_list(text, m)
    assert [(p.raw, p.name) for p in parts] == [("x = 0.11", "x = 0.11"), ("0.05", "x = 0.05"), ("0.2", "x = 0.2")]
    assert all(text[p.start : p.end] == p.raw for p in parts)
    (r,) = dm.samples("for 0.031 ≤ x ≤ 0.145 samples")
    assert dm.split_sample_list("for 0.031 ≤ x ≤ 0.145 samples", r) == [r]


def test_name_word_split_by_a_line_end_hyphen_is_no_material():
    from extractors.materials import find_materials

    raws = [m.raw for m in find_materials("the two Gold- stone modes and a copper- based film of Cu- doped Bi2Se3")]
    assert "Gold" not in raws
    assert "copper" in raws


POLYMER_PAPER_TEXT = (
    "Donor-acceptor conjugated polymers are synthesized. The polymer films and the copolymer blends are studied."
)


@pytest.mark.parametrize(
    "text,names",
    [
        ("The LUMO levels of PT-ID , PT - DTBT and PDTS - BTA are low.", ["PT-ID", "PT - DTBT", "PDTS - BTA"]),
        ("The regioregular PBDTTT-C-T copolymer and P3HT:PC71BM blends.", ["PBDTTT-C-T", "P3HT", "PC71BM"]),
        ("Devices of P1 and P2 beat copolymer 5.", ["P1", "P2", "copolymer 5"]),
        ("The PCE of PSCs and PEMFC measured by PPMS in P21/c with PBE.", []),
    ],
)
def test_polymer_names_in_a_paper_on_polymers(text, names):
    doc = DocumentMaterials()
    doc.learn(POLYMER_PAPER_TEXT)
    assert [m.raw for m in doc.find(text)] == names


def test_polymer_acronyms_only_in_a_paper_on_polymers():
    doc = DocumentMaterials()
    doc.learn("Protonic ceramic fuel cells were tested.")
    assert [m.raw for m in doc.find("The PBDTTT-C-T cell and P1 gave PGSTAT readings.")] == []


def test_frontier_orbitals_are_no_materials():
    assert find_materials("the HOMO and LUMO levels of the donor") == []


def test_a_one_minus_variable_names_the_sample():
    from extractors.materials import DocumentMaterials

    d = DocumentMaterials()
    text = "The 1-y=0.80 sample showed a lower T c of 35 K."
    assert [m.raw for m in d.samples(text, list(d.find(text)))] == ["1-y=0.80"]
