"""What every reader produces: a document's normalised text and its provision tree, with offsets.

A reader (text, Markdown, HTML, PDF, Akoma Ntoso, USLM) walks its format and drives a
``DocumentBuilder``: ``open`` a provision (its heading line goes into the text), ``add_text`` the
provision's own paragraphs, ``close`` it. The builder normalises every piece of text the same
way (NFC, whitespace runs folded to one space, ends trimmed) and appends it to one string, so:

- ``SourceDocument.text`` is the normalised text, pieces separated by a newline;
- every ``Provision`` knows the span of its whole text (heading and children included);
- every ``Block`` (a paragraph, a list item, an intro) is a span of text owned by exactly one
  provision. Rule extraction reads blocks; ``text[block.start:block.end]`` is the block verbatim.
- ``Block.lead_in`` points at the block that introduces a list item ("... shall be prohibited:",
  "as follows:"), so the extractor can distribute the lead-in to each item.

Offsets are 0-based, end-exclusive, in code points of ``text`` (``pol:startOffset`` /
``pol:endOffset``). Provision ids are the source's own (an AKN eId, "164.502(a)", "Article
5(1)(a)"); the builder keeps them unique within the document by suffixing repeats with
``~2``, ``~3``, which is stable as long as the document does not change.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import ParseError

_SPACES = re.compile(r"\s+")
# A block that ends like this introduces the blocks of its child provisions.
_LEAD_IN_END = re.compile(r"(?::|—|–|--|\bfollowing|\bas follows|\bincluding)\s*$", re.IGNORECASE)


class DocumentError(ParseError):
    """A regulation document could not be read; the message names the file and the fix."""


def normalise_text(raw: str) -> str:
    """NFC, every whitespace run (newlines, tabs, no-break spaces) to one space, ends trimmed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", raw).replace("\u00ad", "")).strip()


@dataclass
class Provision:
    id: str  # as in the source: an AKN eId, "164.502(a)", "Article 5(1)(a)"
    kind: str  # chapter | part | subpart | section | article | paragraph | point | list | ...
    title: str | None  # heading text without the number, when the source gives one
    label: str | None  # the number as printed: "Article 5", "(a)", "§ 164.502"
    parent: str | None  # id of the containing provision; None at the top
    start: int  # span of the whole provision (heading and children) in SourceDocument.text
    end: int
    ordinal: int  # position in document order, from 0


@dataclass
class Block:
    provision: str  # id of the owning provision ("" for text outside any provision)
    start: int
    end: int
    lead_in: int | None = None  # index in SourceDocument.blocks of the block introducing this one


@dataclass
class SourceDocument:
    path: Path
    doc_id: str  # the document's id in the store (file stem unless the format names one)
    format: str  # text | markdown | html | pdf | akn | uslm
    title: str | None
    text: str
    provisions: list[Provision]
    blocks: list[Block]
    content_hash: str  # "sha256:" and the hex digest of the file's bytes
    metadata: dict = field(default_factory=dict)  # issued (date), jurisdiction, authority, ...

    def block_text(self, block: Block) -> str:
        return self.text[block.start : block.end]

    def lead_in_text(self, block: Block) -> str | None:
        """The text of the block that introduces ``block`` (a list item's lead-in), if any."""
        return None if block.lead_in is None else self.block_text(self.blocks[block.lead_in])

    def provision_lead_in(self, provision_id: str) -> str | None:
        """The lead-in of a provision's first block: "Personal data shall be:" for "Article 5(1)(a)"."""
        return self.lead_in_text(next(block for block in self.blocks if block.provision == provision_id))

    def provision_texts(self, provision_id: str) -> list[str]:
        """The texts of the blocks of one provision, in document order."""
        return [self.block_text(block) for block in self.blocks if block.provision == provision_id]

    def provision(self, provision_id: str) -> Provision | None:
        return self._by_id().get(provision_id)

    def _by_id(self) -> dict[str, Provision]:
        if not hasattr(self, "_index"):
            self._index = {p.id: p for p in self.provisions}
        return self._index


class DocumentBuilder:
    """Builds a ``SourceDocument`` from a reader's open/add_text/close calls (see module doc)."""

    def __init__(self, path: Path, data: bytes, format: str, *, doc_id: str | None = None) -> None:
        self.path = path
        self.format = format
        self.doc_id = doc_id or document_id_for(path)
        self.title: str | None = None
        self.metadata: dict = {}
        self._content_hash = "sha256:" + hashlib.sha256(data).hexdigest()
        self._parts: list[str] = []
        self._length = 0
        self._provisions: list[Provision] = []
        self._stack: list[Provision] = []
        self._blocks: list[Block] = []
        self._ids: dict[str, int] = {}
        self._empty: set[int] = set()  # ordinals of open provisions with no text yet
        self._pending_label = ""  # number of a title-less provision, printed before its text

    @property
    def depth(self) -> int:
        return len(self._stack)

    @property
    def current(self) -> Provision | None:
        return self._stack[-1] if self._stack else None

    def open(self, provision_id: str, kind: str, *, title: str | None = None, label: str | None = None) -> str:
        """Start a provision inside the current one; returns its (unique) id.

        A titled provision's heading line ("label title") is appended to the text; an untitled
        one's label is printed at the start of its first paragraph's line, outside the block.
        """
        provision_id = normalise_text(provision_id) or f"{kind}-{len(self._provisions) + 1}"
        seen = self._ids.get(provision_id, 0)
        self._ids[provision_id] = seen + 1
        if seen:
            provision_id = f"{provision_id}~{seen + 1}"
        title = normalise_text(title) if title else None
        label = normalise_text(label) if label else None
        provision = Provision(
            id=provision_id,
            kind=kind,
            title=title or None,
            label=label or None,
            parent=self._stack[-1].id if self._stack else None,
            start=self._length,
            end=self._length,
            ordinal=len(self._provisions),
        )
        self._provisions.append(provision)
        self._stack.append(provision)
        self._empty.add(provision.ordinal)
        if title:
            self._append(" ".join(part for part in (label, title) if part))
        elif label:
            # "(a)" stays on the line of the point's first paragraph, outside its block
            self._pending_label = f"{self._pending_label} {label}".strip()
        return provision_id

    def close(self) -> None:
        provision = self._stack.pop()
        provision.end = max(provision.start, self._length)

    def close_to(self, depth: int) -> None:
        """Close provisions until ``depth`` remain open."""
        while len(self._stack) > depth:
            self.close()

    def add_text(self, raw: str) -> Block | None:
        """Append a paragraph of the current provision; returns its block (None when blank)."""
        text = normalise_text(raw)
        if not text:
            return None
        label, self._pending_label = self._pending_label, ""
        self._append(f"{label} {text}" if label else text)
        block = Block(
            provision=self._stack[-1].id if self._stack else "",
            start=self._length - len(text),
            end=self._length,
        )
        self._blocks.append(block)
        return block

    def _append(self, text: str) -> None:
        if self._pending_label:  # a heading or a provision with no text of its own
            label, self._pending_label = self._pending_label, ""
            self._append(label)
        if self._parts:
            self._parts.append("\n")
            self._length += 1
        # Open provisions that had no text yet start where this text starts.
        for provision in self._stack:
            if provision.ordinal in self._empty:
                provision.start = self._length
                self._empty.discard(provision.ordinal)
        self._parts.append(text)
        self._length += len(text)

    def build(self) -> SourceDocument:
        self.close_to(0)
        text = "".join(self._parts)
        if not self._blocks:
            raise DocumentError(
                f"{self.path}: no text found in this {self.format} document; "
                "check that it is the file you meant (an empty file or a scan has no text to read)"
            )
        document = SourceDocument(
            path=self.path,
            doc_id=self.doc_id,
            format=self.format,
            title=self.title,
            text=text,
            provisions=self._provisions,
            blocks=self._blocks,
            content_hash=self._content_hash,
            metadata=self.metadata,
        )
        _link_lead_ins(document)
        return document


# Provisions opened by a heading are not items of the sentence before them.
_HEADING_KINDS = {
    "book", "part", "subpart", "title", "subtitle", "chapter", "subchapter", "division", "article",
    "section", "heading", "appendix", "annex", "schedule",
}


def _link_lead_ins(document: SourceDocument) -> None:
    """A block of a child provision is introduced by its parent's last block before the child,
    or, inside one provision, by the block just before it, when that block ends with a colon,
    a dash or "as follows"/"the following"."""
    by_id = {p.id: p for p in document.provisions}
    child_starts: dict[str, list[int]] = {}
    for provision in document.provisions:
        if provision.parent is not None:
            child_starts.setdefault(provision.parent, []).append(provision.start)
    own: dict[str, list[int]] = {}
    for index, block in enumerate(document.blocks):
        own.setdefault(block.provision, []).append(index)
    for index, block in enumerate(document.blocks):
        provision = by_id.get(block.provision)
        candidate = None
        mine = own.get(block.provision, [])
        position = mine.index(index)
        if position > 0:
            previous = document.blocks[mine[position - 1]]
            # a wrap-up after the provision's children is not introduced by its intro
            if not any(previous.end <= start < block.start for start in child_starts.get(block.provision, [])):
                candidate = mine[position - 1]
        elif provision is not None and provision.kind not in _HEADING_KINDS:
            # walk up: the nearest ancestor with a block before this provision starts
            parent = by_id.get(provision.parent) if provision.parent else None
            child_start = provision.start
            while parent is not None and candidate is None:
                before = [i for i in own.get(parent.id, []) if document.blocks[i].end <= child_start]
                if before:
                    candidate = before[-1]
                    break
                child_start = parent.start
                parent = by_id.get(parent.parent) if parent.parent else None
        if candidate is not None and _LEAD_IN_END.search(document.block_text(document.blocks[candidate])):
            block.lead_in = candidate


_ID_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


def document_id_for(path: Path) -> str:
    """A document's default id: its file name without the format suffixes, made IRI-safe."""
    name = path.name
    for suffix in (".akn.xml", ".uslm.xml", ".xml", ".html", ".htm", ".md", ".markdown", ".txt", ".pdf"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return _ID_CHARS.sub("-", name).strip("-") or "document"


def decode_text(path: Path, data: bytes) -> str:
    """The text of a text-like file (UTF-8, with or without BOM; UTF-16 with BOM), or a clear error.

    Binary data with a text name and text in another encoding are refused rather than guessed:
    a wrong guess would put mangled words into the graph with nothing to show for it.
    """
    if not data.strip():
        raise DocumentError(f"{path}: the file is empty; give a document with text in it")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DocumentError(f"{path}: not valid UTF-16 at byte {exc.start}; re-save the file as UTF-8") from exc
    sample = data[:65536]
    if b"\x00" in sample or _control_share(sample) > 0.05:
        raise DocumentError(
            f"{path}: this is binary data, not text (it has NUL or control bytes); "
            "give the document itself, or name it by its real format (.pdf, .html, .xml)"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DocumentError(
            f"{path}: not UTF-8 (byte 0x{data[exc.start]:02x} at line {line}); "
            "re-save it as UTF-8, e.g. iconv -f windows-1252 -t utf-8 FILE > FILE.utf8"
        ) from exc


def _control_share(sample: bytes) -> float:
    controls = sum(1 for byte in sample if byte < 32 and byte not in (9, 10, 12, 13))
    return controls / max(1, len(sample))
