"""HTML reader: eCFR pages become a provision tree, other pages are read by headings and lists.

Small pages under tests/data/html/ pin the mapping (eCFR excerpts in eCFR's own markup, a generic
code with every element kind, pages in other encodings); the two full eCFR pages from the shared
data folder (45 CFR Parts 160 and 164) must load with the paragraphs the GoldCoin cases cite.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path

import pytest

from pipeline.framers.document import DocumentError, SourceDocument, normalise_text
from pipeline.framers.readers import read_document
from pipeline.framers.readers.html import read_html

DATA = Path(__file__).resolve().parents[1] / "data" / "html"


def read(name: str) -> SourceDocument:
    path = DATA / name
    return read_html(path, path.read_bytes())


def check_offsets(document: SourceDocument) -> None:
    """Every block is normalised text inside its provision; every provision inside its parent."""
    by_id = {provision.id: provision for provision in document.provisions}
    assert len(by_id) == len(document.provisions), "provision ids must be unique"
    for block in document.blocks:
        text = document.block_text(block)
        assert text and text == normalise_text(text)
        assert "\n" not in text
        owner = by_id[block.provision]
        assert owner.start <= block.start < block.end <= owner.end
    for provision in document.provisions:
        assert 0 <= provision.start <= provision.end <= len(document.text)
        if provision.parent is not None:
            parent = by_id[provision.parent]
            assert parent.start <= provision.start and provision.end <= parent.end
            assert parent.ordinal < provision.ordinal


# --- eCFR ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def excerpt() -> SourceDocument:
    return read("ecfr-part-164-excerpt.html")


def test_ecfr_structure_ids_kinds_labels_and_titles(excerpt):
    assert excerpt.format == "html"
    assert excerpt.doc_id == "ecfr-part-164-excerpt"
    assert excerpt.title == "45 CFR Part 164 -- Security and Privacy"
    part = excerpt.provision("Part 164")
    assert (part.kind, part.label, part.title, part.parent) == ("part", "PART 164", "SECURITY AND PRIVACY", None)
    subpart = excerpt.provision("Part 164 Subpart E")
    assert (subpart.kind, subpart.label, subpart.parent) == ("subpart", "Subpart E", "Part 164")
    assert subpart.title == "Privacy of Individually Identifiable Health Information"
    reserved = excerpt.provision("Part 164 Subpart B")
    assert (reserved.label, reserved.title) == ("Subpart B", "[Reserved]")
    section = excerpt.provision("164.502")
    assert (section.kind, section.label, section.parent) == ("section", "§ 164.502", "Part 164 Subpart E")
    assert section.title == "Uses and disclosures of protected health information: General rules."
    assert [p.id for p in excerpt.provisions if p.parent == "164.502"] == ["164.502(a)", "164.502(b)", "164.502(c)"]
    check_offsets(excerpt)


def test_ecfr_paragraph_heading_is_the_title_and_not_in_the_block(excerpt):
    standard = excerpt.provision("164.502(a)")
    assert (standard.kind, standard.label, standard.title, standard.parent) == ("paragraph", "(a)", "Standard.", "164.502")
    assert excerpt.provision_texts("164.502(a)") == [
        "A covered entity or business associate may not use or disclose protected health information, except as "
        "permitted or required by this subpart or by subpart C of part 160 of this subchapter."
    ]
    # the text line still shows the heading, before the block
    assert "\n(a) Standard.\nA covered entity or business associate may not use" in excerpt.text
    # a dash joining heading and text does not start the block
    minimum = excerpt.provision("164.502(b)")
    assert minimum.title == "Standard: Minimum necessary"
    assert excerpt.provision_texts("164.502(b)")[0].startswith("Minimum necessary applies. When using or disclosing")
    # a heading with nothing after it but a dash is a title and no block
    assert excerpt.provision("164.502(c)").title == "Implementation specifications"
    assert excerpt.provision_texts("164.502(c)") == []


def test_ecfr_nesting_and_lead_ins(excerpt):
    item = excerpt.provision("164.502(a)(1)(i)")
    assert (item.label, item.title, item.parent) == ("(i)", None, "164.502(a)(1)")
    assert excerpt.provision("164.502(a)(1)").parent == "164.502(a)"
    assert excerpt.provision_texts("164.502(a)(1)") == [
        "A covered entity is permitted to use or disclose protected health information as follows:"
    ]
    assert excerpt.provision_texts("164.502(a)(1)(i)") == ["To the individual;"]
    assert "\n(i) To the individual;\n" in excerpt.text  # the label is printed, outside the block
    for provision_id in ("164.502(a)(1)(i)", "164.502(a)(1)(ii)"):
        assert excerpt.provision_lead_in(provision_id).endswith("as follows:")
    assert excerpt.provision_lead_in("164.502(b)(2)(i)") == "This requirement does not apply to:"
    assert excerpt.provision_lead_in("164.502(a)") is None
    # an extract quoted by its paragraph is a block of it, introduced by the paragraph's sentence
    header = excerpt.provision_texts("164.502(c)(1)")
    assert header[1].startswith("“THIS NOTICE DESCRIBES")
    assert excerpt.provision_lead_in("164.502(c)(1)") is None


def test_ecfr_definitions_keep_their_term_in_the_sentence(excerpt):
    common = excerpt.provision("164.103(Common control)")  # id URL-decoded
    assert (common.kind, common.label, common.title, common.parent) == ("definition", None, None, "164.103")
    assert excerpt.provision_texts("164.103(Common control)")[0].startswith("Common control exists if an entity has the power")
    assert excerpt.provision_lead_in("164.103(Hybrid entity)(1)") == "Hybrid entity means a single legal entity:"
    # "(3) Financial remuneration means ...": the heading is the sentence's subject, so it stays
    remuneration = excerpt.provision("164.501(Marketing)(3)")
    assert (remuneration.label, remuneration.title) == ("(3)", None)
    assert excerpt.provision_texts("164.501(Marketing)(3)")[0].startswith("Financial remuneration means direct or indirect")


def test_ecfr_page_shell_and_notes_are_not_text(excerpt):
    for word in ("NAVWORD", "TOCWORD", "SCRIPTWORD", "STYLEWORD", "FOOTERWORD", "AUTHORITYWORD", "Displaying title"):
        assert word not in excerpt.text
    assert "FR 8374" not in excerpt.text and "65 FR 82802" not in excerpt.text  # citations and source notes
    assert {p.kind for p in excerpt.provisions} == {"part", "subpart", "section", "paragraph", "definition"}
    assert excerpt.metadata["jurisdiction"] == "US"
    assert excerpt.metadata["citation"] == "45 CFR Part 164"
    assert str(excerpt.metadata["current_as_of"]) == "2023-11-20"


def test_ecfr_sibling_paragraphs_nest_by_indent():
    document = read("ecfr-160-103-flat.html")
    check_offsets(document)
    assert document.title == "§ 160.103 Definitions."  # no <title>: the heading
    assert [p.id for p in document.provisions if p.parent == "160.103"] == [
        "160.103(Act)",
        "160.103(Administrative simplification provision)",
        "160.103(Business associate)",
        "160.103(Civil money penalty or penalty)",
    ]
    assert document.provision("160.103(Administrative simplification provision)(2)").parent == (
        "160.103(Administrative simplification provision)"
    )
    # eCFR's wrong id for the first item of "Business associate" does not break the tree
    assert document.provision("160.103(ANSI)(1)").parent == "160.103(Business associate)"
    assert document.provision("160.103(Business associate)(1)(i)").parent == "160.103(ANSI)(1)"
    assert document.provision_lead_in("160.103(Business associate)(1)(i)").endswith("a person who:")
    assert document.provision("160.103(Business associate)(3)").parent == "160.103(Business associate)"
    assert document.provision_texts("160.103(Business associate)(3)") == ["Business associate includes:"]
    penalty = document.provision_texts("160.103(Civil money penalty or penalty)")
    assert penalty == ["Civil money penalty or penalty means the amount determined under § 160.404 of this part "
                       "and includes the plural of these terms."]
    assert "78 FR 5687" not in document.text


# --- generic HTML -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def generic() -> SourceDocument:
    return read("generic-code.html")


def test_generic_headings_open_provisions_by_level(generic):
    check_offsets(generic)
    assert generic.title == "Acme Data Protection Code"
    assert generic.metadata == {"language": "en-GB"}
    top = generic.provision("acme-data-protection-code")  # no number: a slug of the heading
    assert (top.kind, top.title, top.label, top.parent) == ("heading", "Acme Data Protection Code", None, None)
    article = generic.provision("Article 2")
    assert (article.kind, article.label, article.title, article.parent) == (
        "article", "Article 2", "Principles", "acme-data-protection-code")
    assert generic.provision("Article 1").title == "Scope"
    assert generic.provision("Section 2.1").parent == "Article 2"  # h3 inside the h2's provision
    assert generic.provision("§ 12").title == "Transfers"
    assert generic.provision("3.4").title == "Final provisions"
    assert generic.provision("article-7").title == "Accountability"  # an anchor id on its section
    assert generic.provision("Article 9").parent == "acme-data-protection-code"  # <article><header> is kept
    assert generic.provision_texts("Article 1") == ["This code covers personal data processed by Acme.",
                                               "Unclosed paragraph two."]


def test_generic_list_items_are_points_with_lead_ins(generic):
    ids = [p.id for p in generic.provisions if p.kind == "point"]
    assert ids[:5] == ["Article 2(a)", "Article 2(b)", "Article 2(b)(1)", "Article 2(b)(5)", "Article 2(c)"]
    assert generic.provision("Article 2(b)(5)").parent == "Article 2(b)"  # <li value="5">
    assert generic.provision("Article 2(a)").label == "(a)"  # <ol type="a">
    assert generic.provision_texts("Article 2(a)") == ["processed lawfully, fairly and in a transparent manner;"]
    for item in ("Article 2(a)", "Article 2(b)", "Article 2(c)"):
        assert generic.provision_lead_in(item) == "Personal data shall be:"
    assert generic.provision_lead_in("Article 2(b)(1)") == "collected for specified purposes, which include:"
    # printed labels in a <ul> are taken as labels, not left in the block
    assert generic.provision("§ 12(a)").label == "(a)"
    assert generic.provision_texts("§ 12(b)") == ["Approval must be written."]
    # a table row whose first cell is a label is a point too
    assert generic.provision_texts("definitions-and-terms(1)") == ["Managers shall approve transfers."]


def test_generic_blocks_breaks_and_skipped_content(generic):
    assert generic.provision_texts("Section 2.1") == [
        "Records must be deleted after five years.", "First part of a loose text", "Second part of it"]
    assert generic.provision_texts("definitions-and-terms") == [
        "Employee", "a person employed by Acme.", "Retention periods", "Data | Period", "Invoices | 7 years"]
    for word in ("HEADERWORD", "NAVWORD", "NOSCRIPTWORD", "TEMPLATEWORD", "COMMENTWORD", "SCRIPTWORD",
                 "STYLEWORD", "FOOTERWORD", "Article 99"):
        assert word not in generic.text


def test_generic_page_reads_its_main_and_takes_the_h1_as_title():
    data = (b"<html><body><div class='menu'><p>Menu text</p></div><main><h1>Staff Rules</h1>"
            b"<h2>Rule 4 Leave</h2><p>Staff must request leave as follows:</p><ol start='3'><li>in writing;</li>"
            b"<li>two weeks ahead.</li></ol></main></body></html>")
    document = read_html(Path("rules.html"), data)
    assert document.title == "Staff Rules"
    assert "Menu text" not in document.text
    assert [p.id for p in document.provisions] == ["staff-rules", "Rule 4", "Rule 4(3)", "Rule 4(4)"]
    assert document.provision_lead_in("Rule 4(4)") == "Staff must request leave as follows:"


def test_section_divs_without_ecfr_markup_are_read_as_a_generic_page():
    data = (b"<html><body><p>Intro before the sections.</p><div class='section' id='1.2'>"
            b"<h2>Article 3 Duties</h2><p>Staff shall report incidents.</p></div></body></html>")
    document = read_html(Path("plain.html"), data)
    assert document.provision_texts("") == ["Intro before the sections."]  # text outside any provision
    assert document.provision_texts("Article 3") == ["Staff shall report incidents."]
    assert "jurisdiction" not in document.metadata


def test_read_document_dispatches_html():
    document = read_document(DATA / "generic-code.html")
    assert document.format == "html" and document.provision("Article 2(b)(1)") is not None


def test_reading_twice_gives_the_same_document():
    for name in ("ecfr-part-164-excerpt.html", "generic-code.html"):
        first, second = read(name), read(name)
        assert first.text == second.text
        assert [(p.id, p.start, p.end, p.parent) for p in first.provisions] == [
            (p.id, p.start, p.end, p.parent) for p in second.provisions]
        assert first.blocks == second.blocks
        assert first.content_hash == second.content_hash


# --- encodings and bad input --------------------------------------------------------------------


def test_declared_windows_1252_is_decoded():
    document = read("windows-1252.html")
    assert document.title == "Café règles"
    assert document.provision_texts("§ 3") == ["Le café doesn’t store “personal data” – ever."]


def test_xml_declared_iso_8859_1_reads_as_browsers_do():
    document = read("iso-8859-1.xhtml")  # 0x92 is ’ in windows-1252, as browsers read Latin-1 pages
    assert document.block_text(document.blocks[0]) == "The controller’s duty is naïve."


def test_utf8_page_that_still_declares_latin1_is_read_as_utf8():
    document = read("utf8-declared-latin1.html")
    assert document.block_text(document.blocks[0]) == "Die Straße § 5 gilt."


def test_utf16_page_with_byte_order_mark():
    data = "<html><body><p>Daten über § 7.</p></body></html>".encode("utf-16")
    document = read_html(Path("utf16.html"), data)
    assert document.block_text(document.blocks[0]) == "Daten über § 7."


def test_non_utf8_without_declaration_is_refused_naming_the_file():
    path = DATA / "not-utf8.html"
    with pytest.raises(DocumentError, match=r"not-utf8\.html: not UTF-8 .*meta charset"):
        read_html(path, path.read_bytes())


def test_unknown_charset_is_refused():
    path = DATA / "unknown-charset.html"
    with pytest.raises(DocumentError, match=r"unknown-charset\.html: .*'klingon-8'.*not a known encoding"):
        read_html(path, path.read_bytes())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"  \n\t ", "the file is empty"),
        (bytes(range(256)) * 8, "this is binary data"),
        (b"%PDF-1.7\n\x00\x01\x02\x03 binary", "this is binary data"),
    ],
)
def test_empty_and_binary_files_are_refused(tmp_path, data, message):
    path = tmp_path / "page.html"
    path.write_bytes(data)
    with pytest.raises(DocumentError, match=f"page.html: {message}"):
        read_html(path, data)
    with pytest.raises(DocumentError, match=message):
        read_document(path)


def test_page_without_text_is_refused():
    path = DATA / "no-text.html"
    with pytest.raises(DocumentError, match=r"no-text\.html: no text found in this html document"):
        read_html(path, path.read_bytes())


# --- the full eCFR pages (shared data) ----------------------------------------------------------


@functools.cache
def _read_timed(path: Path) -> tuple[SourceDocument, float]:
    started = time.perf_counter()
    document = read_html(path, path.read_bytes())
    return document, time.perf_counter() - started


@pytest.fixture
def hipaa_pages(shared_data) -> dict[str, tuple[SourceDocument, float]]:
    """Parts 160 and 164 with the seconds each took to read (read once per test session)."""
    folder = shared_data / "hipaa-goldcoin" / "regulations"
    return {part: _read_timed(folder / f"subchapter-C_part-{part}.html") for part in ("160", "164")}


def test_hipaa_pages_load(hipaa_pages):
    for part, (document, seconds) in hipaa_pages.items():
        check_offsets(document)
        assert document.title == {"160": "45 CFR Part 160 -- General Administrative Requirements",
                                  "164": "45 CFR Part 164 -- Security and Privacy"}[part]
        assert seconds < 5
        assert "Enhanced Content" not in document.text and "Table of Contents" not in document.text
        assert not any("FR " in document.block_text(b) and "[" in document.block_text(b) for b in document.blocks)
    part_164, _ = hipaa_pages["164"]
    # every paragraph id the page carries is a provision (1,207), with parts, subparts, sections
    assert sum(p.kind in ("paragraph", "definition") for p in part_164.provisions) == 1207
    assert sum(p.kind == "section" for p in part_164.provisions) == 39
    assert not any("~" in p.id for p in part_164.provisions)


def test_hipaa_164_502(hipaa_pages):
    document, _ = hipaa_pages["164"]
    standard = document.provision("164.502(a)")
    assert standard.title == "Standard." and standard.parent == "164.502"
    assert document.provision_texts("164.502(a)")[0].startswith(
        "A covered entity or business associate may not use or disclose protected health information")
    assert document.provision_texts("164.502(a)(1)")[-1].endswith("as follows:")
    assert document.provision_lead_in("164.502(a)(1)(i)").endswith("as follows:")
    assert document.provision("164.502").parent == "Part 164 Subpart E"
    assert document.provision("Part 164 Subpart E").parent == "Part 164"
    assert document.provision("Appendix A to Subpart C of Part 164").kind == "appendix"


def test_hipaa_160_103_definitions(hipaa_pages):
    document, _ = hipaa_pages["160"]
    assert document.provision("160.103(Business associate)(1)(ii)").parent == "160.103(ANSI)(1)"
    assert document.provision("160.103(Business associate)(4)(i)").parent == "160.103(Business associate)(4)"
    assert document.provision_texts("160.103(Act)") == ["Act means the Social Security Act."]
