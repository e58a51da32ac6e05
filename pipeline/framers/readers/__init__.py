"""Readers: one per regulation format, each turning a file into a ``SourceDocument``.

``read_document(path)`` picks the reader by suffix (and, for ``.xml``, by the root element) and
refuses files over the size limit before reading them. Every reader raises ``DocumentError``
naming the file and the fix; none writes anything anywhere.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.framers.document import DocumentError, SourceDocument

# A regulation is a few MB at most (the whole GDPR is 0.4 MB of text); a file far bigger is
# almost surely not one, and reading it would hold the batch for minutes.
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024

TEXT_SUFFIXES = {".txt", ".text"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
PDF_SUFFIXES = {".pdf"}
XML_SUFFIXES = {".xml"}
SUFFIXES = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES | XML_SUFFIXES



def read_document(path: Path, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> SourceDocument:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DocumentError(f"{path}: no reader for {suffix or 'files without a suffix'}; " + _KNOWN)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read it ({exc.strerror}); check the path") from exc
    if size > max_bytes:
        raise DocumentError(
            f"{path}: {size / 2**20:.0f} MB is over the {max_bytes / 2**20:.0f} MB limit for one document; "
            "split it, or raise the limit with --max-size if it really is one regulation"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{path}: cannot read it ({exc.strerror}); check the path") from exc
    if suffix in TEXT_SUFFIXES:
        from pipeline.framers.readers.text import read_text

        return read_text(path, data)
    if suffix in MARKDOWN_SUFFIXES:
        from pipeline.framers.readers.text import read_markdown

        return read_markdown(path, data)
    if suffix in HTML_SUFFIXES:
        from pipeline.framers.readers.html import read_html

        return read_html(path, data)
    if suffix in PDF_SUFFIXES:
        from pipeline.framers.readers.pdf import read_pdf

        return read_pdf(path, data)
    from pipeline.framers.readers.xml import read_xml

    return read_xml(path, data)


_KNOWN = "Alignment Studio reads .txt, .md, .html, .pdf, Akoma Ntoso and USLM .xml, policy .yaml and RDF files"
