"""What rule extraction finds in a sentence or list item, before it becomes triples.

Offsets in these objects are into the text the extractor was given: ``SourceDocument.text``
when it reads a document, the sentence itself when it reads bare sentences (benchmarks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

MODALITIES = ("obligation", "prohibition", "permission")


@dataclass
class Span:
    start: int
    end: int
    text: str


@dataclass
class Threshold:
    amount: Decimal  # the number as written: 100 for "$100", 72 for "72 hours", 20 for "20 %"
    unit: str  # ISO 4217 code ("USD", "EUR"), a time unit ("hour", "day", "month", "year") or "percent"
    comparator: str  # gt | gteq | lt | lteq | eq (the ODRL operator's local name)
    text: str  # verbatim: "more than $100"


@dataclass
class Reference:
    kind: str  # subjectTo | exceptAs ("except as permitted by X": yields to X) | notwithstanding | derogation | accordance | refersTo
    target: str  # the reference as written: "Article 6", "paragraph 2", "section 164.508"
    text: str  # the whole phrase: "subject to Article 6"


@dataclass
class Statement:
    """One rule or definition read from one sentence or list item."""

    kind: str  # "rule" | "definition"
    sentence: Span  # the sentence or list item, verbatim
    modality: str | None = None  # obligation | prohibition | permission (rules only)
    bearer: str | None = None  # canonical label: "controller", "covered entity"
    action: str | None = None  # lemmatised verb phrase: "notify", "use or disclose"
    object: str | None = None  # canonical label: "personal data breach"
    purpose: str | None = None  # verbatim: "for the purposes of direct marketing"
    conditions: list[Span] = field(default_factory=list)  # verbatim, with offsets
    exceptions: list[Span] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    thresholds: list[Threshold] = field(default_factory=list)
    term: str | None = None  # definitions: the defined term's canonical label
    definition: str | None = None  # definitions: the defining text, verbatim
    lead_in: str | None = None  # list items: the lead-in that was distributed to this item
    negated_requirement: bool = False  # "shall not be required to", "need not": no duty, no ban
    bearer_inferred: bool = False  # the bearer comes from the surrounding rules, not this sentence
    bearer_pronoun: bool = False  # the subject was "they"/"he"/"it": the party named just before
    genus: str | None = None  # definitions: the broader concept ("processor" means "a ... person")
    # A claim right ("the right to obtain from the controller the erasure of ..."): whom it is held
    # against ("controller"; "" when the text names no one). Such a right gives a correlative duty.
    counterparty: str | None = None
    correlative_of: "Statement | None" = field(default=None, repr=False, compare=False)  # that right

    @property
    def correlative(self) -> bool:
        """A duty derived from a claim right (``correlative_of``), not stated by the text itself."""
        return self.correlative_of is not None
