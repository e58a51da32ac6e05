"""The decision engine: in a situation, is the action permitted, forbidden or required, by which
rules, and why.

It is the project's oracle (scenario answers and probe expectations come from it), so it is
deterministic and explains itself. The policy is read from the graph once (``Policy.from_store``)
into plain Python structures indexed by action, so a decision touches only the rules that can
apply, without a query.

Semantics
---------
* A rule applies when its bearer, action and object equal or are broader than the situation's
  (``skos:broader``, transitively: a rule for "third party" applies to a "supplier", a rule for
  "supplier" does not apply to every "third party"), all its conditions hold and none of its
  exceptions holds. A rule without an object applies to any object; a rule with an object does
  not apply to a situation that names none.
* A fact that is absent is unknown. When the verdict would differ depending on unknown facts,
  the verdict is ``needs-info`` and ``missing`` lists exactly the facts whose value changes it.
* An applicable prohibition gives ``forbidden``, an obligation ``required``, a permission
  ``permitted``; obligation and permission together give ``required``. A prohibition against a
  permission or an obligation is a conflict, resolved by the principles in the policy's order
  (default: explicit override, lex superior, lex specialis, lex posterior), then by the fallback
  strategy (deny-overrides by default; permit-overrides, first-applicable, only-one-applicable).
  A rule that loses any of its conflicts is defeated; the verdict comes from the rules left.
* A conflict nothing resolves (only-one-applicable, or rules that override each other) gives the
  verdict ``unresolved`` and is reported as such: never silently picked. So does a tangle in which
  every applicable rule loses one of its conflicts; its conflicts are then all reported unresolved
  (principle "tangle"), since none of their winners stands. Ties under first-applicable (equal ordinals)
  go to the rule whose IRI sorts first.
* No applicable rule gives ``not-applicable``.
"""

from __future__ import annotations

import datetime
import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Literal, Mapping

from kg.errors import StudioError
from kg.labels import normalise_label

Modality = Literal["obligation", "prohibition", "permission"]
PRINCIPLES = ("explicit", "lex-superior", "lex-specialis", "lex-posterior")
STRATEGIES = ("deny-overrides", "permit-overrides", "first-applicable", "only-one-applicable")
VERDICTS = ("permitted", "forbidden", "required", "needs-info", "not-applicable", "unresolved")
# Past this many unknown facts that matter, the engine does not try every combination of them
# (2**12 combinations take about 50 ms) and asks for all of them instead.
MAX_UNKNOWN_FACTS = 12


class DecisionError(StudioError):
    """A situation or policy the engine cannot decide on (malformed input, bad configuration)."""


@dataclass(frozen=True)
class RuleInfo:
    iri: str
    rule_id: str
    modality: Modality
    bearer: str
    action: str
    object: str | None = None
    conditions: tuple[str, ...] = ()
    exceptions: tuple[str, ...] = ()
    source: str = ""
    authority: int | None = None
    issued: datetime.date | None = None
    ordinal: int = 0
    provision: str | None = None
    text: str | None = None

    def cited(self) -> str:
        where = f"{self.source} {self.provision}".strip() if self.provision else self.source
        return f"{self.rule_id} ({where})" if where else self.rule_id


@dataclass
class Policy:
    rules: list[RuleInfo]
    broader: dict[str, set[str]] = field(default_factory=dict)
    overrides: set[tuple[str, str]] = field(default_factory=set)
    precedence: tuple[str, ...] = PRINCIPLES
    strategy: str = "deny-overrides"

    def __post_init__(self) -> None:
        unknown = [p for p in self.precedence if p not in PRINCIPLES]
        if unknown:
            raise DecisionError(f"unknown precedence principle {unknown[0]!r}; use {', '.join(PRINCIPLES)}")
        if self.strategy not in STRATEGIES:
            raise DecisionError(f"unknown strategy {self.strategy!r}; use one of {', '.join(STRATEGIES)}")

    @classmethod
    def from_store(cls, store, *, precedence: Iterable[str] | None = None, strategy: str | None = None) -> "Policy":
        """Read every rule, the concept hierarchy and the overrides from the policy graph."""
        from kg.policy_graph import read_policy

        return read_policy(store, cls, precedence=precedence, strategy=strategy)


@dataclass(frozen=True)
class Situation:
    bearer: str
    action: str
    object: str | None = None
    facts: Mapping[str, bool] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Any, where: str = "situation") -> "Situation":
        """Build from JSON-like data, naming the input and the key in every error."""
        if not isinstance(data, Mapping):
            raise DecisionError(f"{where}: a situation is a JSON object with bearer, action, object and facts")
        allowed = {"bearer", "action", "object", "facts"}
        extra = sorted(set(data) - allowed)
        if extra:
            raise DecisionError(f"{where}: unknown key {extra[0]!r}; a situation has {', '.join(sorted(allowed))}")
        for key in ("bearer", "action"):
            if not isinstance(data.get(key), str) or not data[key].strip():
                raise DecisionError(f"{where}: {key!r} must be a non-empty string")
        obj = data.get("object")
        if obj is not None and (not isinstance(obj, str) or not obj.strip()):
            raise DecisionError(f"{where}: 'object' must be a non-empty string or null")
        facts = data.get("facts", {}) or {}
        if not isinstance(facts, Mapping):
            raise DecisionError(f"{where}: 'facts' must be an object of fact: true|false")
        for fact, value in facts.items():
            if not isinstance(value, bool):
                raise DecisionError(f"{where}: fact {fact!r} must be true or false (leave it out when unknown), got {value!r}")
        return cls(data["bearer"], data["action"], obj, dict(facts))


@dataclass
class Decision:
    verdict: str
    situation: Situation
    applicable: list[dict] = field(default_factory=list)
    conflicts: list[dict] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)
    possible: list[dict] = field(default_factory=list)  # rules that apply for some values of the missing facts

    def to_dict(self) -> dict:
        return {
            "verdict": self.verdict,
            "situation": {
                "bearer": self.situation.bearer,
                "action": self.situation.action,
                "object": self.situation.object,
                "facts": dict(self.situation.facts),
            },
            "applicable": self.applicable,
            "conflicts": self.conflicts,
            "missing": self.missing,
            "possible": self.possible,
            "explanation": self.explanation,
        }


def _rule_summary(rule: RuleInfo) -> dict:
    return {
        "rule": rule.iri,
        "id": rule.rule_id,
        "modality": rule.modality,
        "document": rule.source,
        "provision": rule.provision,
        "text": rule.text,
    }


@dataclass(frozen=True)
class _Outcome:
    verdict: str
    applicable: tuple[RuleInfo, ...]
    conflicts: tuple[tuple[RuleInfo, RuleInfo, str | None, RuleInfo | None], ...]  # (a, b, principle, winner)


class DecisionEngine:
    """Decides situations against one policy; build it once, call ``decide`` many times."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        # Duplicated rules (same IRI) count once, so repeating a rule never changes a decision;
        # two different rules under one IRI would make the list's order decide, so they are refused.
        unique: dict[str, RuleInfo] = {}
        for rule in policy.rules:
            if unique.setdefault(rule.iri, rule) != rule:
                raise DecisionError(f"two different rules have the IRI {rule.iri}; give each rule its own IRI")
        self._rules = sorted(unique.values(), key=lambda r: (r.ordinal, r.iri))
        # Indexed by (action, bearer): a decision looks up each pair of the situation's ancestors
        # instead of scanning every rule about the action.
        self._by_action_bearer: dict[tuple[str, str], list[RuleInfo]] = defaultdict(list)
        for rule in self._rules:
            self._by_action_bearer[(rule.action, rule.bearer)].append(rule)
        self._ancestors_cache: dict[str, frozenset[str]] = {}
        self._overrides = set(policy.overrides)
        self._resolved: dict[tuple[str, str], tuple[str | None, RuleInfo | None]] = {}

    # -- concepts --------------------------------------------------------------------------
    def ancestors(self, concept: str) -> frozenset[str]:
        """The concept and everything broader than it."""
        found = self._ancestors_cache.get(concept)
        if found is None:
            seen, todo = {concept}, [concept]
            while todo:
                for parent in self.policy.broader.get(todo.pop(), ()):
                    if parent not in seen:
                        seen.add(parent)
                        todo.append(parent)
            found = self._ancestors_cache[concept] = frozenset(seen)
        return found

    def _narrower_or_equal(self, a: str | None, b: str | None) -> bool:
        """a is b or narrower; None (no object) is the broadest."""
        if b is None:
            return True
        if a is None:
            return False
        return b in self.ancestors(a)

    # -- deciding --------------------------------------------------------------------------
    def candidates(self, situation: Situation) -> list[RuleInfo]:
        """Rules whose bearer, action and object fit the situation (conditions not yet looked at)."""
        bearer = self.ancestors(normalise_label(situation.bearer))
        objects = self.ancestors(normalise_label(situation.object)) if situation.object else frozenset()
        found = [
            rule
            for action in self.ancestors(normalise_label(situation.action))
            for party in bearer
            for rule in self._by_action_bearer.get((action, party), ())
            if rule.object is None or rule.object in objects
        ]
        return sorted(found, key=lambda r: (r.ordinal, r.iri))

    def decide(self, situation: Situation) -> Decision:
        facts = {normalise_label(k): v for k, v in situation.facts.items()}
        candidates = self.candidates(situation)
        status = {rule.iri: self._status(rule, facts) for rule in candidates}
        definite = tuple(r for r in candidates if status[r.iri] is True)
        possible = [r for r in candidates if status[r.iri] is None]
        sure = self._outcome(definite)
        # Only the facts of rules that may or may not apply can change anything.
        unknown = sorted({f for r in possible for f in (*r.conditions, *r.exceptions) if f not in facts})
        if not unknown:
            return self._explain(situation, sure, [], [])
        if len(unknown) > MAX_UNKNOWN_FACTS:
            # Too many to try every combination: ask for all of them rather than guess.
            needs = _Outcome("needs-info", sure.applicable, sure.conflicts)
            return self._explain(situation, needs, unknown, possible, too_many=True)
        verdicts: dict[tuple[bool, ...], str] = {}
        by_applicable: dict[frozenset[str], str] = {}
        for values in itertools.product((False, True), repeat=len(unknown)):
            assignment = {**facts, **dict(zip(unknown, values))}
            applicable = definite + tuple(r for r in possible if self._status(r, assignment) is True)
            key = frozenset(r.iri for r in applicable)
            if key not in by_applicable:
                by_applicable[key] = self._outcome(applicable).verdict
            verdicts[values] = by_applicable[key]
        if len(set(verdicts.values())) == 1:
            # Same verdict whatever the unknown facts are: report the rules that apply for sure,
            # and those that may, since together they are why (two rules may forbid it either way).
            verdict = next(iter(verdicts.values()))
            invariant = _Outcome(verdict, sure.applicable, sure.conflicts)
            return self._explain(situation, invariant, [], possible, unknown_irrelevant=unknown)
        missing = []
        for i, fact in enumerate(unknown):
            for values, verdict in verdicts.items():
                flipped = values[:i] + (not values[i],) + values[i + 1 :]
                if verdicts[flipped] != verdict:
                    missing.append(fact)
                    break
        return self._explain(situation, _Outcome("needs-info", sure.applicable, sure.conflicts), missing, possible)

    @staticmethod
    def _status(rule: RuleInfo, facts: Mapping[str, bool]) -> bool | None:
        """True applies, False does not, None depends on unknown facts."""
        if any(facts.get(c) is False for c in rule.conditions) or any(facts.get(e) is True for e in rule.exceptions):
            return False
        if set(rule.conditions) & set(rule.exceptions):  # "if p, unless p": no value of p lets it apply
            return False
        if all(facts.get(c) is True for c in rule.conditions) and all(facts.get(e) is False for e in rule.exceptions):
            return True
        return None

    def _outcome(self, applicable: tuple[RuleInfo, ...]) -> _Outcome:
        if not applicable:
            return _Outcome("not-applicable", (), ())
        prohibitions = [r for r in applicable if r.modality == "prohibition"]
        others = [r for r in applicable if r.modality != "prohibition"]
        conflicts = []
        defeated: set[str] = set()
        unresolved = False
        for p in prohibitions:
            for o in others:
                principle, winner = self._resolve(p, o)
                conflicts.append((p, o, principle, winner))
                if winner is None:
                    unresolved = True
                else:
                    defeated.add((o if winner is p else p).iri)
        if unresolved:
            return _Outcome("unresolved", applicable, tuple(conflicts))
        left = [r for r in applicable if r.iri not in defeated]
        modalities = {r.modality for r in left}
        if "prohibition" in modalities:
            verdict = "forbidden"
        elif "obligation" in modalities:
            verdict = "required"
        elif "permission" in modalities:
            verdict = "permitted"
        else:
            # Every rule lost a conflict to a rule that lost another: nothing stands to decide by,
            # so no conflict here is settled either; each is reported unresolved, for a person.
            return _Outcome("unresolved", applicable, tuple((p, o, "tangle", None) for p, o, _, _ in conflicts))
        return _Outcome(verdict, applicable, tuple(conflicts))

    def _resolve(self, a: RuleInfo, b: RuleInfo) -> tuple[str | None, RuleInfo | None]:
        """(principle, winner) for a conflict between a prohibition ``a`` and ``b``; winner None
        when nothing decides it. Facts play no part, so each pair is resolved once."""
        key = (a.iri, b.iri)
        if key not in self._resolved:
            self._resolved[key] = self._resolve_now(a, b)
        return self._resolved[key]

    def _resolve_now(self, a: RuleInfo, b: RuleInfo) -> tuple[str | None, RuleInfo | None]:
        for principle in self.policy.precedence:
            winner = getattr(self, "_" + principle.replace("-", "_"))(a, b)
            if winner == "cycle":
                return "explicit", None
            if winner is not None:
                return principle, winner
        strategy = self.policy.strategy
        if strategy == "deny-overrides":
            return strategy, a
        if strategy == "permit-overrides":
            return strategy, b
        if strategy == "first-applicable":
            return strategy, min((a, b), key=lambda r: (r.ordinal, r.iri))
        return strategy, None  # only-one-applicable

    def _explicit(self, a: RuleInfo, b: RuleInfo):
        ab, ba = (a.iri, b.iri) in self._overrides, (b.iri, a.iri) in self._overrides
        if ab and ba:
            return "cycle"
        return a if ab else b if ba else None

    @staticmethod
    def _lex_superior(a: RuleInfo, b: RuleInfo):
        if a.authority is None or b.authority is None or a.authority == b.authority:
            return None
        return a if a.authority > b.authority else b

    @staticmethod
    def _lex_posterior(a: RuleInfo, b: RuleInfo):
        if a.issued is None or b.issued is None or a.issued == b.issued:
            return None
        return a if a.issued > b.issued else b

    def more_specific(self, a: RuleInfo, b: RuleInfo) -> bool:
        """a strictly more specific than b: each of bearer, action, object equal or narrower and
        conditions a superset, at least one of them strictly."""
        pairs = ((a.bearer, b.bearer), (a.action, b.action), (a.object, b.object))
        if not all(self._narrower_or_equal(x, y) for x, y in pairs):
            return False
        if not set(a.conditions) >= set(b.conditions):
            return False
        # Strictly: b is not as narrow somewhere. Asked this way rather than "the labels differ",
        # a cycle in the hierarchy (x broader y broader x) cannot make both rules more specific.
        return any(not self._narrower_or_equal(y, x) for x, y in pairs) or set(a.conditions) > set(b.conditions)

    def _lex_specialis(self, a: RuleInfo, b: RuleInfo):
        if self.more_specific(a, b):
            return a
        if self.more_specific(b, a):
            return b
        return None

    # -- explaining ------------------------------------------------------------------------
    def _explain(
        self,
        situation: Situation,
        outcome: _Outcome,
        missing: list[str],
        possible: list[RuleInfo],
        unknown_irrelevant: list[str] = (),
        too_many: bool = False,
    ) -> Decision:
        steps = [
            f"Situation: {situation.bearer} / {situation.action}"
            + (f" / {situation.object}" if situation.object else "")
            + (f"; facts: {', '.join(f'{k}={str(v).lower()}' for k, v in situation.facts.items())}" if situation.facts else "")
        ]
        for rule in outcome.applicable:
            why = [f"bearer '{rule.bearer}'", f"action '{rule.action}'"] + ([f"object '{rule.object}'"] if rule.object else [])
            held = [f"condition '{c}' holds" for c in rule.conditions] + [f"exception '{e}' does not hold" for e in rule.exceptions]
            steps.append(
                f"{rule.modality.capitalize()} {rule.cited()} applies: {', '.join(why)} cover the situation"
                + (f"; {'; '.join(held)}" if held else "")
            )
        conflicts = []
        for a, b, principle, winner in outcome.conflicts:
            if winner is None:
                steps.append(
                    f"Conflict between {a.cited()} and {b.cited()} is unresolved ({principle}): a person must decide"
                )
            else:
                loser = b if winner is a else a
                steps.append(f"Conflict between {a.cited()} and {b.cited()}: {principle} gives {winner.cited()} over {loser.cited()}")
            conflicts.append(
                {
                    "rules": [a.iri, b.iri],
                    "principle": principle,
                    "winner": winner.iri if winner else None,
                    "status": "resolved" if winner else "unresolved",
                }
            )
        for rule in possible:
            steps.append(f"{rule.modality.capitalize()} {rule.cited()} may apply, depending on facts not given")
        if too_many:
            steps.append(
                f"{len(missing)} unknown facts could matter, more than the {MAX_UNKNOWN_FACTS} the engine "
                f"tries in every combination; give them: {', '.join(missing)}"
            )
        elif missing:
            steps.append(f"The verdict depends on: {', '.join(missing)}")
        elif unknown_irrelevant:
            steps.append(
                f"Whatever the unknown facts ({', '.join(unknown_irrelevant)}) are, the verdict is {outcome.verdict}"
            )
        if not outcome.applicable and not possible:
            steps.append("No rule covers this situation")
        steps.append(f"Verdict: {outcome.verdict}")
        return Decision(
            verdict=outcome.verdict,
            situation=situation,
            applicable=[_rule_summary(r) for r in outcome.applicable],
            conflicts=conflicts,
            missing=missing,
            explanation=steps,
            possible=[_rule_summary(r) for r in possible],
        )


def decide(store_or_policy, situation: Situation | Mapping) -> Decision:
    """One decision, from a store or a Policy; for many, build a DecisionEngine once."""
    policy = store_or_policy if isinstance(store_or_policy, Policy) else Policy.from_store(store_or_policy)
    if not isinstance(situation, Situation):
        situation = Situation.from_dict(situation)
    return DecisionEngine(policy).decide(situation)
