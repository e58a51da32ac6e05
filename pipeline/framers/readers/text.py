"""Plain-text and Markdown readers: headings and numbered paragraphs become provisions.

Both readers decode the bytes with ``decode_text`` (UTF-8 or UTF-16 with a BOM; empty, binary and
non-UTF-8 files are refused with the fix) and then share one set of numbering rules (``_Outline``).

Markdown (``read_markdown``, format "markdown")
- YAML front matter is skipped; its ``title:`` is the document title, its ``issued:``/``date:``,
  ``jurisdiction:`` and ``authority:`` go to the metadata. A single level-1 heading that comes
  before every other heading is the document's title line: it is the title when the front matter
  has none, and it is not a provision (else every provision would hang under it).
- ATX (``#`` .. ``######``) and setext (text underlined with ``===`` / ``---``) headings open
  provisions by level. A heading with a number is identified by its citation:
  "Article 5 — Principles" -> "Article 5", "Chapter III" -> "Chapter III", "Section 1" inside
  a chapter -> "Chapter III Section 1" (sections restart in every chapter), "§ 164.502 Uses" ->
  "164.502", "2.1 Scope" -> "2.1", "I. INTRODUCTION" -> "I"; one without a number gets a slug
  of its text ("Use of GitLab Property" -> "use-of-gitlab-property").
- List items (``-`` ``*`` ``+``, ``1.`` ``1)``, ``(1)``, ``(a)`` ``a)``, ``(i)``, ``(A)``) and
  paragraphs that start with a dotted number ("3.1 The ...") open child provisions of the current
  heading or item: nesting follows the indentation and, at the same indentation, the numbering
  style, so an unindented "(a)" after "1. ...:" is that paragraph's point and its lead-in is
  "...:".
- Paragraphs (separated by blank lines) are blocks. A paragraph indented to an item's content
  stays in that item; an unindented one goes back to the heading, as in CommonMark.
- Inline markup is stripped: emphasis, strike-through, links and images (their text), code
  backticks, HTML tags and entities, backslash escapes. Fenced code blocks, HTML comments, link
  reference definitions and kramdown attribute lines (``{: ...}``, the ``- TOC`` they mark) are
  skipped.

Plain text (``read_text``, format "text"; also the text the PDF reader extracts)
- Lines like "Article 5", "Article 5 - Principles", "CHAPTER II", "Section 3.1 Title",
  "§ 164.502 Uses and disclosures." are headings. A bare heading's title may stand on the next
  line (EUR-Lex: "Article 5" / "Principles relating to ..."). Headings nest by keyword: the same
  keyword (at the same dotted depth) again is a sibling; book/part/title/annex/chapter/subpart
  close the headings below their rank; other keywords nest in the open heading.
- A paragraph (lines up to a blank line) that starts with "1." "1)" "1.2" "(1)" "(a)" "a)" "(i)"
  "(A)" or a bullet is an item, nested by numbering style. A short line "1. Title" / "3.1 Title" /
  "I. TITLE" with no final punctuation is a numbered heading: a titled item whose unnumbered
  paragraphs follow it.
- Lines wrapped inside a paragraph (hard line breaks, PDF lines) join into one block. Inside a
  paragraph a line that starts with a marker starts a new item only when the line before ends a
  sentence or clause (". ; :" or "; and"/"; or") and its number follows on from an open list or
  starts one; so "... referred to in point" / "(a) of paragraph 1" stays one block.
- An unnumbered paragraph after points ((a), (i), bullets) belongs to the numbered paragraph or
  heading above them: in EU drafting it is that paragraph's next subparagraph.
- The first line is the document title when it is short, has no final punctuation, is not a
  heading or item, and a blank line follows it.

Ids are citations: an item's id is its parent's id plus "(x)", so under "Article 5" paragraph
"1." is "Article 5(1)" and its point "(a)" is "Article 5(1)(a)"; a dotted number is an id by
itself ("3.1"); a numbered item with no parent is its number ("1", "(a)"); bullets are
"<parent> item N"; numbered items under a "Recitals" or "Whereas" heading are "Recital N".
"(i)" right after "(h)" (and "(v)" after "(u)", "(x)" after "(w)") is a letter, otherwise a roman
numeral. Repeats get "~2" from the builder.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from pipeline.framers.document import DocumentBuilder, SourceDocument, decode_text, normalise_text


def read_text(path: Path, data: bytes) -> SourceDocument:
    text = decode_text(path, data)
    builder = DocumentBuilder(path, data, "text")
    structure_plain_text(builder, text)
    return builder.build()


def read_markdown(path: Path, data: bytes) -> SourceDocument:
    text = decode_text(path, data)
    builder = DocumentBuilder(path, data, "markdown")
    _MarkdownReader(builder).read(text)
    return builder.build()


# --- numbering markers -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Marker:
    """One reading of an item's number: "(iv)" is roman 4; "(i)" is roman 1 or the letter i."""

    style: str  # num "1." | pnum "(1)" | dotted "1.2" | alpha "(a)" | roman "(i)" | ALPHA | ROMAN | bullet
    value: int  # position in its list (for dotted numbers, the last component)
    token: str  # as it goes into an id: "1", "a", "iv", "3.1"
    label: str | None  # as printed: "1.", "(a)", "a)"; None for bullets
    depth: int = 1  # components of a dotted number


# Styles whose items are points of a paragraph (an unnumbered paragraph after them is not theirs).
_POINT_STYLES = {"alpha", "roman", "ALPHA", "ROMAN", "bullet"}

_ITEM = re.compile(
    r"(?P<label>"
    r"\((?P<paren>\d{1,3}|[a-z]{1,2}|[ivx]{1,6}|[A-Z]{1,2}|[IVX]{1,6})\)"  # (1) (a) (aa) (iv) (A) (IV)
    r"|(?P<dotted>\d{1,3}(?:\.\d{1,3})+)\.?"  # 1.2  3.1.4
    r"|(?P<num>\d{1,3})[.)]"  # 1.  1)
    r"|(?P<close>[a-z]{1,2}|[ivx]{1,6})\)"  # a)  iv)
    r"|(?P<bullet>[-*+\u2022\u25aa\u25e6\u2023\u2013\u2014])"  # - * + • ▪ ◦ ‣ – —
    r")(?:[ \t]+|$)"
)
_MARKDOWN_BULLETS = {"-", "*", "+", "\u2022"}
# "I. INTRODUCTION", "A. Scope": a numbered heading only, never an item.
_LETTER_HEADING = re.compile(r"(?P<token>[IVX]{1,6}|[A-Z])\.[ \t]+(?P<title>\S.*)")
_SMALL_ROMAN = re.compile(r"(?=[ivx])x{0,3}(?:ix|iv|v?i{0,3})")  # 1 .. 39 is plenty for a list
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10}


def _roman_value(token: str) -> int | None:
    token = token.lower()
    if not _SMALL_ROMAN.fullmatch(token):
        return None
    total = 0
    for index, char in enumerate(token):
        value = _ROMAN_VALUES[char]
        following = _ROMAN_VALUES[token[index + 1]] if index + 1 < len(token) else 0
        total += -value if value < following else value
    return total


def _letter_value(token: str) -> int | None:
    token = token.lower()
    if len(token) == 1:
        return ord(token) - ord("a") + 1
    if len(token) == 2 and token[0] == token[1]:  # (aa), (bb): lettering that went past z
        return 26 + ord(token[0]) - ord("a") + 1
    return None


def _readings(token: str, label: str) -> list[_Marker]:
    """Every style the token can be in: "1" one, "iv" one, "i"/"v"/"x" two, "EU" none."""
    if token.isdigit():
        style = "pnum" if label.startswith("(") else "num"
        return [_Marker(style, int(token), token, label)]
    readings = []
    roman = _roman_value(token)
    if roman is not None:
        readings.append(_Marker("roman" if token.islower() else "ROMAN", roman, token, label))
    letter = _letter_value(token)
    if letter is not None and (len(token) == 1 or roman is None):  # "(ii)" is roman, not the 35th letter
        readings.append(_Marker("alpha" if token.islower() else "ALPHA", letter, token, label))
    return readings


def _parse_item(line: str, *, markdown: bool) -> tuple[list[_Marker], str, int] | None:
    """(readings, rest of the line, length of the marker with its spaces) for an item line."""
    match = _ITEM.match(line)
    if not match:
        return None
    rest = line[match.end():]
    if match.group("bullet"):
        bullet = match.group("bullet")
        if markdown and bullet not in _MARKDOWN_BULLETS:
            return None
        if not rest.strip() and not markdown:
            return None  # a lone dash is a rule or a placeholder, not a point
        return [_Marker("bullet", 1, "", None)], rest, match.end()
    if match.group("dotted"):
        number = match.group("dotted")
        if rest[:1].islower():  # "1.5 million people": a quantity, not a clause number
            return None
        parts = number.split(".")
        return [_Marker("dotted", int(parts[-1]), number, match.group("label"), len(parts))], rest, match.end()
    token = match.group("paren") or match.group("num") or match.group("close")
    readings = _readings(token, match.group("label"))
    if not readings:
        return None
    return readings, rest, match.end()


def _resolve(readings: list[_Marker], levels: list[_Entry]) -> _Marker:
    """The reading that fits the open lists (``levels``, innermost first): a reading that follows
    on from an open list of its style wins ("(i)" after "(h)" is a letter); else one that starts
    a list ("(i)" under "(c)" starts roman numbering); else the letter."""
    if len(readings) == 1:
        return readings[0]
    for level in levels:
        for reading in readings:
            if level.marker.style == reading.style and reading.value == level.marker.value + 1:
                return reading
    for reading in readings:
        if reading.value == 1:
            return reading
    return next((r for r in readings if r.style in ("alpha", "ALPHA")), readings[0])


def _same_list(a: _Marker, b: _Marker) -> bool:
    return a.style == b.style and a.depth == b.depth


# --- headings ----------------------------------------------------------------------------------

_KEYWORDS = "article|chapter|section|subsection|part|subpart|title|annex|appendix|schedule|book"
_KEYWORD_HEADING = re.compile(
    rf"(?P<kw>(?i:{_KEYWORDS}))[ \t]+"
    r"(?P<num>\d{1,4}[a-z]?(?:\.\d{1,4})*|[IVXLC]{1,7}|[A-Z])(?![\w(])\.?"
    r"(?:[ \t]*[-\u2013\u2014:.][ \t]*|[ \t]+|$)(?P<title>.*)"
)
_SECTION_SIGN = re.compile(r"§+[ \t]*(?P<num>\d+(?:\.\d+)*[a-z]?(?:-\d+)?)(?![\w(])\.?[ \t]*(?P<title>.*)")
_NUMBERED_HEADING = re.compile(
    r"(?P<num>\d{1,3}(?:\.\d{1,3})*\.?|(?:[IVXLC]{1,7}|[A-Z])\.)[ \t]+(?P<title>\S.*)"
)
_TITLE_SEPARATORS = " \t-\u2013\u2014:."
# Rank of the units that close what is below them in plain text (lower is bigger).
_UNIT_RANK = {"book": 0, "part": 1, "title": 1, "annex": 1, "appendix": 1, "schedule": 1, "chapter": 2, "subpart": 3}
# A section restarts its numbering in every one of these; its id is prefixed with theirs.
_SECTION_CONTAINERS = {"book", "part", "title", "chapter"}
_RECITALS = {"recitals", "whereas"}


@dataclass
class _HeadingParts:
    unit: str | None  # "article", "chapter", ..., "§", "number" (1. / 2.1 / I.), None (no number)
    number: str | None
    label: str | None
    title: str | None


def _heading_parts(text: str, *, plain: bool = False) -> _HeadingParts | None:
    """Split a heading's text into unit, number, label and title. With ``plain``, the text is a
    line of plain text and None means it is no heading (the checks keep sentences out)."""
    match = _KEYWORD_HEADING.fullmatch(text)
    if match and (not plain or match.group("kw")[0].isupper()):
        keyword = match.group("kw")
        title = match.group("title").lstrip(_TITLE_SEPARATORS).rstrip() or None
        if not plain or title is None or _title_like(title):
            return _HeadingParts(keyword.lower(), match.group("num"), f"{keyword} {match.group('num')}", title)
    match = _SECTION_SIGN.fullmatch(text)
    if match:
        title = match.group("title").lstrip(_TITLE_SEPARATORS).rstrip() or None
        if not plain or title is None or _title_like(title, final_period=True):
            return _HeadingParts("§", match.group("num"), f"§ {match.group('num')}", title)
    if plain:
        return None
    match = _NUMBERED_HEADING.fullmatch(text)
    if match:
        label = match.group("num")
        return _HeadingParts("number", label.rstrip("."), label, match.group("title").strip())
    return _HeadingParts(None, None, None, text)


def _title_like(text: str, *, final_period: bool = False, longest: int = 160) -> bool:
    """A heading's title: short, capitalised, not the end of a sentence or a clause."""
    text = text.strip()
    if not text or len(text) > longest or len(text.split()) > longest // 8:
        return False
    if not (text[0].isupper() or text[0].isdigit() or text[0] in "\"'‘“("):
        return False
    if text.endswith((",", ";", ":")):
        return False
    return final_period or not text.endswith((".", "!", "?"))


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > 60:
        slug = slug[:60].rsplit("-", 1)[0]
    return slug or "section"


# --- the provision tree ------------------------------------------------------------------------


@dataclass
class _Entry:
    """An open provision: a heading, or an item of a list."""

    id: str
    heading: bool
    key: object = None  # headings: Markdown level, or (keyword, dotted depth) in plain text
    rank: int | None = None  # plain-text headings: _UNIT_RANK of the keyword
    unit: str | None = None  # headings: keyword of a numbered heading
    marker: _Marker | None = None  # items
    indent: int = 0  # items: column of the marker (Markdown); 0 in plain text
    content: int = 1  # items: column of the item's text (Markdown); 1 in plain text
    titled: bool = False  # items that are numbered headings ("1. Introduction")
    recitals: bool = False  # a "Recitals"/"Whereas" heading: its numbered items are recitals
    bullets: int = 0  # bullet items opened in it so far


class _Outline:
    """Keeps the stack of open headings and items in step with the builder's provisions and
    decides, for each heading, item and paragraph, where it goes and what its id is."""

    def __init__(self, builder: DocumentBuilder) -> None:
        self.builder = builder
        self.stack: list[_Entry] = []  # headings first, then items (a heading closes all items)
        self.bullets = 0  # bullet items outside any provision

    def _headings(self) -> int:
        count = 0
        while count < len(self.stack) and self.stack[count].heading:
            count += 1
        return count

    def _close_to(self, depth: int) -> None:
        self.builder.close_to(depth)
        del self.stack[depth:]

    def _open(self, entry: _Entry, kind: str, title: str | None, label: str | None) -> None:
        entry.id = self.builder.open(entry.id, kind, title=title, label=label)
        self.stack.append(entry)

    # headings

    def markdown_heading(self, level: int, text: str) -> None:
        self._close_to(self._headings())
        while self.stack and self.stack[-1].key >= level:
            self._close_to(len(self.stack) - 1)
        self._open_heading(_heading_parts(text), text, key=level, rank=None)

    def plain_heading(self, parts: _HeadingParts) -> None:
        self._close_to(self._headings())
        key = (parts.unit, parts.number.count(".") if parts.number else 0)
        rank = _UNIT_RANK.get(parts.unit)
        keys = [entry.key for entry in self.stack]
        if key in keys:  # the next article, chapter, §: a sibling
            self._close_to(keys.index(key))
        elif rank is not None:  # a chapter closes the articles and sections of the last one
            while self.stack and (self.stack[-1].rank is None or self.stack[-1].rank >= rank):
                self._close_to(len(self.stack) - 1)
        self._open_heading(parts, parts.label or "", key=key, rank=rank)

    def _open_heading(self, parts: _HeadingParts, text: str, *, key: object, rank: int | None) -> None:
        parent = self.stack[-1] if self.stack else None
        unit = parts.unit
        if unit is None:
            provision_id, kind = _slug(text), "section"
        elif unit == "§":
            provision_id, kind = parts.number, "section"
        elif unit == "number":
            if "." in parts.number or parent is None:
                provision_id = parts.number
            else:
                provision_id = f"{parent.id}({parts.number})"
            kind = "section"
        else:
            provision_id, kind = f"{unit.capitalize()} {parts.number}", unit
            if unit in ("section", "subsection", "subpart") and "." not in parts.number:
                container = next((e for e in reversed(self.stack) if e.unit in _SECTION_CONTAINERS), None)
                if container is not None:
                    provision_id = f"{container.id} {provision_id}"
        name = normalise_text(parts.title or text).lower().rstrip(":")
        entry = _Entry(provision_id, True, key=key, rank=rank, unit=unit, recitals=name in _RECITALS)
        self._open(entry, kind, parts.title, parts.label)

    # items

    def _band(self, indent: int) -> list[_Entry]:
        """The open items a new item at ``indent`` can be a sibling of, innermost first."""
        band = []
        for entry in reversed(self.stack):
            if entry.heading or entry.content <= indent:
                break
            band.append(entry)
        return band

    def plausible(self, readings: list[_Marker], pending: list[_Marker] | None = None) -> bool:
        """Whether a marker inside a paragraph continues an open list or starts one; ``pending``
        is the marker of the item being read, not opened yet."""
        band = self._band(0)
        if pending is not None:
            current = _resolve(pending, band)
            sibling = next((i for i, e in enumerate(band) if _same_list(e.marker, current)), None)
            if sibling is not None:
                band = band[sibling + 1 :]
            band = [_Entry("", False, marker=current)] + band
        marker = _resolve(readings, band)
        if marker.style == "bullet" or marker.value == 1:
            return True
        return any(_same_list(e.marker, marker) and marker.value == e.marker.value + 1 for e in band)

    def item(
        self,
        readings: list[_Marker],
        *,
        text: str | None = None,
        title: str | None = None,
        indent: int = 0,
        content: int = 1,
    ) -> None:
        # Items whose marker is indented deeper than this one are done.
        while self.stack and not self.stack[-1].heading and indent < self.stack[-1].indent:
            self._close_to(len(self.stack) - 1)
        band = self._band(indent)
        marker = _resolve(readings, band)
        sibling = next((e for e in band if _same_list(e.marker, marker)), None)
        if sibling is not None and sibling.titled and not title and marker.value <= sibling.marker.value:
            sibling = None  # "2. Scope" then "1. This policy ...": numbering restarts inside it
        if sibling is not None:
            self._close_to(self.stack.index(sibling))
        parent = self.stack[-1] if self.stack else None
        if marker.style == "bullet":
            # bullets are counted per parent, so a second list under one heading goes on counting
            counter = parent if parent is not None else self
            counter.bullets += 1
            marker = replace(marker, value=counter.bullets)
        recital = parent is not None and parent.recitals and marker.style in ("num", "pnum")
        if marker.style == "dotted":
            provision_id = marker.token
        elif recital:
            provision_id = f"Recital {marker.token}"
        elif marker.style == "bullet":
            provision_id = f"{parent.id} item {marker.value}" if parent else f"item {marker.value}"
        elif parent is None:
            provision_id = marker.token if marker.style == "num" else f"({marker.token})"
        else:
            provision_id = f"{parent.id}({marker.token})"
        if title:
            kind = "section"
        elif recital:
            kind = "recital"
        elif marker.style in _POINT_STYLES:
            kind = "point"
        else:
            kind = "paragraph"
        entry = _Entry(provision_id, False, marker=marker, indent=indent, content=content, titled=bool(title))
        self._open(entry, kind, title, marker.label)
        if text:
            self.builder.add_text(text)

    # paragraphs

    def paragraph(self, text: str, *, indent: int | None = None) -> None:
        """A block of the provision it belongs to. ``indent`` None: plain text, where points end
        at an unnumbered paragraph; else Markdown, where items end at a less indented one."""
        base = self._headings()
        while len(self.stack) > base:
            top = self.stack[-1]
            if indent is None:
                if top.titled or top.marker.style not in _POINT_STYLES:
                    break
            elif indent >= top.content:
                break
            self._close_to(len(self.stack) - 1)
        self.builder.add_text(text)


# --- plain text --------------------------------------------------------------------------------

# The line before ends a sentence or a clause, so the next line may start a new item.
_CLAUSE_END = re.compile(r"(?:[.;:!?][\"'”’)]*|(?:^|[;,])[ \t]*(?:and|or|and/or))$")


def structure_plain_text(builder: DocumentBuilder, text: str, *, title_from_first_line: bool = True) -> None:
    """Drive ``builder`` with the headings, items and paragraphs of plain text (see module doc)."""
    lines = [line.expandtabs(4).strip() for line in text.splitlines()]
    start = 0
    if title_from_first_line:
        start = _title_line(builder, lines)
    _PlainText(builder, lines).run(start)


def is_structure_line(line: str) -> bool:
    """Whether a line of plain text reads as a heading or the start of an item."""
    line = line.strip()
    return bool(
        _heading_parts(line, plain=True) or _parse_item(line, markdown=False) or _LETTER_HEADING.fullmatch(line)
    )


def _title_line(builder: DocumentBuilder, lines: list[str]) -> int:
    """Take a title line off the top; returns the index of the first line after it."""
    first = next((i for i, line in enumerate(lines) if line), None)
    if first is None or first + 1 >= len(lines) or lines[first + 1]:
        return 0
    line = lines[first]
    if not any(lines[first + 1 :]) or not _title_like(line) or len(line) > 150:
        return 0
    if is_structure_line(line):
        return 0
    builder.title = normalise_text(line)
    return first + 1


class _PlainText:
    def __init__(self, builder: DocumentBuilder, lines: list[str]) -> None:
        self.outline = _Outline(builder)
        self.lines = lines
        self.group: list[str] = []  # lines of the paragraph being read
        self.readings: list[_Marker] | None = None  # its marker, when it is an item
        self.previous = "blank"  # blank | heading | text: what the line before was
        # Width of a full line: a numbered heading is well short of it, the first line of a
        # wrapped paragraph is not ("5. In the context of ... and notwithstanding" / "Directive").
        lengths = sorted(len(line) for line in lines if line)
        self.full_width = lengths[int(0.9 * (len(lengths) - 1))] if lengths else 0

    def run(self, start: int) -> None:
        lines = self.lines
        index = start
        while index < len(lines):
            index = self._line(index) + 1
        self._flush()

    def _next(self, index: int) -> str:
        return self.lines[index + 1] if index + 1 < len(self.lines) else ""

    def _line(self, index: int) -> int:
        """Read line ``index``; returns the last line it used (a heading may take its title)."""
        line = self.lines[index]
        if not line:
            self._flush()
            self.previous = "blank"
            return index
        boundary = self.previous != "text" or bool(_CLAUSE_END.search(self.group[-1] if self.group else ""))
        parts = _heading_parts(line, plain=True)
        if parts and (boundary or (parts.title is None and self._ends_here(index))):
            self._flush()
            if parts.title is None and parts.unit != "§":
                index = self._title_after(index, parts)
            elif parts.title is not None:
                index = self._title_continued(index, parts)
            self.outline.plain_heading(parts)
            self.previous = "heading"
            return index
        parsed = _parse_item(line, markdown=False)
        if parsed and (self.previous != "text" or (boundary and self.outline.plausible(parsed[0], self.readings))):
            readings, rest, _ = parsed
            self._flush()
            numbered = readings[0].style in ("num", "dotted")
            if numbered and self._heading_line(rest, index):
                self.outline.item(readings, title=rest)
                self.previous = "heading"
                return index
            self.group, self.readings = [rest], readings
            self.previous = "text"
            return index
        letter = _LETTER_HEADING.fullmatch(line)
        if letter and self.previous != "text" and self._heading_line(letter.group("title"), index):
            self._flush()
            token = letter.group("token")
            self.outline.item(_readings(token, f"{token}."), title=letter.group("title"))
            self.previous = "heading"
            return index
        if self.previous != "text":
            self._flush()
        self.group.append(line)
        self.previous = "text"
        return index

    def _ends_here(self, index: int) -> bool:
        """A bare "Article 6" line inside a paragraph is a heading only if what follows is not
        the rest of a sentence ("referred to in" / "Article 6" / "of Regulation ...")."""
        if self.lines[index].endswith("."):  # "... referred to in" / "Article 10." ends a sentence
            return False
        following = self._next(index)
        return not following or _title_like(following) or bool(_parse_item(following, markdown=False))

    def _title_after(self, index: int, parts: _HeadingParts) -> int:
        """EUR-Lex puts an article's title on the line (or wrapped lines) after "Article 5": take
        them as the title when they read like one, with no final period, so that a first
        sentence of the body ("This Regulation lays down ... / to the processing ... data.") is
        not mistaken for it."""
        first = index + 1
        while first < len(self.lines) and not self.lines[first]:
            first += 1
        if first >= len(self.lines) or is_structure_line(self.lines[first]):
            return index
        last = first
        while last + 1 < len(self.lines) and self.lines[last + 1][:1].islower() and last - first < 3:
            last += 1  # a long title wrapped onto the next line
        candidate = " ".join(self.lines[first : last + 1])
        if _title_like(candidate, longest=250) and not self._next(last)[:1].islower():
            parts.title = candidate
            return last
        return index

    def _title_continued(self, index: int, parts: _HeadingParts) -> int:
        """A long title on the heading's line may wrap ("§ 164.502 Uses ... information: general" /
        "rules."): take the lines that carry it on, when the whole still reads as a title."""
        last = index
        while last + 1 < len(self.lines) and self.lines[last + 1][:1].islower() and last - index < 3:
            last += 1
        if last == index:
            return index
        title = " ".join([parts.title] + self.lines[index + 1 : last + 1])
        if _title_like(title, final_period=parts.unit == "§", longest=250) and not self._next(last)[:1].islower():
            parts.title = title
            return last
        return index

    def _heading_line(self, title: str, index: int) -> bool:
        """"1. Introduction": a short capitalised line with no final punctuation, not wrapped."""
        following = self._next(index)
        return (
            _title_like(title)
            and len(title) <= 80
            and len(title.split()) <= 12
            and not following[:1].islower()
            and (not following or len(self.lines[index]) < 0.7 * self.full_width)
        )

    def _flush(self) -> None:
        if not self.group:
            self.readings = None
            return
        text = _join_lines(self.group)
        if self.readings is not None:
            self.outline.item(self.readings, text=text)
        else:
            self.outline.paragraph(text)
        self.group, self.readings = [], None


def _join_lines(lines: list[str]) -> str:
    """One paragraph from its wrapped lines. A word broken at a soft hyphen is mended; one broken
    at a hyphen keeps it ("awareness-" / "raising" -> "awareness-raising"): a compound is more
    often split there than a plain word."""
    text = lines[0]
    for line in lines[1:]:
        if text.endswith("\u00ad"):
            text = text[:-1] + line
        elif len(text) > 1 and text[-1] == "-" and text[-2].isalpha() and line[:1].islower():
            text += line
        else:
            text += " " + line
    return text


# --- Markdown ----------------------------------------------------------------------------------

_ATX = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*")
_SETEXT = re.compile(r" {0,3}(=+|-+)[ \t]*")
_THEMATIC_BREAK = re.compile(r" {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_ATTRIBUTE_LINE = re.compile(r" {0,3}\{:.*\}[ \t]*")  # kramdown: {:toc}, {:.no_toc .hidden-md}
_LINK_DEFINITION = re.compile(r" {0,3}\[[^\]]+\]:[ \t]*\S+.*")
_BLOCKQUOTE = re.compile(r" {0,3}>[ ]?")
_HEADING_ATTRIBUTES = re.compile(r"[ \t]*\{[#:.][^}]*\}[ \t]*$")  # "## Title {#anchor}"


@dataclass
class _Event:
    kind: str  # heading | item | para
    text: str
    level: int = 0  # headings
    indent: int = 0
    content: int = 0  # items: column of their text
    readings: list | None = None  # items


class _MarkdownReader:
    def __init__(self, builder: DocumentBuilder) -> None:
        self.builder = builder
        self.events: list[_Event] = []
        self.buffer: list[str] = []  # lines of the paragraph or item being read
        self.current: _Event | None = None

    def read(self, text: str) -> None:
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        lines = self._front_matter(lines)
        self._scan(lines)
        self._drive()

    def _front_matter(self, lines: list[str]) -> list[str]:
        if not lines or lines[0].strip() != "---":
            return lines
        end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
        if end is None:
            return lines  # a lone rule at the top, not front matter
        block = lines[1:end]
        try:
            values = yaml.safe_load("\n".join(block))
        except yaml.YAMLError:
            values = None
            # "key: value" lines that YAML cannot read are still front matter, skipped unread
            if not re.match(r"[\w-]+:", next((line for line in block if line.strip()), "")):
                return lines
        else:
            if values is not None and not isinstance(values, dict):
                return lines  # "---", a paragraph, "---": a rule and a setext heading, not front matter
        if isinstance(values, dict):
            if values.get("title"):
                self.builder.title = normalise_text(str(values["title"]))
            issued = values.get("issued", values.get("date"))
            if isinstance(issued, dt.datetime):
                issued = issued.date()
            if isinstance(issued, dt.date):
                self.builder.metadata["issued"] = issued
            for key in ("jurisdiction", "authority"):
                if values.get(key):
                    self.builder.metadata[key] = str(values[key])
        return lines[end + 1 :]

    # first pass: lines -> events

    def _scan(self, lines: list[str]) -> None:
        fence: str | None = None
        in_comment = False
        for raw in lines:
            line = raw.expandtabs(4)
            if fence is not None:
                if line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                    fence = None
                continue
            if in_comment or "<!--" in line:
                line, in_comment = _drop_comments(line, in_comment)
            match = _FENCE.match(line)
            if match:
                self._flush()
                fence = match.group(1)
                continue
            while _BLOCKQUOTE.match(line):
                line = line[_BLOCKQUOTE.match(line).end():]
            if not line.strip():
                self._flush()
                continue
            self._line(line)
        self._flush()

    def _line(self, line: str) -> None:
        if _ATTRIBUTE_LINE.fullmatch(line):
            # "- TOC" followed by "{:toc}" is kramdown's table of contents, not text
            if "toc" in line and self.current and self.current.kind == "item":
                if normalise_text(" ".join(self.buffer)) == "TOC":
                    self.buffer, self.current = [], None
            return
        if _LINK_DEFINITION.fullmatch(line) and not self.buffer:
            return
        match = _ATX.fullmatch(line)
        if match:
            self._flush()
            text = _HEADING_ATTRIBUTES.sub("", match.group(2) or "")
            self.events.append(_Event("heading", text, level=len(match.group(1))))
            return
        if self.current is not None and self.current.kind == "para" and _SETEXT.fullmatch(line):
            level = 1 if line.strip()[0] == "=" else 2
            text = " ".join(self.buffer)
            self.buffer, self.current = [], None
            self.events.append(_Event("heading", text, level=level))
            return
        if _THEMATIC_BREAK.fullmatch(line):
            self._flush()
            return
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        parsed = _parse_item(stripped, markdown=True)
        if parsed and self.buffer:
            # Only bullets interrupt a paragraph on any line (CommonMark); a number at the start
            # of a wrapped line ("point\n(a) of paragraph 1") must follow the end of a clause.
            is_bullet = parsed[0][0].style == "bullet"
            if not is_bullet and not _CLAUSE_END.search(self.buffer[-1].rstrip()):
                parsed = None
        if parsed:
            self._flush()
            readings, rest, width = parsed
            self.current = _Event("item", "", indent=indent, content=indent + width, readings=readings)
            self.buffer = [rest]
            return
        if self.current is None:
            self.current = _Event("para", "", indent=indent)
        self.buffer.append(stripped)

    def _flush(self) -> None:
        if self.current is not None:
            self.current.text = "\n".join(self.buffer)
            if self.current.kind == "item" or self.current.text.strip():
                self.events.append(self.current)
        self.buffer, self.current = [], None

    # second pass: events -> provisions

    def _drive(self) -> None:
        headings = [e for e in self.events if e.kind == "heading"]
        title_line = None
        if headings and headings[0].level == 1 and sum(1 for e in headings if e.level == 1) == 1:
            title_line = headings[0]
            if not self.builder.title:
                self.builder.title = normalise_text(_inline(title_line.text)) or None
        outline = _Outline(self.builder)
        for event in self.events:
            if event is title_line:
                continue
            text = _inline(event.text)
            if event.kind == "para" and not normalise_text(text):
                continue  # only markup ("<br>", "<div>"): nothing to read, nothing to close
            if event.kind == "heading":
                outline.markdown_heading(event.level, normalise_text(text))
            elif event.kind == "item":
                outline.item(event.readings, text=text, indent=event.indent, content=event.content)
            else:
                outline.paragraph(text, indent=event.indent)


def _drop_comments(line: str, in_comment: bool) -> tuple[str, bool]:
    """``line`` without the parts inside HTML comments; whether a comment is still open."""
    kept = []
    position = 0
    while position < len(line):
        if in_comment:
            end = line.find("-->", position)
            if end < 0:
                return "".join(kept), True
            position, in_comment = end + 3, False
        else:
            start = line.find("<!--", position)
            if start < 0:
                kept.append(line[position:])
                break
            kept.append(line[position:start])
            position, in_comment = start + 4, True
    return "".join(kept), in_comment


# --- inline Markdown ---------------------------------------------------------------------------

_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\[[^\]]*\])")
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^>\s]+|[^>\s@]+@[^>\s]+)>")
_FOOTNOTE_REFERENCE = re.compile(r"\[\^[^\]]+\]")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_INLINE_ATTRIBUTES = re.compile(r"\{:[^}]*\}")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~", re.S)
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", re.S)
_EMPHASIS_STAR = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])", re.S)
_EMPHASIS_UNDERSCORE = re.compile(r"(?<![\w_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w_])", re.S)
_ESCAPED_BASE = 0xF0000  # escaped characters hide in a private-use plane while markup is removed


def _inline(text: str) -> str:
    """Text without inline Markdown: what a reader of the rendered page sees."""
    pieces = []
    position = 0
    for match in _CODE_SPAN.finditer(text):
        pieces.append(_inline_markup(text[position : match.start()]))
        pieces.append(match.group(2))  # code keeps its characters, without the backticks
        position = match.end()
    pieces.append(_inline_markup(text[position:]))
    return "".join(pieces)


def _inline_markup(text: str) -> str:
    text = _ESCAPE.sub(lambda m: chr(_ESCAPED_BASE + ord(m.group(1))), text)
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _FOOTNOTE_REFERENCE.sub("", text)
    text = _TAG.sub("", text)
    text = _INLINE_ATTRIBUTES.sub("", text)
    text = _STRIKE.sub(r"\1", text)
    previous = None
    while previous != text:  # ***both*** and nested emphasis take more than one pass
        previous = text
        text = _STRONG.sub(r"\2", text)
        text = _EMPHASIS_STAR.sub(r"\1", text)
        text = _EMPHASIS_UNDERSCORE.sub(r"\1", text)
    text = html.unescape(text)
    return "".join(chr(ord(c) - _ESCAPED_BASE) if ord(c) >= _ESCAPED_BASE else c for c in text)
