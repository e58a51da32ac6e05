"""PDF reader: the text layer, read with pypdf, then structured like plain text.

Format mapping (format "pdf"):
- ``pypdf.PdfReader`` reads the bytes; each page's ``extract_text()`` gives its lines. An
  encrypted PDF is opened with the empty password (the usual "no copying" protection); one that
  needs a real password is refused with the fix.
- Running headers and footers are dropped: a line among the first or last two of a page whose
  shape (digits ignored) recurs on at least half of the pages (two at least), and lone page
  numbers ("12", "Page 3", "3/10", "- 4 -") at the top or bottom of a page. Lines that read as a
  heading or an item ("Article 5", "(a) ...") are never taken for a header.
- Pages are joined line by line (a paragraph may run on to the next page). The extracted text
  has no blank lines, so the end of a paragraph is marked with one where the gap to the next
  line is over 1.2 times the usual line pitch (pypdf's visitor gives each line's baseline), or
  after a line that ends a sentence well short of the full line width (PDFs that do not space
  their paragraphs).
- The lines then go through ``structure_plain_text`` (see text.py): "Article 5" / "CHAPTER II" /
  "§ 164.502" headings, "1." / "(a)" / "(i)" items, wrapped lines joined into one block. The
  PDF's Title metadata, when set, is the document title.

Errors, one line each, never a traceback: no "%PDF-" header (not a PDF), anything pypdf raises
while reading (damaged or truncated), no text on any page (a scan: run OCR), a password. pypdf's
own warnings about damaged files are silenced while it reads: the error says it once.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import re
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import DependencyError

from pipeline.framers.document import DocumentBuilder, DocumentError, SourceDocument, normalise_text
from pipeline.framers.readers.text import is_structure_line, structure_plain_text

# "12", "Page 3", "3/10", "3 of 10", "- 4 -"
_PAGE_NUMBER = re.compile(
    r"(?i)(?:page[ \t]+)?\d{1,4}(?:[ \t]*(?:/|of)[ \t]*\d{1,4})?|[-\u2013\u2014][ \t]*\d{1,4}[ \t]*[-\u2013\u2014]"
)
_ENDS_SENTENCE = re.compile(r"[.!?:;][\"'”’)]*$")
_LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl"})
_EDGE = 2  # how many lines at the top and bottom of a page may be header or footer


@dataclass
class _Line:
    text: str
    y: float | None  # height of the baseline on the page (PDF units, upwards); None when unknown


def read_pdf(path: Path, data: bytes) -> SourceDocument:
    if not data.strip():
        raise DocumentError(f"{path}: the file is empty; give a PDF with text in it")
    if b"%PDF-" not in data[:1024]:
        raise DocumentError(
            f"{path}: not a PDF (there is no %PDF- header at its start); "
            "check that it is the file you meant, or name it by its real format (.txt, .md, .html)"
        )
    pages, title = _extract(path, data)
    if not pages:
        raise DocumentError(f"{path}: the PDF has no pages; check that it is the file you meant")
    if not any(line.text.strip() for page in pages for line in page):
        raise DocumentError(
            f"{path}: the PDF has no text layer (it is probably a scan); run OCR first, e.g. ocrmypdf IN.pdf OUT.pdf"
        )
    builder = DocumentBuilder(path, data, "pdf")
    builder.title = title
    structure_plain_text(builder, "\n".join(_clean(pages)), title_from_first_line=title is None)
    return builder.build()


def _extract(path: Path, data: bytes) -> tuple[list[list[_Line]], str | None]:
    """Each page's lines and the Title metadata; any failure inside pypdf is a damaged file."""
    with _quiet_pypdf():
        try:
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                try:
                    opened = reader.decrypt("")
                except DependencyError as exc:
                    raise DocumentError(
                        f"{path}: the PDF is encrypted with AES, which needs the 'cryptography' package to read; "
                        "pip install cryptography, or remove the protection, e.g. qpdf --decrypt IN.pdf OUT.pdf"
                    ) from exc
                if not opened:
                    raise DocumentError(
                        f"{path}: the PDF is protected by a password; remove the protection first, "
                        "e.g. qpdf --decrypt --password=PASSWORD IN.pdf OUT.pdf"
                    )
            pages = [_page_lines(page) for page in reader.pages]
            metadata = reader.metadata
            title = normalise_text(str(metadata.title)) if metadata is not None and metadata.title else None
        except DocumentError:
            raise
        except Exception as exc:  # pypdf raises many kinds (PdfReadError, KeyError, ValueError, ...)
            reason = normalise_text(str(exc))[:160] or type(exc).__name__
            raise DocumentError(
                f"{path}: the PDF is damaged or truncated and cannot be read ({reason}); "
                "get a complete copy of the file, or repair it, e.g. qpdf IN.pdf OUT.pdf"
            ) from exc
    return pages, title or None


def _page_lines(page) -> list[_Line]:
    """The page's text lines, each with the height of its baseline when pypdf reports it."""
    pieces: list[tuple[str, float | None]] = []

    def visit(text, cm, tm, font, size) -> None:
        if text:  # the piece's baseline in page space: the text matrix applied to the current matrix
            try:
                y = float(tm[4] * cm[1] + tm[5] * cm[3] + cm[5])
            except (TypeError, IndexError, ValueError):
                y = None  # no position: the line gets no height, the width rule still applies
            pieces.append((text, y))

    text = page.extract_text(visitor_text=visit) or ""
    if "".join(piece for piece, _ in pieces) != text:  # pieces do not add up: lines without heights
        return [_Line(line, None) for line in text.splitlines()]
    lines: list[_Line] = []
    current, height = "", None
    for piece, y in pieces:
        for index, part in enumerate(piece.split("\n")):
            if index:
                lines.append(_Line(current, height))
                current, height = "", None
            if part.strip() and height is None:
                height = y
            current += part
    lines.append(_Line(current, height))
    return lines


@contextlib.contextmanager
def _quiet_pypdf():
    """pypdf logs a warning for every flaw it works around; the reader reports one error instead."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _clean(pages: list[list[_Line]]) -> list[str]:
    """The document's lines: headers, footers and page numbers dropped, paragraph ends marked
    with a blank line, ligatures spelled out."""
    page_lines = []
    for page in pages:
        lines = [_Line(line.text.translate(_LIGATURES).strip(), line.y) for line in page]
        while lines and not lines[0].text:
            lines.pop(0)
        while lines and not lines[-1].text:
            lines.pop()
        page_lines.append(lines)
    headers = _repeated([[line.text for line in lines[:_EDGE]] for lines in page_lines])
    footers = _repeated([[line.text for line in lines[-_EDGE:]] for lines in page_lines])
    kept: list[list[_Line]] = []
    for lines in page_lines:
        top = 0
        while top < min(_EDGE, len(lines)) and _is_furniture(lines[top].text, headers):
            top += 1
        bottom = len(lines)
        while bottom > top and len(lines) - bottom < _EDGE and _is_furniture(lines[bottom - 1].text, footers):
            bottom -= 1
        kept.append(lines[top:bottom])
    return _mark_paragraph_ends(kept)


def _shape(line: str) -> str:
    return re.sub(r"\d+", "#", line.lower())


def _repeated(edges: list[list[str]]) -> set[str]:
    """Shapes of lines that recur at the same edge of at least half of the pages."""
    if len(edges) < 2:
        return set()
    counts = Counter()
    for lines in edges:
        counts.update({_shape(line) for line in lines if line and not is_structure_line(line)})
    needed = max(2, math.ceil(len(edges) / 2))
    return {shape for shape, count in counts.items() if count >= needed}


def _is_furniture(line: str, repeated: set[str]) -> bool:
    if not line:
        return True
    return bool(_PAGE_NUMBER.fullmatch(line)) or (_shape(line) in repeated and not is_structure_line(line))


def _mark_paragraph_ends(pages: list[list[_Line]]) -> list[str]:
    """The lines of all pages, with a blank line where a paragraph ends: where the gap to the
    next line is clearly wider than the usual line pitch, or after a line that ends a sentence
    well short of the full line width (for PDFs without spacing between paragraphs)."""
    lengths = sorted(len(line.text) for page in pages for line in page if line.text)
    if not lengths:
        return []
    full = lengths[int(0.9 * (len(lengths) - 1))]
    gaps = sorted(
        a.y - b.y
        for page in pages
        for a, b in zip(page, page[1:])
        if a.y is not None and b.y is not None and a.y - b.y > 1
    )
    pitch = gaps[int(0.2 * (len(gaps) - 1))] if gaps else None  # most lines are wrapped lines
    marked: list[str] = []
    for page in pages:
        for index, line in enumerate(page):
            marked.append(line.text)
            following = page[index + 1] if index + 1 < len(page) else None
            wide_gap = (
                pitch is not None
                and following is not None
                and line.y is not None
                and following.y is not None
                and line.y - following.y > 1.2 * pitch
            )
            short_end = bool(line.text) and _ENDS_SENTENCE.search(line.text) and len(line.text) < 0.8 * full
            if wide_gap or short_end:
                marked.append("")
    return marked
