"""Akoma Ntoso and USLM reader: provision tree, text blocks and lead-ins, metadata, and refusal
of hostile or broken XML. Small hand-written files live in tests/data/xml/; the third-party samples
in ../shared/data/legal-xml-samples/ are read when present."""

from __future__ import annotations

import datetime
import time
from collections import Counter
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pipeline.framers.document import DocumentError, SourceDocument, normalise_text
from pipeline.framers.readers import read_document
from pipeline.framers.readers.xml import read_xml

DATA = Path(__file__).resolve().parent.parent / "data" / "xml"
AKN_NS = "{http://docs.oasis-open.org/legaldocml/ns/akn/3.0}"

# Reference flattening for the checks below, written independently of the reader: all text of
# an element except notes, which the reader leaves out of the running text.
_NOTES = {"authorialNote", "noteRef", "footnote", "sidenote", "page"}


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _reference_text(element: ET.Element) -> str:
    parts = [element.text or ""]
    for child in element:
        if _local(child.tag) not in _NOTES:
            parts.append(_reference_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _read(name: str) -> SourceDocument:
    path = DATA / name
    return read_xml(path, path.read_bytes())


def _refused(name: str) -> str:
    path = DATA / name
    with pytest.raises(DocumentError) as caught:
        read_xml(path, path.read_bytes())
    message = str(caught.value)
    assert str(path) in message  # every error names the file
    return message


def _blocks_of(doc: SourceDocument, provision_id: str) -> list[str]:
    return [doc.block_text(block) for block in doc.blocks if block.provision == provision_id]


# -- Akoma Ntoso -----------------------------------------------------------------------------------


def test_akn_provision_tree_ids_kinds_labels_and_titles():
    doc = _read("akn_act.akn.xml")
    assert doc.format == "akn"
    tree = [(p.id, p.kind, p.parent, p.label, p.title) for p in doc.provisions]
    assert tree == [
        ("preface", "preface", None, None, None),
        ("preamble", "preamble", None, None, None),
        ("cits_1", "citations", "preamble", None, None),
        ("cits_1__cit_1", "citation", "cits_1", None, None),
        ("recs_1", "recitals", "preamble", None, None),
        ("recs_1__rec_1", "recital", "recs_1", "(1)", None),
        ("chp_1", "chapter", None, "CHAPTER I", "General provisions"),
        ("art_1", "article", "chp_1", "Article 1", "Subject matter"),
        ("art_1__para_1", "paragraph", "art_1", "1.", None),
        ("art_1__para_2", "paragraph", "art_1", "2.", None),
        ("art_1__para_2__list_1", "list", "art_1__para_2", None, None),
        ("art_1__para_2__list_1__point_a", "point", "art_1__para_2__list_1", "(a)", None),
        # no eId in the file: a path from the parent's eId, kind and position
        ("art_1__para_2__list_1__point_2", "point", "art_1__para_2__list_1", "(b)", None),
        ("art_2", "article", "chp_1", "Article 2", "Definitions"),
        ("art_2__para_1", "paragraph", "art_2", None, None),
        ("art_2__para_1~2", "paragraph", "art_2", None, None),  # the file repeats the eId
    ]
    assert _blocks_of(doc, "art_2__para_1~2") == ["‘Provider’ means whoever sells widgets."]


def test_akn_title_and_metadata():
    doc = _read("akn_act.akn.xml")
    assert doc.title == "Widget Safety Regulation"  # shortTitle wins over docTitle
    assert doc.metadata == {"issued": datetime.date(2024, 3, 15), "jurisdiction": "EU"}
    assert doc.doc_id == "akn_act"


def test_akn_list_intro_is_the_lead_in_of_each_point_and_wrap_up_follows_them():
    doc = _read("akn_act.akn.xml")
    intro = next(i for i, b in enumerate(doc.blocks) if doc.block_text(b) == "Providers shall:")
    assert doc.blocks[intro].provision == "art_1__para_2__list_1"
    for point in ("art_1__para_2__list_1__point_a", "art_1__para_2__list_1__point_2"):
        (index,) = [i for i, b in enumerate(doc.blocks) if b.provision == point]
        assert index > intro
        assert doc.blocks[index].lead_in == intro
    assert _blocks_of(doc, "art_1__para_2__list_1") == ["Providers shall:", "This paragraph applies from 2025."]
    # the wrap-up comes after the points in the text
    wrap_up = doc.text.index("This paragraph applies from 2025.")
    assert wrap_up > doc.text.index("keep records for ten years.")
    # recitals: "Whereas:" introduces each recital
    (recital,) = [b for b in doc.blocks if b.provision == "recs_1__rec_1"]
    assert doc.lead_in_text(recital) == "Whereas:"


def test_akn_authorial_notes_are_left_out_of_text_headings_and_blocks():
    doc = _read("akn_act.akn.xml")
    assert "FOOTNOTE TEXT" not in doc.text
    assert "HEADING NOTE TEXT" not in doc.text
    assert _blocks_of(doc, "art_1__para_1") == ["This Regulation lays down rules on widgets placed on the market."]
    assert doc.provision("art_1").title == "Subject matter"
    # inline markup is plain text, whitespace runs folded
    assert _blocks_of(doc, "art_1__para_2__list_1__point_2") == ["keep records for ten years."]


def test_akn_blocks_are_the_normalised_text_of_their_elements():
    path = DATA / "akn_act.akn.xml"
    doc = read_xml(path, path.read_bytes())
    texts = [doc.block_text(b) for b in doc.blocks]
    root = ET.parse(path).getroot()
    notes = [note for note in root.iter(f"{AKN_NS}authorialNote")]
    in_notes = {p for note in notes for p in note.iter(f"{AKN_NS}p")}
    paragraphs = [p for p in root.iter(f"{AKN_NS}p") if p not in in_notes]
    assert len(paragraphs) == 12 and len(in_notes) == 2
    for p in paragraphs:
        assert normalise_text(_reference_text(p)) in texts
    for provision in doc.provisions:  # a provision's span holds its blocks
        for block in doc.blocks:
            if block.provision == provision.id:
                assert provision.start <= block.start < block.end <= provision.end


def test_akn_heading_lines_and_labels_in_the_text():
    doc = _read("akn_act.akn.xml")
    lines = doc.text.split("\n")
    assert "Article 1 Subject matter" in lines
    assert "(a) register each widget;" in lines  # an untitled point's label starts its line
    point = doc.provision("art_1__para_2__list_1__point_a")
    assert doc.text[point.start : point.end] == "(a) register each widget;"


def test_akn_committee_draft_namespace_is_read():
    data = (
        b'<akomaNtoso xmlns="http://docs.oasis-open.org/legaldocml/ns/akn/3.0/CSD13"><act><body>'
        b'<article eId="art_1"><num>Article 1</num><heading>Scope</heading>'
        b"<paragraph eId=\"art_1__para_1\"><content><p>It applies.</p></content></paragraph>"
        b"</article></body></act></akomaNtoso>"
    )
    doc = read_xml(Path("draft.xml"), data)
    assert [(p.id, p.kind) for p in doc.provisions] == [("art_1", "article"), ("art_1__para_1", "paragraph")]
    assert _blocks_of(doc, "art_1__para_1") == ["It applies."]


def test_read_document_dispatches_akn_xml_by_suffix():
    doc = read_document(DATA / "akn_act.akn.xml")
    assert doc.format == "akn" and doc.doc_id == "akn_act"


def test_internal_doctype_without_entities_is_accepted():
    doc = _read("internal_doctype.xml")
    assert _blocks_of(doc, "sec_1") == ["Text of the only section."]
    assert doc.title == "1 Only section"  # no title in the markup: the first heading


# -- USLM ------------------------------------------------------------------------------------------


def test_uslm_provision_tree_ids_labels_and_titles():
    doc = _read("uslm_code.xml")
    assert doc.format == "uslm"
    tree = [(p.id, p.kind, p.parent, p.label, p.title) for p in doc.provisions]
    assert tree == [
        ("/us/usc/t99", "title", None, "Title 99—", "Widgets"),
        ("/us/usc/t99/ch1", "chapter", "/us/usc/t99", "CHAPTER 1—", "GENERAL PROVISIONS"),
        ("/us/usc/t99/s101", "section", "/us/usc/t99/ch1", "§ 101.", "Registration"),
        ("/us/usc/t99/s101/a", "subsection", "/us/usc/t99/s101", "(a)", "In general"),
        ("/us/usc/t99/s101/a/1", "paragraph", "/us/usc/t99/s101/a", "(1)", None),
        ("/us/usc/t99/s101/a/2", "paragraph", "/us/usc/t99/s101/a", "(2)", None),
        # no identifier in the file: parent's identifier and the num value
        ("/us/usc/t99/s101/b", "subsection", "/us/usc/t99/s101", "(b)", None),
    ]
    assert doc.title == "Title 99—Widgets"
    assert doc.metadata == {"issued": datetime.date(2020, 1, 31), "jurisdiction": "US"}


def test_uslm_chapeau_is_the_lead_in_and_continuation_comes_after_the_paragraphs():
    doc = _read("uslm_code.xml")
    texts = [doc.block_text(b) for b in doc.blocks]
    chapeau = texts.index("Each provider of widgets shall—")
    assert doc.blocks[chapeau].provision == "/us/usc/t99/s101/a"
    for paragraph in ("/us/usc/t99/s101/a/1", "/us/usc/t99/s101/a/2"):
        (index,) = [i for i, b in enumerate(doc.blocks) if b.provision == paragraph]
        assert index > chapeau and doc.blocks[index].lead_in == chapeau
    assert _blocks_of(doc, "/us/usc/t99/s101/a/1") == ["register with the Secretary; and"]
    continuation = texts.index("within 30 days of the first sale.")
    assert doc.blocks[continuation].provision == "/us/usc/t99/s101/a"
    assert continuation > texts.index("pay the fee.")
    # two <p> in one <content>: two blocks
    assert _blocks_of(doc, "/us/usc/t99/s101/b") == ["The Secretary may waive the fee.", "A waiver shall be in writing."]


def test_uslm_footnotes_and_sidenotes_are_left_out():
    doc = _read("uslm_code.xml")
    assert "FOOTNOTE TEXT" not in doc.text and "SIDENOTE TEXT" not in doc.text
    assert _blocks_of(doc, "/us/usc/t99/s101/a/2") == ["pay the fee."]


# -- hostile and broken files ----------------------------------------------------------------------


def test_external_entity_xxe_is_refused_and_nothing_is_read(tmp_path):
    message = _refused("xxe.xml")
    assert "declares XML entities, which are refused for safety" in message
    assert "xxe" in message and "file:///etc/passwd" in message
    # an entity naming a real local file: refused before anything is read from it
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER")
    data = (
        f'<?xml version="1.0"?><!DOCTYPE akomaNtoso [<!ENTITY s SYSTEM "{secret.as_uri()}">]>'
        '<akomaNtoso xmlns="http://docs.oasis-open.org/legaldocml/ns/akn/3.0"><act><body>'
        '<section eId="sec_1"><content><p>&s;</p></content></section></body></act></akomaNtoso>'
    ).encode()
    with pytest.raises(DocumentError, match="refused for safety") as caught:
        read_xml(tmp_path / "local.xml", data)
    assert "TOP-SECRET-MARKER" not in str(caught.value)


def test_billion_laughs_is_refused_without_expanding():
    started = time.perf_counter()
    message = _refused("billion_laughs.xml")
    assert time.perf_counter() - started < 1.0
    assert "declares XML entities, which are refused for safety" in message and "lol" in message


def test_parameter_entity_pulling_a_remote_dtd_is_refused():
    message = _refused("parameter_entity.xml")
    assert "declares XML entities, which are refused for safety" in message
    assert "http://example.invalid/evil.dtd" in message


def test_external_dtd_is_refused(tmp_path):
    message = _refused("external_dtd.xml")
    assert "external DTD" in message and "http://example.invalid/uslm.dtd" in message
    # a local DTD defining an entity the document uses: refused, never loaded
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY leak "DTD-MARKER">')
    data = (
        f'<?xml version="1.0"?><!DOCTYPE lawDoc SYSTEM "{dtd.as_uri()}">'
        '<lawDoc xmlns="http://xml.house.gov/schemas/uslm/1.0"><main><section><content>&leak;'
        "</content></section></main></lawDoc>"
    ).encode()
    with pytest.raises(DocumentError, match="external DTD") as caught:
        read_xml(tmp_path / "dtd.xml", data)
    assert "DTD-MARKER" not in str(caught.value)


def test_truncated_xml_names_line_and_column():
    message = _refused("truncated.xml")
    assert "not well-formed XML at line 3, column 71" in message and "no element found" in message


def test_mismatched_tag_and_bad_bytes_name_line_and_column():
    with pytest.raises(DocumentError, match=r"m\.xml: not well-formed XML at line 2, column 3: mismatched tag"):
        read_xml(Path("m.xml"), b"<akomaNtoso><act>\n</akomaNtoso>")
    with pytest.raises(DocumentError, match=r"b\.xml: not well-formed XML at line 1, column 19"):
        read_xml(Path("b.xml"), b"<akomaNtoso><p>caf\xe9 au lait</p></akomaNtoso>")


def test_wrong_root_says_what_was_found_and_what_is_supported():
    message = _refused("wrong_root.xml")
    assert "<html> in namespace http://www.w3.org/1999/xhtml" in message
    assert "Akoma Ntoso" in message and "USLM" in message and "<akomaNtoso>" in message
    with pytest.raises(DocumentError, match=r"<rules> \(no namespace\)"):
        read_xml(Path("rules.xml"), b"<rules><rule>Do not.</rule></rules>")


def test_empty_file_is_a_clear_error():
    assert "the file is empty" in _refused("empty.xml")
    with pytest.raises(DocumentError, match="the file is empty"):
        read_xml(Path("blank.xml"), b"\xef\xbb\xbf \n\t")


def test_markup_without_text_is_a_clear_error():
    data = b'<akomaNtoso xmlns="http://docs.oasis-open.org/legaldocml/ns/akn/3.0"><act><body/></act></akomaNtoso>'
    with pytest.raises(DocumentError, match="no text found in this akn document"):
        read_xml(Path("hollow.akn.xml"), data)


def test_absurdly_deep_nesting_is_refused_not_a_crash():
    data = (
        b'<akomaNtoso xmlns="http://docs.oasis-open.org/legaldocml/ns/akn/3.0"><act><body><p>'
        + b"<span>" * 5000
        + b"x"
        + b"</span>" * 5000
        + b"</p></body></act></akomaNtoso>"
    )
    with pytest.raises(DocumentError, match="nested more than"):
        read_xml(Path("deep.xml"), data)


# -- the third-party samples -----------------------------------------------------------------------

SAMPLES = [
    ("akn/eu_COM-2013-0619_EN.akn.xml", "akn", 200),
    ("akn/uk_ssi-2017-126-enacted.akn.xml", "akn", 10),
    ("akn/uk_ukpga-2014-27-enacted.akn.xml", "akn", 100),
    ("akn/us_Act_2011-11-29.akn.xml", "akn", 20),
    ("akn/us_usc_title9_chap3.akn.xml", "akn", 10),
    ("uslm/114publ4-uslm.xml", "uslm", 300),
    ("uslm/CFR-2018-title27-vol3-uslm.xml", "uslm", 2000),
]
# Inline markup only: an element holding nothing else is exactly one block.
_INLINE = {
    "ref", "mref", "rref", "term", "def", "i", "b", "u", "sup", "sub", "span", "inline", "abbr",
    "date", "docDate", "shortTitle", "quotedText", "proviso", "organization", "location", "person",
    "role", "concept", "process", "placeholder", "fillIn", "docNumber", "docType",
} | _NOTES


def _one_block_elements(root: ET.Element, format: str):
    """(owning provision id or None, element) for text elements that hold inline markup only,
    outside metadata, notes and tables of contents."""
    parents = {child: parent for parent in root.iter() for child in parent}
    wanted = "p" if format == "akn" else "content"
    for element in root.iter():
        if _local(element.tag) != wanted or not normalise_text(_reference_text(element)):
            continue
        if any(_local(d.tag) not in _INLINE for d in element.iter() if d is not element):
            continue
        ancestors = []
        parent = parents.get(element)
        while parent is not None:
            ancestors.append(parent)
            parent = parents.get(parent)
        if any(_local(a.tag) in _NOTES | {"meta", "note", "toc", "tr"} for a in ancestors):
            continue
        owner = ancestors[0]
        if format == "akn" and _local(owner.tag) == "content":
            if len(owner) != 1:
                continue
            owner = ancestors[1]
        provision = owner.get("eId") if format == "akn" else owner.get("identifier")
        yield provision, element


@pytest.mark.parametrize("name,format,at_least", SAMPLES, ids=[s[0].split("/")[1] for s in SAMPLES])
def test_shared_samples_read_into_a_sensible_tree(shared_data, name, format, at_least):
    path = shared_data / "legal-xml-samples" / name
    data = path.read_bytes()
    started = time.perf_counter()
    doc = read_xml(path, data)
    elapsed = time.perf_counter() - started
    assert elapsed < 3.0, f"{name} took {elapsed:.2f} s"
    assert doc.format == format and doc.title
    assert len(doc.provisions) >= at_least
    ids = [p.id for p in doc.provisions]
    assert len(set(ids)) == len(ids)
    by_id = {p.id: p for p in doc.provisions}
    for provision in doc.provisions:
        assert provision.parent is None or by_id[provision.parent].ordinal < provision.ordinal
    for block in doc.blocks:
        assert block.provision == "" or block.provision in by_id
        assert doc.block_text(block) == normalise_text(doc.block_text(block)) != ""
        if block.lead_in is not None:
            assert doc.blocks[block.lead_in].end <= block.start

    # blocks are the normalised text of their elements, owned by the element's provision
    root = ET.parse(path).getroot()  # the project's own trusted sample: the stdlib parser is fine here
    texts_by_provision: dict[str, list[str]] = {}
    for block in doc.blocks:
        texts_by_provision.setdefault(block.provision, []).append(doc.block_text(block))
    all_texts = {text for texts in texts_by_provision.values() for text in texts}
    source_ids = Counter(e.get("eId") or e.get("identifier") for e in root.iter())
    checked = 0
    for provision, element in _one_block_elements(root, format):
        expected = normalise_text(_reference_text(element))
        if provision in by_id and source_ids[provision] == 1:  # (a repeated id is suffixed)
            assert expected in texts_by_provision[provision], (provision, expected)
        else:
            assert expected in all_texts, expected
        checked += 1
    assert checked >= 5
    # notes are not in the running text
    for note in root.iter():
        if _local(note.tag) in ("authorialNote", "footnote", "sidenote"):
            note_text = normalise_text(_reference_text(note))
            if len(note_text) > 40:
                assert note_text not in doc.text


def test_shared_samples_read_twice_give_identical_ids_and_offsets(shared_data):
    for name, _, _ in SAMPLES:
        path = shared_data / "legal-xml-samples" / name
        first, second = read_xml(path, path.read_bytes()), read_xml(path, path.read_bytes())
        assert first.text == second.text
        assert [(p.id, p.start, p.end, p.parent) for p in first.provisions] == [
            (p.id, p.start, p.end, p.parent) for p in second.provisions
        ]
        assert [(b.provision, b.start, b.end, b.lead_in) for b in first.blocks] == [
            (b.provision, b.start, b.end, b.lead_in) for b in second.blocks
        ]


def test_shared_samples_metadata_and_known_provisions(shared_data):
    samples = shared_data / "legal-xml-samples"
    eu = read_xml(samples / "akn/eu_COM-2013-0619_EN.akn.xml", (samples / "akn/eu_COM-2013-0619_EN.akn.xml").read_bytes())
    assert eu.metadata == {"issued": datetime.date(2013, 9, 17), "jurisdiction": "EU"}
    assert eu.title == (
        "Proposal for a REGULATION OF THE EUROPEAN PARLIAMENT AND OF THE COUNCIL on new psychoactive substances"
    )
    article = eu.provision("art_2")
    assert (article.kind, article.label, article.title) == ("article", "Article 2", "Definitions")
    (point,) = [b for b in eu.blocks if b.provision == "art_2__list_1__point_b"]
    assert eu.lead_in_text(point) == "For the purpose of this Regulation, the following definitions apply:"
    assert eu.provision("cmp_1").title == "Explanatory memorandum"

    uk_path = samples / "akn/uk_ukpga-2014-27-enacted.akn.xml"
    uk = read_xml(uk_path, uk_path.read_bytes())
    assert uk.title == "Data Retention and Investigatory Powers Act 2014"
    assert uk.metadata == {"issued": datetime.date(2014, 7, 17), "jurisdiction": "GB-UKM"}
    (para,) = [b for b in uk.blocks if b.provision == "sec_1__subsec_2__para_a"]
    assert uk.lead_in_text(para) == "A retention notice may—"
    assert uk.provision("crossheading-retention-of-relevant-communications-data").kind == "crossheading"

    cfr_path = samples / "uslm/CFR-2018-title27-vol3-uslm.xml"
    cfr = read_xml(cfr_path, cfr_path.read_bytes())
    section = cfr.provision("/us/cfr/t27/s447.2")
    assert (section.kind, section.label, section.title) == ("section", "§ 447.2", "Relation to other laws and regulations.")
    assert cfr.provision("/us/cfr/t27/s447.2/a").parent == "/us/cfr/t27/s447.2"
    assert cfr.metadata == {"issued": datetime.date(2016, 7, 22), "jurisdiction": "US"}

    law_path = samples / "uslm/114publ4-uslm.xml"
    law = read_xml(law_path, law_path.read_bytes())
    assert law.title.startswith("Public Law 114–4: Making appropriations for the Department of Homeland Security")
    section = law.provision("/tV/s503/a")
    assert section.label == "(a)"
    (item,) = [b for b in law.blocks if b.provision == "/tV/s503/a/1"]
    assert law.lead_in_text(item).endswith("through a reprogramming of funds that:")
