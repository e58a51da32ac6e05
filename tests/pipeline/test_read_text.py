"""The plain-text and Markdown readers: provision trees, citation ids, blocks and their offsets,
lead-ins, refusals; on small files in tests/data/text, the shipped GDPR and GitLab examples,
and (when present) the shared GitLab code of conduct."""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path

import pytest

from pipeline.framers.document import DocumentError, SourceDocument
from pipeline.framers.readers import read_document
from pipeline.framers.readers.text import read_markdown, read_text

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "text"
GDPR = ROOT / "pipeline" / "examples" / "gdpr" / "gdpr.md"
GITLAB = ROOT / "pipeline" / "examples" / "gitlab" / "gitlab-code-of-conduct.md"


def read(path: Path) -> SourceDocument:
    reader = read_markdown if path.suffix == ".md" else read_text
    return reader(path, path.read_bytes())


def tree(doc: SourceDocument) -> list[tuple[str, str | None]]:
    return [(p.id, p.parent) for p in doc.provisions]


def check_offsets(doc: SourceDocument) -> None:
    """Every block is a trimmed span inside its provision's span; provisions nest."""
    by_id = {p.id: p for p in doc.provisions}
    for block in doc.blocks:
        text = doc.text[block.start : block.end]
        assert text and text == text.strip() and "\n" not in text
        if block.provision:
            owner = by_id[block.provision]
            assert owner.start <= block.start and block.end <= owner.end
    for provision in doc.provisions:
        if provision.parent:
            parent = by_id[provision.parent]
            assert parent.start <= provision.start and provision.end <= parent.end


# --- plain text ----------------------------------------------------------------------------------


def test_plain_text_articles_paragraphs_and_points_get_citation_ids():
    doc = read(DATA / "regulation.txt")
    assert doc.format == "text" and doc.doc_id == "regulation"
    assert doc.title == "Acme Data Regulation"
    assert tree(doc) == [
        ("Chapter I", None),
        ("Article 1", "Chapter I"),
        ("Article 1(1)", "Article 1"),
        ("Article 1(2)", "Article 1"),
        ("Article 2", "Chapter I"),
        ("Article 2(1)", "Article 2"),
        ("Article 2(1)(a)", "Article 2(1)"),
        ("Article 2(1)(b)", "Article 2(1)"),
        ("Article 2(1)(c)", "Article 2(1)"),
        ("Article 2(2)", "Article 2"),
        ("Article 2(2)(a)", "Article 2(2)"),
        ("Article 2(2)(a)(i)", "Article 2(2)(a)"),
        ("Article 2(2)(a)(ii)", "Article 2(2)(a)"),
        ("Article 2(2)(b)", "Article 2(2)"),
        ("Chapter II", None),
        ("Article 3", "Chapter II"),
        *[(f"Article 3({letter})", "Article 3") for letter in "abcdefghi"],
    ]
    chapter, article = doc.provision("Chapter I"), doc.provision("Article 1")
    assert (chapter.kind, chapter.label, chapter.title) == ("chapter", "CHAPTER I", "GENERAL PROVISIONS")
    assert (article.kind, article.label, article.title) == ("article", "Article 1", "Subject matter")
    assert doc.provision("Article 2").title == "Principles"  # "Article 2 - Principles" on one line
    point = doc.provision("Article 2(1)(a)")
    assert (point.kind, point.label) == ("point", "(a)")
    assert doc.provision("Article 2(1)").kind == "paragraph"
    check_offsets(doc)


def test_plain_text_wrapped_lines_join_into_one_block():
    doc = read(DATA / "regulation.txt")
    assert doc.provision_texts("Article 1(1)") == [
        "This Regulation lays down rules for the handling of customer data by the staff of the company."
    ]
    # "(a) of Article 1." starts a line but carries on the sentence before it: not a point
    assert doc.provision_texts("Article 2(1)(c)") == [
        "kept no longer than necessary, as referred to in point (a) of Article 1."
    ]


def test_plain_text_unnumbered_paragraph_after_points_belongs_to_the_numbered_paragraph():
    doc = read(DATA / "regulation.txt")
    assert doc.provision_texts("Article 2(1)") == ["Customer data shall be:", "Point (c) does not apply to archives."]


def test_plain_text_lead_ins_link_points_to_the_colon_block():
    doc = read(DATA / "regulation.txt")
    for point in ("Article 2(1)(a)", "Article 2(1)(b)", "Article 2(1)(c)"):
        assert doc.provision_lead_in(point) == "Customer data shall be:"
    assert doc.provision_lead_in("Article 2(2)(a)(i)") == "the purposes, which shall be:"
    assert doc.provision_lead_in("Article 3(i)") == "Staff shall:"
    assert doc.provision_lead_in("Article 1(2)") is None


def test_roman_or_letter_is_decided_by_the_previous_sibling():
    doc = read(DATA / "regulation.txt")
    # "(i)" after "(h)" is the ninth point; "(i)" under "(a) ...:" starts roman numbering
    assert doc.provision("Article 3(i)").parent == "Article 3"
    assert doc.provision_texts("Article 3(i)") == ["return badges on leaving."]
    assert doc.provision("Article 2(2)(a)(ii)").parent == "Article 2(2)(a)"


def test_plain_text_cfr_sections_and_paragraph_levels():
    doc = read(DATA / "cfr.txt")
    assert tree(doc) == [
        ("Part 164", None),
        ("Part 164 Subpart E", "Part 164"),
        ("164.502", "Part 164 Subpart E"),
        ("164.502(a)", "164.502"),
        ("164.502(a)(1)", "164.502(a)"),
        ("164.502(a)(1)(i)", "164.502(a)(1)"),
        ("164.502(a)(1)(ii)", "164.502(a)(1)"),
        ("164.502(a)(2)", "164.502(a)"),
        ("164.502(b)", "164.502"),
        ("164.504", "Part 164 Subpart E"),
        ("164.504(a)", "164.504"),
    ]
    section = doc.provision("164.502")
    assert section.label == "§ 164.502"
    assert section.title == "Uses and disclosures of protected health information: General rules."
    assert doc.provision_texts("164.502(b)") == ["Standard: Minimum necessary."]
    assert doc.provision_lead_in("164.502(a)(1)(i)").endswith("as follows:")


def test_plain_text_numbered_headings_and_dotted_numbers():
    doc = read(DATA / "policy.txt")
    assert doc.title == "Acme Code of Conduct"
    assert tree(doc) == [
        ("1", None),
        ("2", None),
        ("2.1", "2"),
        ("2.2", "2"),
        ("2.2(a)", "2.2"),
        ("2.2(b)", "2.2"),
        ("Section 3", None),
        ("3.1", "Section 3"),
        ("3.2", "Section 3"),
    ]
    intro = doc.provision("1")
    assert (intro.kind, intro.label, intro.title) == ("section", "1.", "Introduction")
    assert doc.provision_texts("1") == [
        "This Code applies to all employees and contractors of Acme.",
        "We expect everyone to read it.",
    ]
    assert doc.provision("2.2(a)").label == "a)"
    assert doc.provision_lead_in("2.2(b)") == "Employees shall report any gift to their manager:"
    check_offsets(doc)


def test_plain_text_without_structure_is_paragraph_blocks(tmp_path):
    path = tmp_path / "memo.txt"
    path.write_text("Staff must lock their screens.\nThey must not share passwords.\n\nVisitors sign in.\n")
    doc = read(path)
    assert doc.provisions == []
    assert [doc.block_text(b) for b in doc.blocks] == [
        "Staff must lock their screens. They must not share passwords.",
        "Visitors sign in.",
    ]
    assert all(b.provision == "" for b in doc.blocks)


# --- Markdown ------------------------------------------------------------------------------------


def test_markdown_headings_lists_and_lead_ins():
    doc = read(DATA / "policy.md")
    assert doc.format == "markdown"
    assert doc.title == "Acme Data Policy"  # front matter; the setext H1 is the title line, no provision
    assert doc.metadata == {"issued": __import__("datetime").date(2024, 3, 1), "jurisdiction": "EU"}
    assert tree(doc) == [
        ("scope", None),
        ("Article 5", None),
        ("Article 5(1)", "Article 5"),
        ("Article 5(1)(a)", "Article 5(1)"),
        ("Article 5(1)(b)", "Article 5(1)"),
        ("Article 5(2)", "Article 5"),
        ("Article 5(2) item 1", "Article 5(2)"),
        ("Article 5(2) item 2", "Article 5(2)"),
        ("exceptions", "Article 5"),
        ("exceptions(a)", "exceptions"),
        ("exceptions(b)", "exceptions"),
        ("Annex I", None),
        ("Annex I item 1", "Annex I"),
        ("Annex I item 2", "Annex I"),
    ]
    article = doc.provision("Article 5")
    assert (article.kind, article.label, article.title) == ("article", "Article 5", "Handling of data")
    assert doc.provision("scope").title == "Scope"
    # an indented paragraph after the points stays in the numbered paragraph
    assert doc.provision_texts("Article 5(1)") == ["Personal data shall be:", "Point (b) does not apply to paper files."]
    for point in ("Article 5(1)(a)", "Article 5(1)(b)"):
        assert doc.provision_lead_in(point) == "Personal data shall be:"
    assert doc.provision_lead_in("Article 5(2) item 2") == "Staff must:"
    assert doc.provision_lead_in("exceptions(b)") == "The following are exempt:"
    check_offsets(doc)


def test_markdown_inline_markup_is_stripped_and_skipped_parts_never_reach_the_text():
    doc = read(DATA / "policy.md")
    assert doc.provision_texts("scope") == ["This policy applies to all staff and contractors."]
    assert doc.provision_texts("Article 5(1)(a)") == ["processed lawfully and fairly;"]
    assert doc.provision_texts("Article 5(1)(b)") == ["kept encrypted at rest."]
    assert doc.provision_texts("Article 5(2) item 1") == ["report breaches to the security team;"]
    assert doc.provision_texts("Annex I item 1") == ["Security team: security@example.com"]
    assert doc.provision_texts("Annex I item 2") == ["Legal team *on call*"]  # escaped stars are text
    for hidden in ("code block", "Article 9", "internal note", "jurisdiction", "Acme Data Policy", "**", "](", "`"):
        assert hidden not in doc.text


def test_markdown_heading_levels_nest_and_numbered_headings(tmp_path):
    path = tmp_path / "handbook.md"
    path.write_text(
        "# Part One\n\nIntro.\n\n## 1. Scope\n\nText.\n\n### 1.1 Staff\n\nMore.\n\n"
        "## Gifts & *Hospitality*\n\nNone.\n\n# Part Two\n\nEnd.\n",
        encoding="utf-8",
    )
    doc = read(path)
    assert doc.title is None  # two level-1 headings: both are provisions
    assert tree(doc) == [
        ("part-one", None),
        ("part-one(1)", "part-one"),
        ("1.1", "part-one(1)"),
        ("gifts-hospitality", "part-one"),
        ("part-two", None),
    ]
    assert doc.provision("gifts-hospitality").title == "Gifts & Hospitality"
    assert doc.provision_texts("1.1") == ["More."]


def test_markdown_atx_heading_markup_and_code_spans(tmp_path):
    path = tmp_path / "rules.md"
    path.write_text(
        "## Section 4: Use of `sudo` {#use}\n\n"
        "Run `rm *.tmp *.bak` only with **approval** from [the lead][lead].\n\n"
        "[lead]: https://example.com/lead\n",
        encoding="utf-8",
    )
    doc = read(path)
    section = doc.provision("Section 4")
    assert (section.kind, section.title) == ("section", "Use of sudo")
    assert doc.provision_texts("Section 4") == ["Run rm *.tmp *.bak only with approval from the lead."]


def test_markdown_numbered_list_marker_inside_a_sentence_is_not_an_item(tmp_path):
    path = tmp_path / "wrapped.md"
    path.write_text("## Article 2\n\nThe exception in point\n(a) of Article 1 applies.\n", encoding="utf-8")
    doc = read(path)
    assert [p.id for p in doc.provisions] == ["Article 2"]
    assert doc.provision_texts("Article 2") == ["The exception in point (a) of Article 1 applies."]


def test_recitals_get_recital_ids(tmp_path):
    path = tmp_path / "preamble.md"
    path.write_text("## Recitals\n\n(1) First reason.\n\n(2) Second reason.\n", encoding="utf-8")
    doc = read(path)
    assert [(p.id, p.kind) for p in doc.provisions] == [
        ("recitals", "section"),
        ("Recital 1", "recital"),
        ("Recital 2", "recital"),
    ]


# --- shipped examples ----------------------------------------------------------------------------


def test_gdpr_example_has_article_paragraph_and_point_ids_with_lead_ins():
    started = time.perf_counter()
    doc = read(GDPR)
    seconds = time.perf_counter() - started
    assert doc.title == "Regulation (EU) 2016/679 (General Data Protection Regulation)"
    assert doc.metadata["jurisdiction"] == "EU" and str(doc.metadata["issued"]) == "2016-04-27"
    ids = [p.id for p in doc.provisions]
    assert ids[ids.index("Article 5") : ids.index("Article 5") + 9] == [
        "Article 5",
        "Article 5(1)",
        "Article 5(1)(a)",
        "Article 5(1)(b)",
        "Article 5(1)(c)",
        "Article 5(1)(d)",
        "Article 5(1)(e)",
        "Article 5(1)(f)",
        "Article 5(2)",
    ]
    assert doc.provision("Article 5").title == "Principles relating to processing of personal data"
    assert doc.provision("Article 5").parent == "Chapter II"
    assert doc.provision_texts("Article 5(1)") == ["Personal data shall be:"]
    for letter in "abcdef":
        assert doc.provision_lead_in(f"Article 5(1)({letter})") == "Personal data shall be:"
    # the whole regulation: 99 articles, 173 recitals, sections numbered within their chapter
    kinds = [p.kind for p in doc.provisions]
    assert kinds.count("article") == 99 and kinds.count("recital") == 173 and kinds.count("chapter") == 11
    assert doc.provision("Chapter IV Section 1").parent == "Chapter IV"
    assert doc.provision("Article 24").parent == "Chapter IV Section 1"
    assert doc.provision("Article 4(1)").label == "(1)"
    assert doc.provision_lead_in("Article 4(1)") == "For the purposes of this Regulation:"
    assert doc.provision("Article 53(1) item 1") is not None  # the dashed indents
    assert doc.provision_texts("Article 6(1)")[1].startswith("Point (f) of the first subparagraph")
    assert not [i for i in ids if "~" in i]  # every citation is unique as it stands
    assert len(doc.provisions) == 1060 and len(doc.blocks) == 963
    check_offsets(doc)
    assert seconds < 5


def test_gdpr_example_matches_its_generator(shared_data):
    spec = importlib.util.spec_from_file_location("make_gdpr_md", GDPR.parent / "make_gdpr_md.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    gdpr = json.loads((shared_data / "gdpr-gdprtext" / "gdpr.json").read_text(encoding="utf-8"))
    assert module.render(gdpr) == GDPR.read_text(encoding="utf-8")


def check_gitlab(doc: SourceDocument) -> None:
    assert doc.title == "Code of Business Conduct & Ethics"
    top = [p.id for p in doc.provisions if p.parent is None]
    assert top[2:] == ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "X"]
    assert doc.provision("III").title == "FAIR DEALING"
    assert [p.id for p in doc.provisions if p.parent == "III"] == [f"III item {n}" for n in range(1, 6)]
    assert doc.provision_lead_in("III item 1").endswith("We:")
    assert doc.provision("use-of-gitlab-property").parent == "IV"
    assert doc.provision("reporting-contacts").parent == "VIII"
    # two bullet lists under VIII: numbering goes on, ids stay unique
    assert [p.id for p in doc.provisions if p.parent == "VIII" and p.kind == "point"] == [
        f"VIII item {n}" for n in range(1, 9)
    ]
    assert doc.provision_texts("reporting-contacts item 1") == [
        "Chief Legal Officer – [name and e-mail redacted by the data scout]"
    ]
    for hidden in ("layout:", "{:", "TOC", "**", "](http"):
        assert hidden not in doc.text
    assert "Related Party Transaction Policy" in doc.text  # a link's text stays
    assert not [p.id for p in doc.provisions if "~" in p.id]
    check_offsets(doc)


def test_gitlab_code_of_conduct_shared_copy(shared_data):
    (path,) = sorted((shared_data / "gitlab-code-of-conduct").glob("gitlab-*.md"))
    check_gitlab(read(path))


def test_gitlab_code_of_conduct_shipped_copy():
    check_gitlab(read(GITLAB))


# --- stability, dispatch, refusals ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["regulation.txt", "cfr.txt", "policy.txt", "policy.md"])
def test_reading_twice_gives_the_same_document(name):
    first, second = read(DATA / name), read(DATA / name)
    assert first.text == second.text
    assert first.provisions == second.provisions
    assert first.blocks == second.blocks
    assert first.content_hash == second.content_hash


def test_read_document_dispatches_text_and_markdown():
    assert read_document(DATA / "cfr.txt").format == "text"
    assert read_document(DATA / "policy.md").provision("Article 5(1)(a)") is not None


def test_windows_line_endings_and_bom_read_the_same(tmp_path):
    unix = (DATA / "regulation.txt").read_bytes()
    path = tmp_path / "regulation.txt"
    path.write_bytes(b"\xef\xbb\xbf" + unix.replace(b"\n", b"\r\n"))
    assert read(path).provisions == read(DATA / "regulation.txt").provisions


BAD_INPUTS = {
    "empty": (b"", "empty"),
    "blank": (b" \n\n\t\n", "empty"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
    "cp1252": ("Article 1\n\n1. Staff shall not accept gifts – of any value.\n".encode("cp1252"), "not UTF-8"),
}


@pytest.mark.parametrize("suffix", [".txt", ".md"])
@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_inputs_are_refused_with_the_file_named(tmp_path, case, suffix):
    data, reason = BAD_INPUTS[case]
    path = tmp_path / f"{case}{suffix}"
    path.write_bytes(data)
    with pytest.raises(DocumentError) as caught:
        read(path)
    message = str(caught.value)
    assert str(path) in message and reason in message
    assert "\n" not in message


def test_markdown_with_only_markup_has_no_text(tmp_path):
    path = tmp_path / "empty.md"
    path.write_text("---\ntitle: Nothing\n---\n\n<!-- todo -->\n\n```\ncode only\n```\n", encoding="utf-8")
    with pytest.raises(DocumentError, match="no text found"):
        read(path)
