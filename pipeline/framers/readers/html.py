"""HTML regulations: eCFR pages as a provision tree, any other page by its headings and lists.

Decoding. The bytes go through ``decode_text`` (UTF-8, a UTF-8/UTF-16 byte-order mark, refusal of
empty and binary files). A page that declares another charset in its first 8 KB
(``<meta charset=...>``, ``<meta http-equiv="Content-Type" content="...; charset=...">`` or an
``<?xml ... encoding=...?>`` declaration) is decoded with that codec when its bytes are not
valid UTF-8; bytes that are valid UTF-8 are read as UTF-8 whatever the page says, because a page
re-saved as UTF-8 that kept its old declaration is far more common than Windows-1252 text that
happens to be valid UTF-8. As browsers do, ``iso-8859-1`` and ``us-ascii`` mean Windows-1252. A
charset Python does not know is an error, never a guess.

Parsing uses the standard library's ``html.parser`` into a small element tree (implied ends of
``<p>``, ``<li>``, ``<dt>``/``<dd>``, table rows and cells are applied as browsers do). Never
read: ``<head>`` (except ``<title>``), script, style, noscript, template, nav, svg, form controls,
comments, and ``<header>``/``<footer>`` unless they sit inside an article, section or main (there
they are the article's own heading, not the site's banner).

eCFR pages (a ``div`` with class part, subpart, subjgrp, section or appendix and an eCFR id,
holding eCFR's ``data-hierarchy-metadata`` headings or ``p-...`` paragraph ids) are read from
those divs only, so the site's menus, table of contents and sidebars never reach the text:

- ``div.part#part-164`` -> id "Part 164", kind "part", label "PART 164" and title "SECURITY AND
  PRIVACY" as printed in the ``h1``; ``div.subpart#subpart-E`` -> "Part 164 Subpart E" (kind
  "subpart"); ``div.appendix`` -> its citation, e.g. "Appendix A to Subpart C of Part 164";
  ``div.section#164.502`` -> id "164.502", kind "section", label "§ 164.502", title the rest of
  the heading.
- a paragraph (a ``div`` or ``p`` whose id is ``p-164.502(a)(1)``, URL-decoded) -> id
  "164.502(a)(1)", kind "paragraph", label "(1)" from its ``paragraph-hierarchy`` span, title
  from its ``em.paragraph-heading`` ("Standard."). The heading is taken out of the block, so the
  block is the paragraph's sentences; the text line reads "(a) Standard." then the block. A
  heading that is the subject of the sentence ("Financial remuneration means ...": the rest
  starts in lower case) stays in the block and is not a title.
- a definition (``em.paragraph-hierarchy`` holding the term, ``p-164.103(Common%20control)``)
  -> id "164.103(Common control)", kind "definition", no label or title: the term stays in the
  block, which then reads as the defining sentence.
- nesting follows the divs; where eCFR writes paragraphs as sibling ``p`` elements with ids
  (§ 160.103), a paragraph is the child of the open one with a smaller ``indent-N`` class (or,
  without indents, of the open one whose id its own id extends).
- source and authority notes, amendment citations ("[65 FR 82802, Dec. 28, 2000 ...]"), editorial
  notes and footnotes are skipped: they are not rules, and a note block after a paragraph ending
  in ":" would be taken for one of its items. Text with no letter or digit (a lone "—") is no block.
- metadata: jurisdiction "US", the citation ("45 CFR Part 164") and the date the page was current
  ("up to date as of 11/20/2023"); the document title is the page ``<title>`` without "eCFR ::".

Any other page is read from its ``<main>`` if it has one, else its ``<body>``:

- ``h1``-``h6`` open provisions by level. A heading starting with a number gives the id and
  label ("Article 5 Principles" -> id "Article 5", kind "article", title "Principles";
  "§ 12 ..." -> "§ 12", "3.1 Scope" -> "3.1", kind "section"); else an ``id`` attribute that looks
  like a provision anchor ("art_5", "section-3") on the heading or its section; else a slug of
  the heading ("scope-and-purpose", kind "heading", title the heading, no label).
- ``p``, ``dt``, ``dd``, ``pre``, captions and text directly in a ``div`` are blocks of the open
  provision; two ``<br>`` in a row split a block; a table row is one block, cells joined by
  " | " (a table's caption is a block too).
- each ``li`` of an ``ol``/``ul`` is a child provision of kind "point": its label is the one it
  prints ("(a) ...") or, in an ``ol``, its number by position, ``start``, ``value`` and ``type``
  (or list-style-type) as "(1)", "(a)", "(iv)"; a ``ul`` item has no label. Its id is the
  parent's id plus "(n)". Nested lists nest. A table row whose first cell is only a label
  ("(a)", "1.") is a point too (the layout EUR-Lex uses), its other cells its text.
  So "... the following:" then a list gives each item's block that lead-in (the builder links it).
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
import re
import urllib.parse
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from pipeline.framers.document import DocumentBuilder, DocumentError, SourceDocument, decode_text, normalise_text

__all__ = ["read_html"]

# ---------------------------------------------------------------------------------------------
# Decoding

_CHARSET_SCAN_BYTES = 8192
_XML_ENCODING = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
# WHATWG: these labels are decoded as windows-1252 by every browser; pages rely on it (0x92 = ’).
_AS_WINDOWS_1252 = {"iso8859-1", "ascii"}
_BYTE_ORDER_MARKS = (b"\xff\xfe", b"\xfe\xff")


def _declared_charset(data: bytes) -> str | None:
    head = data[:_CHARSET_SCAN_BYTES]
    match = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii") if match else None


def _decode(path: Path, data: bytes) -> str:
    declared = _declared_charset(data)
    codec_name = None
    if declared is not None:
        try:
            codec_name = codecs.lookup(declared).name
        except LookupError:
            raise DocumentError(
                f"{path}: the page declares charset {declared!r}, which is not a known encoding; "
                "correct its <meta charset> (e.g. utf-8 or windows-1252) or re-save it as UTF-8"
            ) from None
    try:
        return decode_text(path, data)
    except DocumentError as exc:
        # Empty and binary files stay refused; only "not UTF-8" can be answered by the page's
        # own declaration. A UTF-16/32 declaration without a byte-order mark cannot be true
        # (the declaration itself was readable as ASCII), so only ASCII-based codecs apply.
        if not isinstance(exc.__cause__, UnicodeDecodeError) or data.startswith(_BYTE_ORDER_MARKS):
            raise
        if codec_name is None or codec_name.startswith(("utf-8", "utf-16", "utf-32")):
            raise DocumentError(f"{exc}, or declare its real encoding in the page (<meta charset=\"windows-1252\">)") from exc
    codec_name = "cp1252" if codec_name in _AS_WINDOWS_1252 else codec_name
    try:
        return data.decode(codec_name)
    except LookupError:  # a codec that is not a text encoding ("base64", "rot13")
        raise DocumentError(
            f"{path}: the page declares charset {declared!r}, which is not a text encoding; "
            "correct its <meta charset> (e.g. utf-8 or windows-1252) or re-save it as UTF-8"
        ) from None
    except UnicodeDecodeError as exc:
        if codec_name == "cp1252":  # five bytes are unassigned in cp1252; Latin-1 maps them all
            return data.decode("latin-1")
        line = data[: exc.start].count(b"\n") + 1
        raise DocumentError(
            f"{path}: not valid {declared} as the page declares (byte 0x{data[exc.start]:02x} at line {line}); "
            "correct its <meta charset> or re-save it as UTF-8"
        ) from exc


# ---------------------------------------------------------------------------------------------
# Parsing into a small element tree


@dataclass
class _Element:
    tag: str
    attrs: dict[str, str]
    children: list = field(default_factory=list)  # _Element | str
    parent: _Element | None = None

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def elements(self):
        return (child for child in self.children if isinstance(child, _Element))


_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta", "param", "source", "track", "wbr"}
# Elements that start a new block; any other element is inline (phrasing) content.
_BLOCKS = {
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details", "dialog",
    "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
    "h5", "h6", "head", "header", "hgroup", "hr", "html", "legend", "li", "main", "menu", "nav", "ol", "p",
    "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
# Never text of the regulation.
_SKIP = {
    "head", "title", "script", "style", "noscript", "template", "nav", "svg", "math", "button", "select",
    "textarea", "input", "option", "iframe", "object", "canvas", "audio", "video", "map",
}
_SECTIONING = {"article", "section", "main"}
# Start tag -> (open elements it closes, the elements that stop the search).
_IMPLIED_END = {
    "li": ({"li"}, {"ul", "ol", "menu"}),
    "dt": ({"dt", "dd"}, {"dl"}),
    "dd": ({"dt", "dd"}, {"dl"}),
    "tr": ({"tr", "td", "th"}, {"table", "thead", "tbody", "tfoot"}),
    "td": ({"td", "th"}, {"tr", "table"}),
    "th": ({"td", "th"}, {"tr", "table"}),
    "thead": ({"thead", "tbody", "tfoot", "tr", "td", "th"}, {"table"}),
    "tbody": ({"thead", "tbody", "tfoot", "tr", "td", "th"}, {"table"}),
    "tfoot": ({"thead", "tbody", "tfoot", "tr", "td", "th"}, {"table"}),
}


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Element("#document", {})
        self._stack = [self.root]

    def handle_starttag(self, tag: str, attrs) -> None:
        self._start(tag, attrs, void=tag in _VOID)

    def handle_startendtag(self, tag: str, attrs) -> None:  # <br/>, XHTML's <div/>
        self._start(tag, attrs, void=True)

    def _start(self, tag: str, attrs, *, void: bool) -> None:
        if tag in _BLOCKS:
            self._close_open_p()
        if tag in _IMPLIED_END:
            closes, stops = _IMPLIED_END[tag]
            for index in range(len(self._stack) - 1, 0, -1):
                name = self._stack[index].tag
                if name in stops:
                    break
                if name in closes:
                    del self._stack[index:]
                    break
        element = _Element(tag, {name: value or "" for name, value in attrs}, parent=self._stack[-1])
        self._stack[-1].children.append(element)
        if not void:
            self._stack.append(element)

    def _close_open_p(self) -> None:
        # A <p> holds only inline content, so an open one is above every open block element.
        for index in range(len(self._stack) - 1, 0, -1):
            name = self._stack[index].tag
            if name == "p":
                del self._stack[index:]
                return
            if name in _BLOCKS:
                return

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._stack) - 1, 0, -1):
            if self._stack[index].tag == tag:
                del self._stack[index:]
                return
        # a stray end tag (</p> with no <p> open, </div> too many) is ignored, as browsers do

    def handle_data(self, data: str) -> None:
        self._stack[-1].children.append(data)


def _parse(text: str) -> _Element:
    parser = _TreeBuilder()
    parser.feed(text)
    parser.close()
    return parser.root


def _skipped(element: _Element) -> bool:
    if element.tag in _SKIP:
        return True
    if element.tag in ("header", "footer"):
        ancestor = element.parent
        while ancestor is not None:
            if ancestor.tag in _SECTIONING:
                return False
            ancestor = ancestor.parent
        return True
    return False


_BR = "\u2028"  # marks a <br>; folded to a space by normalise_text, two in a row split blocks
_BLOCK_BREAK = re.compile(f"{_BR}\\s*{_BR}")


def _text(node, omit: tuple = ()) -> str:
    """The text of ``node`` and its descendants, leaving out skipped elements and ``omit``."""
    if isinstance(node, str):
        return node
    if any(node is excluded for excluded in omit) or _skipped(node):
        return ""
    if node.tag == "br":
        return _BR
    pieces = [_text(child, omit) for child in node.children]
    if node.tag in _BLOCKS:  # adjacent cells or divs inside an inline run must not fuse words
        return " " + "".join(pieces) + " "
    return "".join(pieces)


def _has_block(element: _Element) -> bool:
    for child in element.elements():
        if _skipped(child):
            continue
        if child.tag in _BLOCKS or _has_block(child):
            return True
    return False


def _find(element: _Element, predicate) -> _Element | None:
    for child in element.elements():
        if predicate(child):
            return child
        found = _find(child, predicate)
        if found is not None:
            return found
    return None


def _find_all(element: _Element, predicate, *, into_matches: bool = False):
    for child in element.elements():
        if predicate(child):
            yield child
            if not into_matches:
                continue
        yield from _find_all(child, predicate, into_matches=into_matches)


# ---------------------------------------------------------------------------------------------
# Labels, numbers and ids

_HAS_WORD = re.compile(r"\w")
# A label printed at the start of a list item or in a table's first cell: (a) a) 1. (iv) [3]
_PRINTED_LABEL = re.compile(r"^\s*(\(\s*[0-9]{1,3}[a-z]?\s*\)|\(\s*[A-Za-z]{1,4}\s*\)|[0-9]{1,3}[a-z]?[.)]|[A-Za-z]{1,4}\)|\[\s*[0-9]{1,3}\s*\])(?=\s|$)")
_KEYWORDS = {
    "article": "Article", "art.": "Article", "art": "Article", "section": "Section", "sec.": "Section",
    "chapter": "Chapter", "part": "Part", "subpart": "Subpart", "title": "Title", "annex": "Annex",
    "appendix": "Appendix", "schedule": "Schedule", "rule": "Rule", "recital": "Recital", "clause": "Clause",
    "division": "Division", "book": "Book", "regulation": "Regulation", "paragraph": "Paragraph",
}
_HEADING_KEYWORD = re.compile(
    r"^(?P<kw>article|art\.?|section|sec\.|chapter|part|subpart|title|annex|appendix|schedule|rule|recital|"
    r"clause|division|book|regulation|paragraph)\s+(?P<num>[0-9]+[A-Za-z]?(?:[.\-][0-9A-Za-z]+)*|(?-i:[IVXLC]+))(?=$|[\s.:—–-])",
    re.IGNORECASE,
)
_HEADING_SECTION_SIGN = re.compile(r"^(?P<label>§+\s*(?P<num>[0-9]+[A-Za-z]?(?:[.\-][0-9]+[A-Za-z]?)*))")
_HEADING_BARE_NUMBER = re.compile(r"^(?P<num>[0-9]{1,3}(?:\.[0-9]+)*)\.?(?=\s)")
_ANCHOR_ID = re.compile(r"^(?:art(?:icle)?|sec(?:tion)?|chap(?:ter)?|part|annex|para(?:graph)?|rec(?:ital)?|point|title)[-_.:]?[0-9]", re.IGNORECASE)
_TITLE_SEPARATORS = " \t.:;,—–-|"
_SLUG = re.compile(r"[^a-z0-9]+")


def _heading_parts(text: str) -> tuple[str | None, str | None, str | None, str]:
    """(id, label, title, kind) from a heading's text; id None when it has no number."""
    match = _HEADING_KEYWORD.match(text)
    if match:
        keyword = _keyword(match.group("kw"))
        label = match.group(0)
        title = text[match.end():].strip(_TITLE_SEPARATORS) or None
        return f"{keyword} {match.group('num')}", label, title, keyword.lower()
    match = _HEADING_SECTION_SIGN.match(text)
    if match:
        number = match.group("num")
        label = match.group("label")
        title = text[match.end():].strip(_TITLE_SEPARATORS) or None
        return f"§ {number}", label, title, "section"
    match = _HEADING_BARE_NUMBER.match(text)
    if match:
        title = text[match.end():].strip(_TITLE_SEPARATORS) or None
        return match.group("num"), match.group("num"), title, "section"
    return None, None, text or None, "heading"


def _keyword(word: str) -> str:
    word = word.lower()
    return _KEYWORDS.get(word) or _KEYWORDS.get(word.rstrip(".")) or word.capitalize()


def _slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")[:60].strip("-")


def _to_roman(number: int) -> str:
    numerals = [(1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]
    out = []
    for value, numeral in numerals:
        while number >= value:
            out.append(numeral)
            number -= value
    return "".join(out)


def _to_letters(number: int) -> str:
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


_LIST_STYLE = re.compile(r"list-style(?:-type)?\s*:\s*([a-z-]+)")
_STYLE_TYPES = {"lower-alpha": "a", "lower-latin": "a", "upper-alpha": "A", "upper-latin": "A",
                "lower-roman": "i", "upper-roman": "I", "decimal": "1"}


def _list_type(element: _Element) -> str:
    kind = element.attrs.get("type", "")
    if kind in ("1", "a", "A", "i", "I"):
        return kind
    match = _LIST_STYLE.search(element.attrs.get("style", "").lower())
    return _STYLE_TYPES.get(match.group(1), "1") if match else "1"


def _number_label(number: int, kind: str) -> str:
    if number <= 0:
        return f"({number})"
    text = {"a": _to_letters, "A": lambda n: _to_letters(n).upper(), "i": _to_roman,
            "I": lambda n: _to_roman(n).upper()}.get(kind, str)(number)
    return f"({text})"


def _int(value: str | None) -> int | None:
    try:
        return int(value.strip()) if value is not None else None
    except ValueError:
        return None


def _child_id(parent: str | None, label: str) -> str:
    """ "Article 5" + "(a)" -> "Article 5(a)"; labels printed as "1." or "a)" become "(1)", "(a)"."""
    bare = label.strip("()[]. ")
    return f"{parent or ''}({bare})"


# ---------------------------------------------------------------------------------------------
# eCFR markup

_ECFR_STRUCTURE = ("part", "subpart", "subjgrp", "section", "appendix")
_ECFR_ID = re.compile(r"^(?:part-[0-9]|subpart-|subjgrp-|Appendix-|[0-9]+\.[0-9]+)")
# Notes around the rules, never part of them (see the module doc).
_ECFR_NOTES = {"citation", "source", "authority", "editorial-note", "editorial-notes", "footnote",
               "footnotes", "cross-reference", "cross-references", "effective-date-note", "note"}
_ECFR_SECTION_HEADING = re.compile(r"^(§+\s*[0-9]+\.[0-9]+[A-Za-z0-9-]*)\s*(.*)$")
_ECFR_NUMBERED_HEADING = re.compile(r"^((?:PART|Subpart|Subchapter|CHAPTER|TITLE|Appendix)\s+\S+(?:\s+to\s+[^—]+)?)\s*(.*)$", re.IGNORECASE)
_ECFR_LABEL = re.compile(r"^\([0-9A-Za-z]{1,8}\)$")
_ECFR_AS_OF = re.compile(r"up to date as of\s+([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")


def _ecfr_kind(element: _Element) -> str | None:
    if element.tag != "div":
        return None
    classes = element.classes
    for kind in _ECFR_STRUCTURE:
        if kind in classes and _ECFR_ID.match(element.attrs.get("id", "")):
            return kind
    return None


def _ecfr_paragraph_id(element: _Element) -> str | None:
    raw = element.attrs.get("id", "")
    if element.tag in ("div", "p") and raw.startswith("p-") and len(raw) > 2:
        return urllib.parse.unquote(raw[2:])
    return None


_INDENT = re.compile(r"\bindent-([0-9]+)\b")


def _indent(element: _Element | None) -> int | None:
    match = _INDENT.search(element.attrs.get("class", "")) if element is not None else None
    return int(match.group(1)) if match else None


def _hierarchy_citation(heading: _Element | None) -> str | None:
    """The citation eCFR puts in a heading's data-hierarchy-metadata ("45 CFR Part 164 Subpart E")."""
    if heading is None:
        return None
    try:
        metadata = json.loads(heading.attrs.get("data-hierarchy-metadata", ""))
    except ValueError:
        return None
    citation = metadata.get("citation") if isinstance(metadata, dict) else None
    return normalise_text(citation) if isinstance(citation, str) else None


# ---------------------------------------------------------------------------------------------
# The walk


class _Reader:
    def __init__(self, builder: DocumentBuilder, *, ecfr: bool) -> None:
        self.builder = builder
        self.ecfr = ecfr
        self.headings: list[tuple[int, int]] = []  # (level, builder depth before it) of open headings
        # eCFR paragraphs written as sibling <p>: (id, builder depth before it, indent level)
        self.flat: list[tuple[str, int, int | None]] = []
        self.part_number: str | None = None

    # -- blocks --------------------------------------------------------------------------------

    def add_blocks(self, raw: str) -> None:
        for piece in _BLOCK_BREAK.split(raw):
            if _HAS_WORD.search(piece):
                self.builder.add_text(piece)

    def close_to(self, depth: int) -> None:
        self.builder.close_to(depth)
        self.flat = [entry for entry in self.flat if entry[1] < depth]
        self.headings = [entry for entry in self.headings if entry[1] < depth]

    def flow(self, element: _Element, *, in_item: bool = False, skip: _Element | None = None) -> None:
        """Walk mixed content: inline runs become blocks, block children are dispatched."""
        run: list[str] = []
        for child in element.children:
            if child is skip:
                continue
            if isinstance(child, str):
                run.append(child)
                continue
            if _skipped(child):
                continue
            if child.tag not in _BLOCKS and not _has_block(child):
                run.append(_text(child))
                continue
            self.add_blocks("".join(run))
            run = []
            if child.tag in _BLOCKS:
                self.block(child, in_item=in_item)
            else:  # an inline element wrapping blocks (<a><div>...</div></a>, <span><p>)
                self.flow(child, in_item=in_item)
        self.add_blocks("".join(run))

    def block(self, element: _Element, *, in_item: bool) -> None:
        tag = element.tag
        if self.ecfr:
            if element.classes & _ECFR_NOTES:
                return
            if _ecfr_kind(element):
                self.ecfr_structure(element)
                return
            if _ecfr_paragraph_id(element) is not None:
                self.ecfr_paragraph(element)
                return
        if tag in _HEADINGS and not in_item:
            self.heading(element)
        elif tag in ("ul", "ol", "menu", "dir"):
            self.items(element)
        elif tag == "table":
            self.table(element)
        elif tag == "hr":
            return
        elif _has_block(element):
            self.flow(element, in_item=in_item or tag in ("li", "td", "th", "dd"))
        else:
            self.add_blocks(_text(element))

    # -- headings ------------------------------------------------------------------------------

    def heading(self, element: _Element) -> None:
        level = _HEADINGS[element.tag]
        while self.headings and self.headings[-1][0] >= level:
            self.close_to(self.headings[-1][1])
        text = normalise_text(_text(element))
        if not _HAS_WORD.search(text):
            return
        provision_id, label, title, kind = _heading_parts(text)
        if provision_id is None:
            anchor = self._anchor_id(element)
            provision_id = anchor or _slug(text) or None
        depth = self.builder.depth
        self.builder.open(provision_id or "", kind, title=title, label=label)
        self.headings.append((level, depth))

    @staticmethod
    def _anchor_id(element: _Element) -> str | None:
        candidates = [element.attrs.get("id", "")]
        if element.parent is not None and element.parent.tag in ("section", "article", "div"):
            first_heading = _find(element.parent, lambda e: e.tag in _HEADINGS)
            if first_heading is element:
                candidates.append(element.parent.attrs.get("id", ""))
        for candidate in candidates:
            if _ANCHOR_ID.match(candidate):
                return candidate
        return None

    # -- lists and tables ----------------------------------------------------------------------

    def items(self, element: _Element) -> None:
        ordered = element.tag == "ol"
        kind = _list_type(element)
        number = (_int(element.attrs.get("start")) or 1) - 1
        depth = self.builder.depth
        parent = self.builder.current.id if self.builder.current else None
        item_open = False  # the last item stays open for a list nested directly in this one
        for child in element.children:
            if isinstance(child, str):
                if _HAS_WORD.search(child):
                    self.add_blocks(child)
                continue
            if _skipped(child):
                continue
            if child.tag != "li":
                self.block(child, in_item=True)
                continue
            if item_open:
                self.close_to(depth)
            value = _int(child.attrs.get("value"))
            number = value if value is not None else number + 1
            label = _number_label(number, kind) if ordered else None
            printed = self._printed_label(child)
            if printed is not None:
                label = printed.strip()
            provision_id = _child_id(parent, label) if label else f"{parent or ''}({number})"
            self.builder.open(provision_id, "point", label=label)
            item_open = True
            if printed is not None:
                self._strip_label(child, printed)
            self.flow(child, in_item=True)
        self.close_to(depth)

    @staticmethod
    def _printed_label(item: _Element) -> str | None:
        match = _PRINTED_LABEL.match(normalise_text(_text(item)))
        return match.group(1) if match else None

    @staticmethod
    def _strip_label(item: _Element, label: str) -> None:
        """Take the printed label off the item's first text, so it is the label and not the block."""
        for node in [item, *_find_all(item, lambda e: True, into_matches=True)]:
            for index, child in enumerate(node.children):
                if isinstance(child, str):
                    if not child.strip():
                        continue
                    stripped = child.lstrip()
                    squeezed = re.sub(r"\s+", "", label)
                    # the label may be spread over several text nodes ("(" <b>a</b> ")"): give up then
                    if re.sub(r"\s+", "", stripped).startswith(squeezed):
                        node.children[index] = _PRINTED_LABEL.sub("", stripped, count=1)
                    return
                if isinstance(child, _Element):
                    break

    def table(self, element: _Element) -> None:
        for row in _find_all(element, lambda e: e.tag in ("tr", "table", "caption")):
            if row.tag == "table":  # a table nested outside any row: its own rows
                self.table(row)
                continue
            if row.tag == "caption":
                self.add_blocks(_text(row))
                continue
            cells = [cell for cell in row.elements() if cell.tag in ("td", "th") and not _skipped(cell)]
            texts = [normalise_text(_text(cell)) for cell in cells]
            label = texts[0] if cells else ""
            match = _PRINTED_LABEL.match(label)
            is_label = match is not None and match.end() == len(label)
            if len(cells) >= 2 and is_label and any(_HAS_WORD.search(t) for t in texts[1:]):
                depth = self.builder.depth
                parent = self.builder.current.id if self.builder.current else None
                self.builder.open(_child_id(parent, label), "point", label=label)
                for cell in cells[1:]:
                    self.flow(cell, in_item=True)
                self.close_to(depth)
                continue
            self.add_blocks(" | ".join(text for text in texts if _HAS_WORD.search(text)))

    # -- eCFR ----------------------------------------------------------------------------------

    def ecfr_structure(self, element: _Element) -> None:
        kind = _ecfr_kind(element)
        heading = next((child for child in element.elements() if child.tag in _HEADINGS), None)
        heading_text = normalise_text(_text(heading)) if heading is not None else ""
        citation = _hierarchy_citation(heading)
        raw_id = element.attrs.get("id", "")
        label, title = heading_text or None, None
        if kind == "section":
            match = _ECFR_SECTION_HEADING.match(heading_text)
            if match:
                label, title = match.group(1), match.group(2) or None
            provision_id = raw_id
        else:
            if "—" in heading_text:
                label, title = (part.strip() for part in heading_text.split("—", 1))
            else:
                match = _ECFR_NUMBERED_HEADING.match(heading_text)
                if match:
                    label, title = match.group(1), match.group(2) or None
            provision_id = self._ecfr_structure_id(kind, raw_id, citation)
        depth = self.builder.depth
        self.builder.open(provision_id, "group" if kind == "subjgrp" else kind, title=title or None, label=label)
        self.flow(element, skip=heading)
        self.close_to(depth)

    def _ecfr_structure_id(self, kind: str, raw_id: str, citation: str | None) -> str:
        if kind == "part":
            self.part_number = raw_id.removeprefix("part-")
            return f"Part {self.part_number}"
        if kind == "appendix" and citation:
            return re.sub(r",\s*Title\s+[0-9]+$", "", citation)
        if citation and re.match(r"^[0-9]+ CFR ", citation):
            return re.sub(r"^[0-9]+ CFR ", "", citation)  # "45 CFR Part 164 Subpart E"
        name = raw_id.replace("-", " ")
        name = name[:1].upper() + name[1:]
        return f"Part {self.part_number} {name}" if self.part_number else name

    def ecfr_paragraph(self, element: _Element) -> None:
        provision_id = _ecfr_paragraph_id(element) or ""
        own = element if element.tag == "p" else next((c for c in element.elements() if c.tag == "p"), None)
        indent = _indent(own)
        # Sibling <p> paragraphs stay open for their sub-paragraphs; close those this one is not
        # in. The indent decides where both have one: it survives the odd wrong id in eCFR
        # (§ 160.103 has "p-160.103(ANSI)(1)" for the first item of "Business associate").
        while self.flat:
            top_id, top_depth, top_indent = self.flat[-1]
            if indent is not None and top_indent is not None:
                inside = top_indent < indent
            else:
                inside = provision_id.startswith(top_id + "(")
            if inside:
                break
            self.close_to(top_depth)
        label_element = heading_element = None
        kind, label, title = "paragraph", None, None
        if own is not None:
            label_element = _find(own, lambda e: "paragraph-hierarchy" in e.classes)
            heading_element = _find(own, lambda e: "paragraph-heading" in e.classes)
        if label_element is not None:
            label = normalise_text(_text(label_element)) or None
            # A defined term ("<em>Act</em> means ...") stands where the number would.
            if label_element.tag == "em" or own.attrs.get("data-term") == "true" or not _ECFR_LABEL.match(label or ""):
                kind, label, label_element = "definition", None, None  # the term stays in its sentence
        omit = tuple(e for e in (label_element, heading_element) if e is not None)
        text = _text(own, omit) if own is not None else ""
        if heading_element is not None:
            heading_text = normalise_text(_text(heading_element))
            rest = normalise_text(text)
            if rest[:1].islower():  # "Financial remuneration means ...": the heading is the subject
                text = _text(own, tuple(e for e in (label_element,) if e is not None))
            else:
                title = heading_text or None
                # "Standard: Minimum necessary — When using ...": the dash joined heading and text
                text = rest.lstrip(_TITLE_SEPARATORS)
        depth = self.builder.depth
        self.builder.open(provision_id, kind, title=title, label=label)
        self.add_blocks(text)
        if element.tag == "p":
            self.flat.append((provision_id, depth, indent))
            return
        self.flow(element, skip=own)
        self.close_to(depth)


# ---------------------------------------------------------------------------------------------
# Entry point


def read_html(path: Path, data: bytes) -> SourceDocument:
    """Read an HTML page (an eCFR page or any other) into a ``SourceDocument`` (see module doc)."""
    text = _decode(path, data)
    root = _parse(text)
    builder = DocumentBuilder(path, data, "html")
    title_element = _find(root, lambda e: e.tag == "title" and not _inside(e, "svg"))
    page_title = normalise_text(_text_raw(title_element)) if title_element is not None else ""

    ecfr_roots = list(_find_all(root, lambda e: _ecfr_kind(e) is not None and not _skipped(e)))
    ecfr_roots = [e for e in ecfr_roots if not any(_skipped(a) for a in _ancestors(e))]
    # A "section" div alone is common markup; eCFR's headings carry hierarchy metadata and its
    # paragraphs "p-<section>(...)" ids, so one of those must be there too.
    if not any(_find(element, _ecfr_marked) for element in ecfr_roots):
        ecfr_roots = []
    reader = _Reader(builder, ecfr=bool(ecfr_roots))
    if ecfr_roots:
        builder.title = re.sub(r"^eCFR\s*::\s*", "", page_title) or None
        builder.metadata["jurisdiction"] = "US"
        citation = _meta_content(root, "dcterms.bibliographicCitation")
        if citation:
            builder.metadata["citation"] = citation
        as_of = _ECFR_AS_OF.search(text)
        if as_of:
            month, day, year = (int(group) for group in as_of.groups())
            try:
                builder.metadata["current_as_of"] = dt.date(year, month, day)
            except ValueError:
                pass
        if builder.title is None:  # no <title>: the heading of the part (or section) itself
            heading = _find(ecfr_roots[0], lambda e: e.tag in _HEADINGS)
            builder.title = (normalise_text(_text(heading)) or None) if heading is not None else None
        for element in ecfr_roots:
            reader.ecfr_structure(element)
    else:
        mains = list(_find_all(root, lambda e: e.tag == "main" and not _skipped(e)))
        body = _find(root, lambda e: e.tag == "body")
        content = mains[0] if len(mains) == 1 else body or root
        reader.flow(content)
        if page_title:
            builder.title = page_title
        else:
            h1 = _find(content, lambda e: e.tag == "h1" and not _skipped(e))
            builder.title = (normalise_text(_text(h1)) or None) if h1 is not None else None
    html = _find(root, lambda e: e.tag == "html")
    language = html.attrs.get("lang", "").strip() if html is not None else ""
    if language:
        builder.metadata["language"] = language
    return builder.build()


def _ecfr_marked(element: _Element) -> bool:
    return "data-hierarchy-metadata" in element.attrs or (_ecfr_paragraph_id(element) or "")[:1].isdigit()


def _ancestors(element: _Element):
    node = element.parent
    while node is not None:
        yield node
        node = node.parent


def _inside(element: _Element, tag: str) -> bool:
    return any(a.tag == tag for a in _ancestors(element))


def _text_raw(element: _Element) -> str:
    """Text of an element that is itself skipped in the walk (the page <title>)."""
    return "".join(child if isinstance(child, str) else _text_raw(child) for child in element.children)


def _meta_content(root: _Element, name: str) -> str | None:
    meta = _find(root, lambda e: e.tag == "meta" and e.attrs.get("name", "").lower() == name.lower())
    content = normalise_text(meta.attrs.get("content", "")) if meta is not None else ""
    return content or None
