"""Akoma Ntoso 3.0 and USLM XML: the provision tree is the document's own markup.

Parsing is done by ``defusedxml`` with entity declarations and external references refused, and
with any DOCTYPE that names an external DTD refused too: a regulation file never needs them, and
they are how XML reads local files (``<!ENTITY x SYSTEM "file:///etc/passwd">``), calls out to
the network, or expands a few hundred bytes into gigabytes ("billion laughs"). Nothing is ever
expanded or fetched; such a file gets a ``DocumentError`` saying what it declared.

The dialect is told by the root element: ``<akomaNtoso>`` is Akoma Ntoso (format ``akn``) in
whichever namespace it declares (3.0 final, the ``.../akn/3.0/CSD13`` committee drafts, 2.0); a
root in a USLM namespace (``http://xml.house.gov/schemas/uslm/1.0``, ``.../2.0``,
``http://schemas.gpo.gov/xml/uslm``: ``<lawDoc>``, ``<uscDoc>``, ``<pLaw>``, ``<cfrDoc>``, ...)
or a ``<lawDoc>``/``<uscDoc>`` root is USLM (format ``uslm``).

Mapping, both dialects (elements are matched by local name, in the document's own namespace or
XHTML for tables; elements of other namespaces are read as inline text):

- hierarchical elements (AKN: book, part, title, chapter, section, article, paragraph, point,
  list, blockList/item, tblock, hcontainer, quotedStructure, ...; USLM: title, subtitle, chapter,
  subchapter, part, subpart, division, section, subsection, paragraph, ... item, level,
  appropriations) become provisions. kind = the element's local name (an AKN ``hcontainer``
  takes its ``name``, e.g. "crossheading", "schedule"); label = its ``<num>``; title = its
  ``<heading>``. AKN preface, preamble, citations/citation, recitals/recital, conclusions and
  components are provisions too; so are a USLM preface, backMatter and legislativeHistory.
- provision id: AKN ``eId``, else ``id``/``GUID``; USLM ``identifier``, else ``id``. Without
  one, a path from the parent's id: AKN ``sec_2__list_1__item_9`` (kind and position among
  same-kind siblings), USLM ``/tV/s501/a`` (kind prefix and ``<num value>``); one that would
  equal an id written elsewhere in the file gets ``-noid``. The builder suffixes repeats
  (``~2``: the file's own ids repeat across AKN components and in CFR definitions), so ids
  are unique and the same on every read.
- text: block elements (``<p>``, ``<intro>``, ``<content>``, ``<wrapUp>``, ``<chapeau>``,
  ``<continuation>``, ``<listIntroduction>``, ``<heading>`` outside a provision's own, ...)
  each end the paragraph before them; everything inside one is flattened to a single block of
  the provision being read (inline markup such as ``<ref>``, ``<term>``, ``<proviso>`` is just
  text). The walk is in document order, so an intro or chapeau is added before the child
  provisions it introduces and ``DocumentBuilder`` links it as their lead-in; a wrapUp or
  continuation comes after them. A table row is one block, cells joined by " | ".
- left out of the running text: metadata (``<meta>``), tables of contents, AKN
  ``<authorialNote>`` and the cover page, USLM ``<footnote>``, ``<sidenote>``, page markers and
  running heads. (Their text is dropped, not moved elsewhere.)
- document title: AKN the first ``<shortTitle>``, else ``<docTitle>``, else a FRBRWork
  ``FRBRname`` that reads like a name; USLM ``dc:title``, else ``<docTitle>``/``<officialTitle>``.
  Failing those, the first provision's heading. Metadata: ``issued`` (a ``datetime.date``) from
  the AKN FRBRWork ``FRBRdate`` or USLM ``dc:date``/``dcterms:created``; ``jurisdiction`` from
  the AKN ``FRBRcountry`` (upper-cased: "EU", "GB-UKM"), "US" for USLM (US federal law only).
"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError, TreeBuilder
from xml.parsers import expat

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser

from pipeline.framers.document import DocumentBuilder, DocumentError, SourceDocument, normalise_text

AKN_NAMESPACE = "http://docs.oasis-open.org/legaldocml/ns/akn/3.0"
USLM_NAMESPACES = (
    "http://xml.house.gov/schemas/uslm/1.0",
    "http://xml.house.gov/schemas/uslm/2.0",
    "http://schemas.gpo.gov/xml/uslm",
)
XHTML_NAMESPACE = "http://www.w3.org/1999/xhtml"
_DC = "http://purl.org/dc/elements/1.1/"
_DCTERMS = "http://purl.org/dc/terms/"
_METADATA_NAMESPACES = ("{" + _DC, "{" + _DCTERMS)

# Real documents nest 10 to 20 levels; the walk is recursive, so a file nested thousands deep
# (a way to crash a parser) is refused up front.
MAX_DEPTH = 100

_ROW_NAMES = {"tr", "row"}
_CELL_NAMES = {"td", "th", "column"}
_BREAK_NAMES = {"br", "eol", "eop"}  # line and page breaks: a space in the text


@dataclass(frozen=True)
class _Dialect:
    format: str
    hierarchy: frozenset[str]  # elements that are provisions
    blocks: frozenset[str]  # elements whose text is a paragraph of its own
    skip: frozenset[str]  # elements whose text is not part of the running text


AKN = _Dialect(
    format="akn",
    hierarchy=frozenset(
        # AKN 3.0 hierarchical elements (the ANhier group) ...
        "alinea article book chapter clause division hcontainer indent level list paragraph part "
        "point proviso rule section subchapter subclause subdivision sublist subparagraph subpart "
        "subrule subsection subtitle title tome transitional "
        # ... and the other structures that hold the text of a numbered unit
        "blockList item tblock quotedStructure preface preamble citations citation recitals "
        "recital conclusions component attachment".split()
    ),
    blocks=frozenset(
        "p intro content wrapUp listIntroduction listWrapUp block blockContainer container formula "
        "longTitle heading subheading crossHeading caption li foreign".split()
    ),
    skip=frozenset("meta toc authorialNote note noteRef coverPage documentRef componentRef".split()),
)

USLM = _Dialect(
    format="uslm",
    hierarchy=frozenset(
        "title subtitle chapter subchapter part subpart division subdivision article subarticle "
        "section subsection paragraph subparagraph clause subclause item subitem subsubitem level "
        "appropriations preface backMatter legislativeHistory".split()
    ),
    blocks=frozenset(
        "p content chapeau continuation text heading subheading note source sourceCredit "
        "authority enactingFormula enactingClause longTitle docTitle officialTitle caption "
        "action actionDescription signature block li docNumber congress session citableAs".split()
    ),
    skip=frozenset(
        "meta toc tocItem footnote sidenote page leftRunningHead rightRunningHead ear endMarker "
        "marker".split()
    ),
)

# Path segments for USLM provisions without an identifier, as in USLM identifiers (/t9/ch3/s301).
_USLM_PREFIX = {
    "title": "t",
    "subtitle": "st",
    "chapter": "ch",
    "subchapter": "sch",
    "part": "pt",
    "subpart": "spt",
    "division": "d",
    "subdivision": "sd",
    "section": "s",
}
_SEGMENT_CHARS = re.compile(r"[^A-Za-z0-9.\-]+")


def read_xml(path: Path, data: bytes) -> SourceDocument:
    """Read an Akoma Ntoso or USLM file into a ``SourceDocument`` (see the module doc)."""
    root = _parse(path, data)
    namespace, local = _split(root.tag)
    if local == "akomaNtoso":
        dialect = AKN
    elif namespace in USLM_NAMESPACES or local in ("lawDoc", "uscDoc"):
        dialect = USLM
    else:
        shown = f"<{local}> in namespace {namespace}" if namespace else f"<{local}> (no namespace)"
        raise DocumentError(
            f"{path}: the root element is {shown}, which is neither Akoma Ntoso (<akomaNtoso>, "
            f"namespace {AKN_NAMESPACE}) nor USLM (<lawDoc>, <uscDoc>, <pLaw>, <cfrDoc>, ... in "
            f"namespace {USLM_NAMESPACES[0]} or {USLM_NAMESPACES[2]}); give an Akoma Ntoso 3.0 or "
            "USLM file, or save the text as .txt or .html"
        )
    _check_depth(path, root)
    builder = DocumentBuilder(path, data, dialect.format)
    walker = _Walker(builder, dialect, namespace)
    if dialect is AKN:
        builder.title, builder.metadata = _akn_title_and_metadata(root, walker)
        walker.component_titles = _akn_component_titles(root, walker)
    else:
        builder.title, builder.metadata = _uslm_title_and_metadata(root, walker)
        walker.base = root.get("identifier", "").rstrip("/")
    walker.walk(root)
    document = builder.build()
    if not document.title:
        # no title in the markup: the first provision with a heading ("CHAPTER 3— INTER-...")
        for provision in document.provisions:
            if provision.title:
                document.title = " ".join(part for part in (provision.label, provision.title) if part)
                break
    return document


class _SafeParser(DefusedXMLParser):
    """defusedxml's parser (entity declarations and external references refused) that also
    refuses a DOCTYPE naming an external DTD; an internal DOCTYPE without entities is fine."""

    def __init__(self) -> None:
        super().__init__(target=TreeBuilder(), forbid_dtd=False, forbid_entities=True, forbid_external=True)
        self.parser.StartDoctypeDeclHandler = self._refuse_external_dtd

    # (not "_doctype": ElementTree's XMLParser already uses that attribute)
    def _refuse_external_dtd(self, name, sysid, pubid, has_internal_subset) -> None:
        if sysid or pubid:
            raise DTDForbidden(name, sysid, pubid)


def _parse(path: Path, data: bytes) -> Element:
    if not data.removeprefix(b"\xef\xbb\xbf").strip():
        raise DocumentError(f"{path}: the file is empty; give an Akoma Ntoso or USLM XML document")
    parser = _SafeParser()
    try:
        parser.feed(data)
        return parser.close()
    except EntitiesForbidden as exc:
        source = f" SYSTEM '{exc.sysid}'" if exc.sysid else f" '{_clip(exc.value)}'" if exc.value else ""
        raise DocumentError(
            f"{path}: declares XML entities, which are refused for safety: <!ENTITY {exc.name}{source}> "
            "(entities can read local files or expand without bound); remove the <!ENTITY> declarations "
            "and the references to them"
        ) from None
    except ExternalReferenceForbidden as exc:
        raise DocumentError(
            f"{path}: refers to an external XML resource ({exc.sysid or exc.pubid}), which is refused "
            "for safety; remove the reference"
        ) from None
    except DTDForbidden as exc:
        raise DocumentError(
            f"{path}: its DOCTYPE names an external DTD ({exc.sysid or exc.pubid}), which is refused for "
            "safety (a DTD can read local files or the network); delete the <!DOCTYPE ...> line"
        ) from None
    except ParseError as exc:
        line, column = exc.position
        raise DocumentError(
            f"{path}: not well-formed XML at line {line}, column {column + 1}: "
            f"{expat.ErrorString(exc.code)}; fix the markup there (is the file complete?)"
        ) from None


def _clip(text: str, limit: int = 40) -> str:
    text = normalise_text(text)
    return text if len(text) <= limit else text[:limit] + "..."


def _check_depth(path: Path, root: Element) -> None:
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise DocumentError(
                f"{path}: elements are nested more than {MAX_DEPTH} deep, which no regulation needs; "
                "check that this is the document you meant"
            )
        stack.extend((child, depth + 1) for child in element)


def _split(tag) -> tuple[str, str]:
    """(namespace, local name) of an element tag; ("", "") for anything that is not an element."""
    if not isinstance(tag, str):
        return "", ""
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


class _Walker:
    """Walks the element tree in document order, driving the builder (see the module doc)."""

    def __init__(self, builder: DocumentBuilder, dialect: _Dialect, namespace: str) -> None:
        self.builder = builder
        self.dialect = dialect
        self.namespace = namespace
        self.base = ""  # USLM: the root's identifier, prefix of path ids
        self.component_titles: dict[str, str] = {}  # AKN: component eId -> documentRef showAs
        self._parts: list[str] = []  # text of the paragraph being read
        self._ids: list[str] = []  # ids of the open provisions
        self._explicit: set[str] = set()  # ids written in the document

    # -- element names -------------------------------------------------------------------------

    def name(self, element: Element) -> str | None:
        """The element's local name when it is in the document's vocabulary (or XHTML), else None."""
        namespace, local = _split(element.tag)
        if not local:
            return None
        if namespace == self.namespace or namespace == XHTML_NAMESPACE:
            return local
        return None

    # -- walking -------------------------------------------------------------------------------

    def walk(self, root: Element) -> None:
        # ids the document gives itself; a made-up path id must not take one of them first
        attributes = ("eId", "id", "GUID") if self.dialect is AKN else ("identifier", "id")
        self._explicit = {
            normalise_text(element.get(attribute))
            for element in root.iter()
            for attribute in attributes
            if element.get(attribute)
        }
        self._inline(root)
        self._flush()

    def _children(self, element: Element, leave_out: tuple = ()) -> None:
        counts = Counter(child.tag for child in element)
        seen: Counter = Counter()
        for child in element:
            seen[child.tag] += 1
            if not any(child is other for other in leave_out):
                self._element(child, seen[child.tag], counts[child.tag])
            if child.tail:
                self._parts.append(child.tail)

    def _inline(self, element: Element) -> None:
        if element.text:
            self._parts.append(element.text)
        self._children(element)

    def _element(self, element: Element, position: int, of: int) -> None:
        name = self.name(element)
        if name is None:  # foreign markup: its text only
            if not isinstance(element.tag, str):
                return  # a comment or processing instruction
            if element.tag.startswith(_METADATA_NAMESPACES):
                # <dc:type>Public Law</dc:type><docNumber>... in a USLM preface: one line each
                self._flush()
                self._inline(element)
                self._flush()
            else:
                self._inline(element)
            return
        if name in self.dialect.skip:
            return
        if name in self.dialect.hierarchy:
            if name == "component" and not self._has_content(element):
                return  # a collection's list of components: the components come later in full
            self._provision(element, name, position, of)
        elif name in _ROW_NAMES:
            self._flush()
            cells = [self.flatten(cell) for cell in element if self.name(cell) in _CELL_NAMES]
            self.builder.add_text(" | ".join(cell for cell in map(normalise_text, cells) if cell))
        elif name in _BREAK_NAMES:
            self._parts.append(" ")
        elif name in self.dialect.blocks:
            self._flush()
            self._inline(element)
            self._flush()
        else:
            self._inline(element)

    def _provision(self, element: Element, name: str, position: int, of: int) -> None:
        self._flush()
        num = self.first_child(element, "num")
        heading = self.first_child(element, "heading")
        kind = name
        if name == "hcontainer" and element.get("name"):
            kind = element.get("name")
        title = self.flatten(heading) if heading is not None else None
        if name == "component" and not title:
            title = self.component_titles.get(element.get("eId", ""))
        provision_id = self._id_for(element, name, num, position, of)
        provision_id = self.builder.open(
            provision_id,
            kind,
            title=title,
            label=self.flatten(num) if num is not None else None,
        )
        self._ids.append(provision_id)
        if element.text:
            self._parts.append(element.text)
        self._children(element, leave_out=(num, heading))
        self._flush()
        self.builder.close()
        self._ids.pop()

    def _id_for(self, element: Element, name: str, num: Element | None, position: int, of: int) -> str:
        if self.dialect is AKN:
            own = element.get("eId") or element.get("id") or element.get("GUID")
            if own:
                return own
            segment = name if of == 1 else f"{name}_{position}"
            made = f"{self._ids[-1]}__{segment}" if self._ids else segment
        else:
            own = element.get("identifier") or element.get("id")
            if own:
                return own
            value = _SEGMENT_CHARS.sub("", num.get("value", "")) if num is not None else ""
            if value:
                segment = _USLM_PREFIX.get(name, "") + value
            else:
                segment = name if of == 1 else f"{name}{position}"
            made = f"{self._ids[-1] if self._ids else self.base}/{segment}"
        # an <item> without eId between item_8 and an item with eId item_9 would be "..._item_9"
        return f"{made}-noid" if made in self._explicit else made

    def _has_content(self, component: Element) -> bool:
        return any(self.name(child) not in ("documentRef", "componentRef", None) for child in component)

    def _flush(self) -> None:
        if self._parts:
            self.builder.add_text("".join(self._parts))
            self._parts.clear()

    # -- text of one element -------------------------------------------------------------------

    def flatten(self, element: Element) -> str:
        """The element's text with inline markup dropped and skipped elements (notes) left out."""
        parts: list[str] = []
        self._flatten_into(element, parts)
        return "".join(parts)

    def _flatten_into(self, element: Element, parts: list[str]) -> None:
        if element.text:
            parts.append(element.text)
        for child in element:
            name = self.name(child)
            if name in _BREAK_NAMES:
                parts.append(" ")
            elif isinstance(child.tag, str) and name not in self.dialect.skip:
                self._flatten_into(child, parts)
            if child.tail:
                parts.append(child.tail)

    def find(self, element: Element, name: str) -> Element | None:
        """The first descendant (document order) with this local name, outside <meta>."""
        for child in element:
            local = self.name(child)
            if local == name:
                return child
            if local != "meta":
                found = self.find(child, name)
                if found is not None:
                    return found
        return None

    def first_child(self, element: Element, name: str) -> Element | None:
        for child in element:
            if self.name(child) == name:
                return child
        return None


# -- Akoma Ntoso document title and metadata -----------------------------------------------------


def _akn_title_and_metadata(root: Element, walker: _Walker) -> tuple[str | None, dict]:
    # the document proper: <act>, <bill>, <doc>, <documentCollection>, <portion>, ...
    document = next((child for child in root if walker.name(child) not in (None, "meta")), root)
    title = None
    for name in ("shortTitle", "docTitle"):
        found = walker.find(document, name)
        if found is not None:
            title = normalise_text(walker.flatten(found)) or None
            if title:
                break
    metadata: dict = {}
    work = None
    meta = walker.first_child(document, "meta")
    if meta is not None:
        identification = walker.first_child(meta, "identification")
        if identification is not None:
            work = walker.first_child(identification, "FRBRWork")
    if work is not None:
        frbr_name = walker.first_child(work, "FRBRname")
        name_value = normalise_text(frbr_name.get("value", "")) if frbr_name is not None else ""
        # FRBRname is often a type code ("publicLaw", "title"); only a real name is a title
        if not title and re.search(r"[\s\d]", name_value):
            title = name_value
        frbr_date = walker.first_child(work, "FRBRdate")
        issued = _date(frbr_date.get("date", "")) if frbr_date is not None else None
        if issued:
            metadata["issued"] = issued
        country = walker.first_child(work, "FRBRcountry")
        if country is not None and normalise_text(country.get("value", "")):
            metadata["jurisdiction"] = normalise_text(country.get("value", "")).upper()
    return title, metadata


def _akn_component_titles(root: Element, walker: _Walker) -> dict[str, str]:
    """A documentCollection lists its components as <component eId><documentRef showAs>."""
    titles: dict[str, str] = {}
    for element in root.iter():
        if walker.name(element) == "component":
            reference = walker.first_child(element, "documentRef")
            if reference is not None and reference.get("showAs"):
                titles.setdefault(element.get("eId", ""), normalise_text(reference.get("showAs")))
    return titles


# -- USLM document title and metadata ------------------------------------------------------------


def _uslm_title_and_metadata(root: Element, walker: _Walker) -> tuple[str | None, dict]:
    metadata: dict = {"jurisdiction": "US"}
    meta = walker.first_child(root, "meta")
    title = None
    if meta is not None:
        dc_title = meta.find(f"{{{_DC}}}title")
        if dc_title is not None:
            title = normalise_text(walker.flatten(dc_title)) or None
        for tag in (f"{{{_DC}}}date", f"{{{_DCTERMS}}}issued", f"{{{_DCTERMS}}}created"):
            found = meta.find(tag)
            issued = _date(walker.flatten(found)) if found is not None else None
            if issued:
                metadata["issued"] = issued
                break
    if not title:
        parts = [walker.find(root, name) for name in ("docTitle", "officialTitle")]
        title = normalise_text(" ".join(walker.flatten(part) for part in parts if part is not None)) or None
    return title, metadata


def _date(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None
