"""The PDF reader: the text layer structured like plain text, page furniture dropped, and one-line
errors for scans, passwords and damaged or fake PDFs. The PDFs in tests/data/pdf were made by
tests/data/pdf/make_pdfs.py (fpdf2); these tests only read them."""

from __future__ import annotations

import logging
import random
from pathlib import Path

import pytest

from pipeline.framers.document import DocumentError, SourceDocument
from pipeline.framers.readers import read_document
from pipeline.framers.readers.pdf import read_pdf

DATA = Path(__file__).resolve().parents[1] / "data" / "pdf"
ARTICLES = DATA / "articles.pdf"


def read(path: Path, data: bytes | None = None) -> SourceDocument:
    return read_pdf(path, path.read_bytes() if data is None else data)


def refusal(path: Path, data: bytes) -> str:
    with pytest.raises(DocumentError) as caught:
        read_pdf(path, data)
    message = str(caught.value)
    assert str(path) in message and "\n" not in message
    return message


def test_pdf_articles_become_provisions_with_citation_ids():
    doc = read(ARTICLES)
    assert doc.format == "pdf" and doc.doc_id == "articles"
    assert doc.title == "Acme Data Regulation"  # the PDF's Title metadata
    assert [(p.id, p.parent) for p in doc.provisions] == [
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
        ("Article 3", "Chapter I"),
    ]
    article = doc.provision("Article 2")
    assert (article.kind, article.title) == ("article", "Principles")  # title on the next line
    assert doc.provision("Chapter I").title == "GENERAL PROVISIONS"


def test_pdf_wrapped_lines_join_and_paragraphs_split_at_the_gap():
    doc = read(ARTICLES)
    assert doc.provision_texts("Article 1(1)") == [
        "This Regulation lays down rules for the handling of customer data by the staff of the company "
        "and by every contractor who processes such data on its behalf."
    ]
    assert doc.provision_texts("Article 2(1)(b)") == [
        "collected for specified purposes and not further processed in a manner that is incompatible "
        "with those purposes; and"
    ]
    # two unnumbered paragraphs, one line each: the space between them separates the blocks
    assert doc.provision_texts("Article 3") == [
        "Staff must lock their screens when they leave their desks.",
        "Passwords must never be shared with anyone, including the IT department.",
    ]
    for block in doc.blocks:
        assert doc.text[block.start : block.end] == doc.block_text(block)


def test_pdf_lead_ins():
    doc = read(ARTICLES)
    for point in ("Article 2(1)(a)", "Article 2(1)(b)", "Article 2(1)(c)"):
        block = next(b for b in doc.blocks if b.provision == point)
        assert doc.lead_in_text(block) == "Customer data shall be:"


def test_pdf_running_headers_footers_and_page_numbers_are_dropped():
    doc = read(ARTICLES)
    assert "Official Journal" not in doc.text and "Page " not in doc.text
    # "Article 2" / "Article 3" open pages 2 and 3 too, but a heading is never a running header
    assert doc.provision("Article 3") is not None


def test_pdf_encrypted_with_empty_password_is_read():
    doc = read(DATA / "encrypted-open.pdf")
    assert [p.id for p in doc.provisions] == ["Article 1", "Article 1(1)"]
    assert doc.provision_texts("Article 1(1)") == ["Staff must lock their screens."]


def test_pdf_with_a_password_is_refused():
    path = DATA / "encrypted-locked.pdf"
    message = refusal(path, path.read_bytes())
    assert "password" in message and "qpdf --decrypt" in message


@pytest.mark.parametrize("name", ["scan.pdf", "blank.pdf"])
def test_pdf_without_text_layer_says_run_ocr(name):
    path = DATA / name
    message = refusal(path, path.read_bytes())
    assert "has no text layer (it is probably a scan); run OCR first, e.g. ocrmypdf IN.pdf OUT.pdf" in message


def test_truncated_pdf_is_damaged_and_pypdf_stays_quiet(caplog):
    data = ARTICLES.read_bytes()
    path = Path("cut.pdf")
    with caplog.at_level(logging.DEBUG):
        message = refusal(path, data[: int(len(data) * 0.6)])
    assert "damaged or truncated" in message
    assert not [r for r in caplog.records if r.name.startswith("pypdf")]
    assert logging.getLogger("pypdf").level == logging.NOTSET  # put back as it was


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("random.pdf", random.Random(7).randbytes(4000), "not a PDF"),
        ("notes.pdf", b"Article 1\n\n1. Staff must lock their screens.\n", "not a PDF"),
        ("garbled.pdf", b"%PDF-1.7\n" + random.Random(8).randbytes(4000), "damaged or truncated"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_files_that_are_not_readable_pdfs_are_refused(name, data, reason):
    assert reason in refusal(Path(name), data)


def test_reading_twice_gives_the_same_document():
    first, second = read(ARTICLES), read(ARTICLES)
    assert first.text == second.text
    assert first.provisions == second.provisions
    assert first.blocks == second.blocks


def test_read_document_dispatches_pdf(tmp_path):
    assert read_document(ARTICLES).provision("Article 2(1)(c)") is not None
    fake = tmp_path / "fake.pdf"
    fake.write_text("not a pdf at all")
    with pytest.raises(DocumentError, match="not a PDF"):
        read_document(fake)
