"""Properties of the decision engine, in the spirit of Cedar's proofs, checked by hypothesis over a
small generated universe, plus one hand-built example for every principle and every strategy.

The universe: 4-6 party labels, 2-3 actions and 0-2 objects, each group in a random acyclic
hierarchy (a concept gets 0-2 direct broader concepts among the ones before it, so forests and
small polyhierarchies both occur), 3-4 fact names, 0-8 rules with random modality, conditions,
exceptions, authority, issue date and ordinal (ties sometimes), random explicit overrides (cycles
included), a random precedence (any subset of the principles in any order) and a random strategy.
Situations draw their facts as true, false or absent (unknown).

Rule concepts are mostly drawn from the situation's own ancestry, and a third of the rules are
built to apply for sure, so that rules apply, and conflict, often enough for the properties to
bite. For fully known facts a reference model (``reference``), a direct reading of the
semantics, is the oracle; with unknown facts the oracle is brute force over every completion.
"""

from __future__ import annotations

import datetime
import itertools
import json
from dataclasses import dataclass, replace

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from kg.decision import DecisionEngine, DecisionError, Policy, RuleInfo, Situation

PRINCIPLES = ("explicit", "lex-superior", "lex-specialis", "lex-posterior")
STRATEGIES = ("deny-overrides", "permit-overrides", "first-applicable", "only-one-applicable")
MODALITIES = ("obligation", "prohibition", "permission")
VERDICTS = {"permitted", "forbidden", "required", "needs-info", "not-applicable", "unresolved"}
DEFINITE = {"permitted", "forbidden", "required"}

PARTY_LABELS = ("party a", "party b", "party c", "party d", "party e", "party f")
ACTION_LABELS = ("act x", "act y", "act z")
OBJECT_LABELS = ("thing 1", "thing 2")
FACT_LABELS = ("fact p", "fact q", "fact r", "fact s")
DATES = tuple(datetime.date(2020, 1, day) for day in (1, 2, 3))  # few dates, so ties happen

PROPERTY = settings(max_examples=100, deadline=None)  # the whole file in about 20 s


# -- the generated universe -----------------------------------------------------------------


@dataclass(frozen=True)
class Universe:
    parties: tuple[str, ...]
    actions: tuple[str, ...]
    objects: tuple[str, ...]
    facts: tuple[str, ...]
    broader: dict

    def ancestors(self, concept: str | None) -> frozenset[str]:
        """Reference closure: the concept and everything broader, transitively."""
        if concept is None:
            return frozenset()
        seen, todo = {concept}, [concept]
        while todo:
            for parent in self.broader.get(todo.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return frozenset(seen)

    def narrower_or_equal(self, labels: tuple[str, ...], concept: str) -> list[str]:
        return [c for c in labels if concept in self.ancestors(c)]


@st.composite
def hierarchies(draw, labels: tuple[str, ...], cyclic: bool = False) -> dict:
    """Direct broader concepts: among the earlier labels (acyclic) or, with ``cyclic``, among all
    the others (so that two concepts may be broader than each other, as bad SKOS data has it)."""
    broader = {}
    for i, label in enumerate(labels):
        choices = [x for x in labels if x != label] if cyclic else labels[:i]
        if choices:
            parents = draw(st.lists(st.sampled_from(choices), max_size=2, unique=True))
            if parents:
                broader[label] = set(parents)
    return broader


@st.composite
def universes(draw, cyclic: bool = False) -> Universe:
    parties = PARTY_LABELS[: draw(st.integers(4, 6))]
    actions = ACTION_LABELS[: draw(st.integers(2, 3))]
    objects = OBJECT_LABELS[: draw(st.integers(0, 2))]
    facts = FACT_LABELS[: draw(st.integers(3, 4))]
    broader = {}
    for group in (parties, actions, objects):
        broader.update(draw(hierarchies(group, cyclic)))
    return Universe(parties, actions, objects, facts, broader)


@st.composite
def situations(draw, u: Universe, all_known: bool = False) -> Situation:
    bearer = draw(st.sampled_from(u.parties))
    action = draw(st.sampled_from(u.actions))
    obj = draw(st.sampled_from((None, *u.objects)))
    values = (True, False) if all_known else (None, None, True, False)
    assignment = draw(st.sampled_from(list(itertools.product(values, repeat=len(u.facts)))))
    facts = {f: v for f, v in zip(u.facts, assignment) if v is not None}
    return Situation(bearer, action, obj, facts)


def subsets(items, most: int) -> list[tuple[str, ...]]:
    """Every subset of ``items`` of at most ``most`` elements, the empty one first, smaller ones
    weighted up (so that rules apply often enough)."""
    return [c for k in range(most + 1) for c in itertools.combinations(items, k) for _ in range(2 ** (most - k))]


def concept_for(labels: tuple[str, ...], u: Universe, near: str | None, surely: bool = False):
    """A label; most of the time (always when ``surely``) one covering ``near``, so that the rule
    applies. One draw each: generation, not the engine, is what costs time here."""
    if near is None:
        return st.sampled_from(labels)
    covering = sorted(u.ancestors(near))
    return st.sampled_from(covering if surely else covering * 8 + list(labels))


AUTHORITIES = (None, 0, 1, 2)
ISSUED = (None, *DATES)


@st.composite
def rules(draw, u: Universe, index: int, ordinal: int, near: Situation | None = None, modality=None, applicable: bool = False) -> RuleInfo:
    """A rule; with ``applicable`` one that surely applies to the situation ``near``."""
    modality = modality or draw(st.sampled_from(MODALITIES))
    bearer = draw(concept_for(u.parties, u, near.bearer if near else None, applicable))
    action = draw(concept_for(u.actions, u, near.action if near else None, applicable))
    obj = None
    if near is not None and near.object is not None:
        obj = draw(st.none() | concept_for(u.objects, u, near.object, applicable))
    elif u.objects and not applicable:
        # Against a situation without an object, an object makes the rule inapplicable: less often.
        obj = draw(st.sampled_from((None, None, *u.objects)) if near is not None else st.none() | st.sampled_from(u.objects))
    if applicable:  # conditions among the facts that hold, exceptions among those that do not
        conditions = draw(st.sampled_from(subsets([f for f in u.facts if near.facts.get(f) is True], 2)))
        exceptions = draw(st.sampled_from(subsets([f for f in u.facts if near.facts.get(f) is False], 1)))
    else:
        conditions = draw(st.sampled_from(subsets(u.facts, 2)))
        exceptions = draw(st.sampled_from(subsets(u.facts, 1)))
    return RuleInfo(
        iri=f"urn:rule:{index}",
        rule_id=f"r{index}",
        modality=modality,
        bearer=bearer,
        action=action,
        object=obj,
        conditions=conditions,
        exceptions=exceptions,
        source="doc-a" if index % 2 else "doc-b",
        authority=draw(st.sampled_from(AUTHORITIES)),
        issued=draw(st.sampled_from(ISSUED)),
        ordinal=ordinal,
        provision=f"s{index}",
        text=f"rule {index}",
    )


@st.composite
def policies(draw, u: Universe, near: Situation | None = None, precedence=None, strategy=None, max_rules: int = 8, sure: bool = True) -> Policy:
    n = draw(st.sampled_from(range(max_rules + 1)))
    # Distinct ordinals (as Policy.from_store numbers them) or, a quarter of the time, ties.
    ordinals = draw(st.permutations(range(n))) if draw(st.integers(0, 3)) else [draw(st.sampled_from(range(3))) for _ in range(n)]
    # A third of the rules surely apply when there is a situation, so that conflicts are common.
    rule_list = [draw(rules(u, i, ordinals[i], near, applicable=sure and near is not None and not draw(st.integers(0, 2)))) for i in range(n)]
    overrides: set[tuple[str, str]] = set()
    if n >= 2:
        iris = [r.iri for r in rule_list]
        for a, b, both in draw(st.lists(st.tuples(st.sampled_from(iris), st.sampled_from(iris), st.booleans()), max_size=4)):
            if a != b:
                overrides.add((a, b))
                if both:
                    overrides.add((b, a))
    if precedence is None:
        order = draw(st.permutations(PRINCIPLES))
        precedence = PRINCIPLES if draw(st.booleans()) else tuple(order[: draw(st.integers(0, 4))])
    if strategy is None:
        strategy = draw(st.sampled_from(STRATEGIES))
    return Policy(rules=rule_list, broader=u.broader, overrides=overrides, precedence=precedence, strategy=strategy)


@st.composite
def cases(draw, all_known: bool = False, precedence=None, strategy=None, sure: bool | None = None):
    """(universe, policy, situation). With facts partly unknown, half of the policies (all with
    ``sure=False``) have no rule built to apply, so that unknown facts matter (or cancel out)
    more often."""
    u = draw(universes())
    situation = draw(situations(u, all_known))
    if sure is None:
        sure = all_known or draw(st.booleans())
    policy = draw(policies(u, situation, precedence, strategy, sure=sure))
    return u, policy, situation


# -- a reference model of the semantics (for fully known facts) ------------------------------


def covers(u: Universe, rule: RuleInfo, s: Situation) -> bool:
    return (
        rule.bearer in u.ancestors(s.bearer)
        and rule.action in u.ancestors(s.action)
        and (rule.object is None or rule.object in u.ancestors(s.object))
    )


def applies(u: Universe, rule: RuleInfo, s: Situation) -> bool:
    """Facts all known: the rule covers the situation, its conditions hold and no exception does."""
    return (
        covers(u, rule, s)
        and all(s.facts[c] for c in rule.conditions)
        and not any(s.facts[e] for e in rule.exceptions)
    )


def at_most(u: Universe, a: str | None, b: str | None) -> bool:
    """a equal to or narrower than b; no object (None) is the broadest."""
    if b is None:
        return True
    return a is not None and b in u.ancestors(a)


def more_specific(u: Universe, a: RuleInfo, b: RuleInfo) -> bool:
    def le(x, y):
        return (
            at_most(u, x.bearer, y.bearer)
            and at_most(u, x.action, y.action)
            and at_most(u, x.object, y.object)
            and set(x.conditions) >= set(y.conditions)
        )

    return le(a, b) and not le(b, a)  # the hierarchy is acyclic, so <= both ways means equal


def resolve(u: Universe, policy: Policy, p: RuleInfo, o: RuleInfo) -> tuple[str, str | None]:
    """(principle, winner IRI or None) for the conflict of prohibition p with o."""
    for principle in policy.precedence:
        if principle == "explicit":
            po, op = (p.iri, o.iri) in policy.overrides, (o.iri, p.iri) in policy.overrides
            if po and op:
                return "explicit", None
            if po or op:
                return "explicit", p.iri if po else o.iri
        elif principle == "lex-superior":
            if p.authority is not None and o.authority is not None and p.authority != o.authority:
                return principle, (p if p.authority > o.authority else o).iri
        elif principle == "lex-specialis":
            if more_specific(u, p, o):
                return principle, p.iri
            if more_specific(u, o, p):
                return principle, o.iri
        elif principle == "lex-posterior":
            if p.issued is not None and o.issued is not None and p.issued != o.issued:
                return principle, (p if p.issued > o.issued else o).iri
    if policy.strategy == "deny-overrides":
        return policy.strategy, p.iri
    if policy.strategy == "permit-overrides":
        return policy.strategy, o.iri
    if policy.strategy == "first-applicable":
        return policy.strategy, min((p, o), key=lambda r: (r.ordinal, r.iri)).iri
    return policy.strategy, None


def reference(u: Universe, policy: Policy, s: Situation):
    """(verdict, applicable IRIs, conflicts as {(p, o): (principle, winner)}, everyone defeated?)."""
    app = {r.iri: r for r in policy.rules if applies(u, r, s)}
    conflicts = {}
    for p in app.values():
        for o in app.values():
            if p.modality == "prohibition" and o.modality != "prohibition":
                conflicts[(p.iri, o.iri)] = resolve(u, policy, p, o)
    if not app:
        return "not-applicable", set(), conflicts, False
    if any(w is None for _, w in conflicts.values()):
        return "unresolved", set(app), conflicts, False
    defeated = {(o if w == p else p) for (p, o), (_, w) in conflicts.items()}
    left = {app[i].modality for i in app if i not in defeated}
    for modality, verdict in (("prohibition", "forbidden"), ("obligation", "required"), ("permission", "permitted")):
        if modality in left:
            return verdict, set(app), conflicts, False
    # Every applicable rule lost a conflict (a cycle of defeats across principles): nothing is
    # left to decide by, so the engine reports it unresolved rather than pick a side, and no
    # conflict of the tangle counts as settled.
    return "unresolved", set(app), {pair: ("tangle", None) for pair in conflicts}, True


# -- helpers on decisions -------------------------------------------------------------------


def decide(policy: Policy, situation: Situation):
    return DecisionEngine(policy).decide(situation)


def applicable_iris(decision) -> set[str]:
    return {a["rule"] for a in decision.applicable}


def conflict_set(decision) -> set:
    return {(tuple(c["rules"]), c["principle"], c["winner"], c["status"]) for c in decision.conflicts}


def completions(u: Universe, s: Situation):
    unknown = [f for f in u.facts if f not in s.facts]
    for values in itertools.product((False, True), repeat=len(unknown)):
        yield dict(zip(unknown, values))


def with_facts(s: Situation, extra: dict) -> Situation:
    return replace(s, facts={**s.facts, **extra})


def verdict_from_report(decision) -> str:
    """The verdict that the reported applicable rules and conflicts justify."""
    if not decision.applicable:
        return "not-applicable"
    if any(c["status"] == "unresolved" for c in decision.conflicts):
        return "unresolved"
    defeated = {r for c in decision.conflicts for r in c["rules"] if c["winner"] and r != c["winner"]}
    left = {a["modality"] for a in decision.applicable if a["rule"] not in defeated}
    for modality, verdict in (("prohibition", "forbidden"), ("obligation", "required"), ("permission", "permitted")):
        if modality in left:
            return verdict
    return "unresolved"  # every rule defeated: the engine's documented fallback


def add_applicable(data, u: Universe, policy: Policy, s: Situation, *modalities) -> Policy:
    """The policy with one more surely applicable rule of each modality given (random ordinals)."""
    extra = [
        data.draw(rules(u, 100 + i, data.draw(st.integers(-1, len(policy.rules) + 1)), s, modality=m, applicable=True))
        for i, m in enumerate(modalities)
    ]
    return replace(policy, rules=[*policy.rules, *extra])


# -- properties -----------------------------------------------------------------------------


@PROPERTY
@given(data=st.data(), case=cases())
def test_rule_order_and_duplicates_do_not_matter(data, case):
    """1. Verdict, applicable set, conflicts and missing set ignore rule order and repeated rules."""
    u, policy, s = case
    shuffled = data.draw(st.permutations(policy.rules))
    repeated = data.draw(st.lists(st.sampled_from(policy.rules), max_size=4)) if policy.rules else []
    other = replace(policy, rules=data.draw(st.permutations(shuffled + repeated)))
    a, b = decide(policy, s), decide(other, s)
    assert a.verdict == b.verdict
    assert applicable_iris(a) == applicable_iris(b)
    assert conflict_set(a) == conflict_set(b)
    assert set(a.missing) == set(b.missing)
    # Stronger: the whole answer, explanation included, is canonical.
    assert a.to_dict() == b.to_dict()


@PROPERTY
@given(data=st.data(), case=cases(all_known=True, precedence=(), strategy="deny-overrides"))
def test_deny_overrides_an_applicable_prohibition_forbids(data, case):
    """2. Deny-overrides with no principle before it: an applicable prohibition always forbids."""
    u, policy, s = case
    policy = add_applicable(data, u, policy, s, "prohibition")
    assert any(r.modality == "prohibition" and applies(u, r, s) for r in policy.rules)
    assert decide(policy, s).verdict == "forbidden"


@PROPERTY
@given(data=st.data(), case=cases(all_known=True))
def test_adding_a_prohibition_never_permits_what_was_forbidden(data, case):
    """3. Forbidden stays forbidden (or becomes unresolved) when a prohibition is added."""
    u, policy, s = case
    policy = add_applicable(data, u, policy, s, "prohibition")
    assume(decide(policy, s).verdict == "forbidden")
    n = len(policy.rules)
    extra = data.draw(rules(u, 200, data.draw(st.integers(-1, n)), s, modality="prohibition"))
    overrides = set(policy.overrides)
    for other, forward in data.draw(st.lists(st.tuples(st.sampled_from(policy.rules), st.booleans()), max_size=2)):
        overrides.add((extra.iri, other.iri) if forward else (other.iri, extra.iri))
    bigger = replace(policy, rules=[*policy.rules, extra], overrides=overrides)
    assert decide(bigger, s).verdict in {"forbidden", "unresolved"}


@PROPERTY
@given(data=st.data(), case=cases())
def test_a_rule_for_another_action_changes_nothing(data, case):
    """4. A rule whose action is not in the situation's action ancestry changes no decision,
    even when overrides name it."""
    u, policy, s = case
    foreign = [a for a in u.actions if a not in u.ancestors(s.action)]
    assume(foreign)
    extra = data.draw(rules(u, 100, data.draw(st.integers(-1, len(policy.rules))), s))
    extra = replace(extra, action=data.draw(st.sampled_from(foreign)))
    overrides = set(policy.overrides)
    if policy.rules:
        for other, forward in data.draw(st.lists(st.tuples(st.sampled_from(policy.rules), st.booleans()), max_size=3)):
            overrides.add((extra.iri, other.iri) if forward else (other.iri, extra.iri))
    bigger = replace(policy, rules=[*policy.rules, extra], overrides=overrides)
    assert decide(bigger, s).to_dict() == decide(policy, s).to_dict()


@PROPERTY
@given(data=st.data(), case=cases(all_known=True))
def test_a_narrower_situation_keeps_every_applicable_rule(data, case):
    """5. Narrowing bearer, action or object (no object -> an object) loses no applicable rule."""
    u, policy, s = case
    bearer = data.draw(st.sampled_from(u.narrower_or_equal(u.parties, s.bearer)))
    action = data.draw(st.sampled_from(u.narrower_or_equal(u.actions, s.action)))
    if s.object is None:
        obj = data.draw(st.none() | st.sampled_from(u.objects)) if u.objects else None
    else:
        obj = data.draw(st.sampled_from(u.narrower_or_equal(u.objects, s.object)))
    narrow = replace(s, bearer=bearer, action=action, object=obj)
    assert applicable_iris(decide(policy, s)) <= applicable_iris(decide(policy, narrow))


@settings(PROPERTY, max_examples=400)
@given(case=cases(sure=False))
def test_needs_info_exactly_when_unknown_facts_matter(case):
    """6. needs-info iff some completion of the unknown facts decides differently, and missing is
    exactly the unknown facts whose flip changes the verdict in some completion."""
    u, policy, s = case
    decision = decide(policy, s)
    by_completion = {tuple(sorted(c.items())): decide(policy, with_facts(s, c)).verdict for c in completions(u, s)}
    assert "needs-info" not in by_completion.values()  # every fact known: never needs-info
    if decision.verdict != "needs-info":
        assert set(by_completion.values()) == {decision.verdict}
        assert decision.missing == []
        return
    assert len(set(by_completion.values())) >= 2
    matter = set()
    for key, verdict in by_completion.items():
        completion = dict(key)
        for fact in completion:
            flipped = tuple(sorted({**completion, fact: not completion[fact]}.items()))
            if by_completion[flipped] != verdict:
                matter.add(fact)
    assert set(decision.missing) == matter
    assert len(decision.missing) == len(set(decision.missing))


@PROPERTY
@given(case=cases())
def test_deciding_is_deterministic(case):
    """7. The same situation decided twice (same engine, fresh engine) gives the same answer."""
    u, policy, s = case
    engine = DecisionEngine(policy)
    first = engine.decide(s).to_dict()
    assert engine.decide(s).to_dict() == first
    assert DecisionEngine(policy).decide(s).to_dict() == first
    json.dumps(first)  # and the answer is plain JSON


@PROPERTY
@given(case=cases(all_known=True))
def test_not_applicable_iff_no_applicable_rule(case):
    """8. Facts known: no applicable rule <-> not-applicable."""
    u, policy, s = case
    decision = decide(policy, s)
    assert (decision.verdict == "not-applicable") == (decision.applicable == [])


@PROPERTY
@given(case=cases())
def test_not_applicable_lists_no_rule(case):
    """8'. Facts partly unknown: not-applicable lists no applicable rule, and none in any completion."""
    u, policy, s = case
    decision = decide(policy, s)
    if decision.verdict == "not-applicable":
        assert decision.applicable == [] and decision.conflicts == []
        for c in completions(u, s):
            assert decide(policy, with_facts(s, c)).applicable == []


@PROPERTY
@given(case=cases())
def test_conflicts_are_between_applicable_rules(case):
    """9. Conflict rules are applicable, a prohibition against a permission or obligation; a
    resolved conflict's winner is one of its rules, an unresolved one has none."""
    u, policy, s = case
    decision = decide(policy, s)
    assert decision.verdict in VERDICTS
    modality = {a["rule"]: a["modality"] for a in decision.applicable}
    for conflict in decision.conflicts:
        a, b = conflict["rules"]
        assert a in modality and b in modality
        assert sorted([modality[a] == "prohibition", modality[b] == "prohibition"]) == [False, True]
        assert conflict["principle"] in PRINCIPLES + STRATEGIES
        if conflict["status"] == "resolved":
            assert conflict["winner"] in (a, b)
        else:
            assert conflict["status"] == "unresolved" and conflict["winner"] is None


@PROPERTY
@given(case=cases(all_known=True))
def test_unresolved_iff_an_unresolved_conflict(case):
    """9'. Facts known: the verdict is unresolved exactly when a conflict is reported unresolved."""
    u, policy, s = case
    decision = decide(policy, s)
    assert (decision.verdict == "unresolved") == any(c["status"] == "unresolved" for c in decision.conflicts)


@PROPERTY
@given(data=st.data(), case=cases(all_known=True, precedence=(), strategy="permit-overrides"))
def test_permit_overrides_never_forbids_against_a_permission(data, case):
    """10. Permit-overrides with no principle before it: a permission or obligation beats every
    prohibition."""
    u, policy, s = case
    policy = add_applicable(data, u, policy, s, "prohibition", data.draw(st.sampled_from(("permission", "obligation"))))
    app = [r for r in policy.rules if applies(u, r, s)]
    assume(any(r.modality == "prohibition" for r in app) and any(r.modality != "prohibition" for r in app))
    assert decide(policy, s).verdict in {"permitted", "required"}


@settings(PROPERTY, max_examples=300)
@given(case=cases(all_known=True))
def test_engine_agrees_with_the_reference_model(case):
    """Facts known: verdict, applicable rules and every conflict (principle, winner, status) are
    those of a direct reading of the semantics."""
    u, policy, s = case
    verdict, app, conflicts, _ = reference(u, policy, s)
    decision = decide(policy, s)
    assert applicable_iris(decision) == app
    got = {tuple(c["rules"]): (c["principle"], c["winner"]) for c in decision.conflicts}
    assert got == conflicts
    assert decision.verdict == verdict


def sure_and_possible(u: Universe, policy: Policy, s: Situation) -> tuple[set[str], set[str]]:
    """Rules that apply in every completion of the unknown facts, and in some but not all."""
    counts = {r.iri: 0 for r in policy.rules}
    total = 0
    for c in completions(u, s):
        total += 1
        for r in policy.rules:
            counts[r.iri] += applies(u, r, with_facts(s, c))
    return {i for i, n in counts.items() if n == total}, {i for i, n in counts.items() if 0 < n < total}


CONTRADICTORY = (  # a rule whose condition is also its exception can never apply
    Universe(("employee",), ("accept",), (), ("q",), {}),
    Policy([RuleInfo("urn:never", "never", "obligation", "employee", "accept", conditions=("q",), exceptions=("q",))]),
    Situation("employee", "accept"),
)


@PROPERTY
@given(case=cases())
@example(case=CONTRADICTORY)
def test_applicable_and_possible_rules(case):
    """With facts unknown, ``applicable`` lists the rules that apply whatever they are and
    ``possible`` those that apply for some of their values only."""
    u, policy, s = case
    decision = decide(policy, s)
    sure, possible = sure_and_possible(u, policy, s)
    assert applicable_iris(decision) == sure
    assert {p["rule"] for p in decision.possible} == possible


def _cases_by_hand():
    u = Universe(("employee",), ("accept",), (), ("q",), {})
    s = Situation("employee", "accept")
    def r(iri, modality, **kw):
        return RuleInfo(iri, iri, modality, "employee", "accept", **kw)
    return [
        # Forbidden either way, by a different prohibition each way.
        (u, Policy([r("p1", "prohibition", conditions=("q",)), r("p2", "prohibition", exceptions=("q",))]), s),
        # Permitted either way, by a different permission each way; the only sure rule forbids.
        (u, Policy([r("P", "prohibition"), r("A1", "permission", conditions=("q",)), r("A2", "permission", exceptions=("q",))], precedence=(), strategy="permit-overrides"), s),
    ]


@PROPERTY
@given(case=cases())
@example(case=_cases_by_hand()[0])
@example(case=_cases_by_hand()[1])
def test_a_definite_verdict_is_justified_by_the_rules_it_cites(case):
    """The answer explains itself. When no rule depends on unknown facts, the applicable rules and
    conflicts it reports lead to its verdict; when some do (and the verdict does not depend on
    them), it names them as possible rules. Only a situation no rule covers says so."""
    u, policy, s = case
    decision = decide(policy, s)
    assume(decision.verdict != "needs-info")
    if not decision.possible:
        assert verdict_from_report(decision) == decision.verdict
    if decision.verdict != "not-applicable":
        assert decision.applicable or decision.possible
        assert "No rule covers this situation" not in decision.explanation
    assert decision.explanation[-1] == f"Verdict: {decision.verdict}"


@PROPERTY
@given(data=st.data(), u=universes())
def test_specificity_is_a_strict_partial_order(data, u):
    """more_specific is irreflexive, asymmetric and transitive, and agrees with the reference."""
    engine = DecisionEngine(Policy(rules=[], broader=u.broader))
    a, b, c = (data.draw(rules(u, i, 0)) for i in range(3))
    assert not engine.more_specific(a, a)
    assert not (engine.more_specific(a, b) and engine.more_specific(b, a))
    if engine.more_specific(a, b) and engine.more_specific(b, c):
        assert engine.more_specific(a, c)
    assert engine.more_specific(a, b) == more_specific(u, a, b)


@PROPERTY
@given(data=st.data(), u=universes(cyclic=True))
def test_specificity_is_asymmetric_even_in_a_cyclic_hierarchy(data, u):
    """Concepts broader than each other (a SKOS cycle) are equally specific: neither of two rules
    may be strictly more specific than the other, or lex specialis silently picks the prohibition."""
    engine = DecisionEngine(Policy(rules=[], broader=u.broader))
    a, b = (data.draw(rules(u, i, 0)) for i in range(2))
    assert not (engine.more_specific(a, b) and engine.more_specific(b, a))


@PROPERTY
@given(data=st.data(), u=universes())
def test_specialis_does_not_depend_on_which_side_prohibits(data, u):
    """Lex specialis picks the more specific rule whichever of the two is the prohibition."""
    s = with_facts(data.draw(situations(u)), {f: True for f in u.facts})
    a, b = (data.draw(rules(u, i, i, s, applicable=True)) for i in range(2))
    winners = set()
    for pa, pb in (("prohibition", "permission"), ("permission", "prohibition")):
        policy = Policy([replace(a, modality=pa), replace(b, modality=pb)], u.broader, precedence=("lex-specialis",), strategy="only-one-applicable")
        (conflict,) = decide(policy, s).conflicts
        winners.add((conflict["principle"], conflict["winner"]))
    assert len(winners) == 1


@PROPERTY
@given(data=st.data(), case=cases())
def test_labels_are_normalised_in_situations(data, case):
    """'The Party A' and 'party a' are one concept; facts named in any case are the same facts."""
    u, policy, s = case
    def dress(label):
        return data.draw(st.sampled_from(("The ", "the ", "A ", "any "))) + label.upper() + data.draw(st.sampled_from(("", ".", " ")))
    dressed = Situation(
        dress(s.bearer), dress(s.action), dress(s.object) if s.object else None, {dress(k): v for k, v in s.facts.items()}
    )
    a, b = decide(policy, s), decide(policy, dressed)
    assert (a.verdict, a.applicable, a.conflicts, a.missing) == (b.verdict, b.applicable, b.conflicts, b.missing)


# -- examples -------------------------------------------------------------------------------

HIERARCHY = {
    "supplier": {"third party"},
    "accept": {"receive"},
    "cash gift": {"gift"},
}


def R(iri, modality, bearer="employee", action="accept", obj="gift", **kw) -> RuleInfo:
    return RuleInfo(iri=iri, rule_id=iri, modality=modality, bearer=bearer, action=action, object=obj, source="code", **kw)


P = R("P", "prohibition")
A = R("A", "permission")
O = R("O", "obligation")
S = Situation("employee", "accept", "gift")
D23, D24 = datetime.date(2023, 1, 1), datetime.date(2024, 1, 1)
POSTERIOR_FIRST = ("explicit", "lex-posterior", "lex-superior", "lex-specialis")

# (id, rules, policy keywords, situation, verdict, [(principle, winner, status)] or None to skip, missing)
EXAMPLES = [
    ("explicit-override", [P, A], {"overrides": {("A", "P")}}, S, "permitted", [("explicit", "A", "resolved")], []),
    ("explicit-override-beats-authority", [replace(P, authority=9), A], {"overrides": {("A", "P")}}, S, "permitted", [("explicit", "A", "resolved")], []),
    ("override-cycle-unresolved", [P, A], {"overrides": {("A", "P"), ("P", "A")}}, S, "unresolved", [("explicit", None, "unresolved")], []),
    ("override-ignored-without-explicit", [P, A], {"overrides": {("A", "P")}, "precedence": ("lex-superior",)}, S, "forbidden", [("deny-overrides", "P", "resolved")], []),
    ("lex-superior", [replace(P, authority=1), replace(A, authority=2)], {}, S, "permitted", [("lex-superior", "A", "resolved")], []),
    ("lex-superior-needs-both", [replace(P, authority=None), replace(A, authority=2)], {"strategy": "deny-overrides"}, S, "forbidden", [("deny-overrides", "P", "resolved")], []),
    ("lex-specialis-narrower-bearer", [R("P", "prohibition", bearer="third party"), R("A", "permission", bearer="supplier")], {}, Situation("supplier", "accept", "gift"), "permitted", [("lex-specialis", "A", "resolved")], []),
    ("lex-specialis-narrower-action", [R("P", "prohibition", action="accept"), R("A", "permission", action="receive")], {}, S, "forbidden", [("lex-specialis", "P", "resolved")], []),
    ("lex-specialis-object-vs-none", [R("P", "prohibition", obj=None), A], {"strategy": "deny-overrides"}, S, "permitted", [("lex-specialis", "A", "resolved")], []),
    ("lex-specialis-extra-condition", [P, replace(A, conditions=("approved",))], {}, Situation("employee", "accept", "gift", {"approved": True}), "permitted", [("lex-specialis", "A", "resolved")], []),
    ("lex-specialis-ignores-exceptions", [P, replace(A, exceptions=("approved",))], {}, Situation("employee", "accept", "gift", {"approved": False}), "forbidden", [("deny-overrides", "P", "resolved")], []),
    ("lex-posterior", [replace(P, issued=D23), replace(A, issued=D24)], {}, S, "permitted", [("lex-posterior", "A", "resolved")], []),
    ("lex-posterior-prohibition-later", [replace(P, issued=D24), replace(A, issued=D23)], {"strategy": "permit-overrides"}, S, "forbidden", [("lex-posterior", "P", "resolved")], []),
    ("superior-before-posterior", [replace(P, authority=2, issued=D23), replace(A, authority=1, issued=D24)], {}, S, "forbidden", [("lex-superior", "P", "resolved")], []),
    ("posterior-before-superior", [replace(P, authority=2, issued=D23), replace(A, authority=1, issued=D24)], {"precedence": POSTERIOR_FIRST}, S, "permitted", [("lex-posterior", "A", "resolved")], []),
    ("specialis-before-posterior", [R("P", "prohibition", bearer="supplier", issued=D23), R("A", "permission", bearer="third party", issued=D24)], {}, Situation("supplier", "accept", "gift"), "forbidden", [("lex-specialis", "P", "resolved")], []),
    ("deny-overrides", [P, A], {"strategy": "deny-overrides"}, S, "forbidden", [("deny-overrides", "P", "resolved")], []),
    ("permit-overrides", [P, A], {"strategy": "permit-overrides"}, S, "permitted", [("permit-overrides", "A", "resolved")], []),
    ("permit-overrides-obligation", [P, O], {"strategy": "permit-overrides"}, S, "required", [("permit-overrides", "O", "resolved")], []),
    ("first-applicable-permission-first", [replace(P, ordinal=2), replace(A, ordinal=1)], {"strategy": "first-applicable"}, S, "permitted", [("first-applicable", "A", "resolved")], []),
    ("first-applicable-prohibition-first", [replace(P, ordinal=1), replace(A, ordinal=2)], {"strategy": "first-applicable"}, S, "forbidden", [("first-applicable", "P", "resolved")], []),
    ("only-one-applicable", [P, A], {"strategy": "only-one-applicable"}, S, "unresolved", [("only-one-applicable", None, "unresolved")], []),
    ("only-one-applicable-single-rule", [P], {"strategy": "only-one-applicable"}, S, "forbidden", [], []),
    ("obligation-and-permission-required", [O, A], {}, S, "required", [], []),
    ("obligation-against-prohibition", [P, O], {}, S, "forbidden", [("deny-overrides", "P", "resolved")], []),
    ("third-party-rule-covers-supplier", [R("P", "prohibition", bearer="third party")], {}, Situation("supplier", "accept", "gift"), "forbidden", [], []),
    ("supplier-rule-not-every-third-party", [R("P", "prohibition", bearer="supplier")], {}, Situation("third party", "accept", "gift"), "not-applicable", [], []),
    ("broader-action-covers", [R("P", "prohibition", action="receive")], {}, S, "forbidden", [], []),
    ("broader-object-covers", [P], {}, Situation("employee", "accept", "cash gift"), "forbidden", [], []),
    ("narrower-object-does-not", [R("P", "prohibition", obj="cash gift")], {}, S, "not-applicable", [], []),
    ("no-object-rule-any-object", [R("P", "prohibition", obj=None)], {}, Situation("employee", "accept", "hospitality"), "forbidden", [], []),
    ("no-object-rule-no-object", [R("P", "prohibition", obj=None)], {}, Situation("employee", "accept"), "forbidden", [], []),
    ("object-rule-not-without-object", [P], {}, Situation("employee", "accept"), "not-applicable", [], []),
    ("other-bearer-not-applicable", [P], {}, Situation("manager", "accept", "gift"), "not-applicable", [], []),
    ("exception-defeats", [replace(P, exceptions=("approved",))], {}, Situation("employee", "accept", "gift", {"approved": True}), "not-applicable", [], []),
    ("exception-false-applies", [replace(P, exceptions=("approved",))], {}, Situation("employee", "accept", "gift", {"approved": False}), "forbidden", [], []),
    ("condition-false", [replace(P, conditions=("over limit",))], {}, Situation("employee", "accept", "gift", {"over limit": False}), "not-applicable", [], []),
    ("unknown-condition-needs-info", [replace(P, conditions=("over limit",))], {}, S, "needs-info", None, ["over limit"]),
    ("unknown-exception-needs-info", [replace(P, exceptions=("approved",))], {}, S, "needs-info", None, ["approved"]),
    # Deny-overrides alone: "approved" only decides whether the losing permission applies.
    ("needs-info-lists-only-what-matters", [replace(P, conditions=("over limit",)), A, R("A2", "permission", conditions=("approved",))], {"precedence": ()}, S, "needs-info", None, ["over limit"]),
    ("unknown-fact-that-cannot-matter", [P, replace(A, conditions=("approved",))], {"precedence": ()}, S, "forbidden", [], []),
    # ... but with lex specialis the conditional permission is the more specific rule, so it does.
    ("unknown-fact-matters-through-specialis", [P, replace(A, conditions=("approved",))], {}, S, "needs-info", None, ["approved"]),
    ("unknown-fact-of-another-action", [P, R("B", "permission", action="give", conditions=("approved",))], {}, S, "forbidden", [], []),
    ("no-rules", [], {}, S, "not-applicable", [], []),
]


@pytest.mark.parametrize(
    "rule_list, kw, situation, verdict, conflicts, missing",
    [pytest.param(*example[1:], id=example[0]) for example in EXAMPLES],
)
def test_example(rule_list, kw, situation, verdict, conflicts, missing):
    decision = decide(Policy(rules=rule_list, broader=HIERARCHY, **kw), situation)
    assert decision.verdict == verdict, decision.explanation
    if conflicts is not None:
        assert [(c["principle"], c["winner"], c["status"]) for c in decision.conflicts] == conflicts
    assert decision.missing == missing
    if verdict in DEFINITE | {"unresolved"}:
        assert decision.applicable, "a definite verdict cites the rules that give it"


def test_applicable_entries_name_rule_document_and_provision():
    rule = R("urn:r1", "prohibition", provision="sec 3", text="No gifts.")
    (entry,) = decide(Policy([rule], HIERARCHY), S).applicable
    assert entry == {"rule": "urn:r1", "id": "urn:r1", "modality": "prohibition", "document": "code", "provision": "sec 3", "text": "No gifts."}


def test_specialis_in_a_cyclic_hierarchy_falls_to_the_strategy():
    """x and y broader than each other are equally specific: the strategy decides, not specialis."""
    broader = {"x": {"y"}, "y": {"x"}}
    rules = [R("P", "prohibition", bearer="x", obj=None), R("A", "permission", bearer="y", obj=None)]
    decision = decide(Policy(rules, broader, strategy="permit-overrides"), Situation("x", "accept"))
    assert (decision.verdict, decision.conflicts[0]["principle"]) == ("permitted", "permit-overrides")


@pytest.mark.parametrize(
    "kw, message",
    [
        pytest.param({"strategy": "deny-unless-permit"}, "unknown strategy", id="unknown-strategy"),
        pytest.param({"precedence": ("lex-superior", "lex-mitior")}, "unknown precedence principle", id="unknown-principle"),
    ],
)
def test_bad_policy_configuration_is_refused(kw, message):
    from kg.decision import DecisionError

    with pytest.raises(DecisionError, match=message):
        Policy(rules=[P], **kw)


def test_every_rule_defeated_is_unresolved_not_picked():
    """P1 loses to A1, A1 to P2, P2 to A2, A2 to P1: whatever the strategy, nobody is left."""
    def r(iri, modality):
        return RuleInfo(iri, iri, modality, "employee", "accept")

    rules = [r("P1", "prohibition"), r("P2", "prohibition"), r("A1", "permission"), r("A2", "permission")]
    overrides = {("A1", "P1"), ("P2", "A1"), ("A2", "P2"), ("P1", "A2")}
    for strategy in ("deny-overrides", "permit-overrides"):
        policy = Policy(rules, overrides=overrides, precedence=("explicit",), strategy=strategy)
        decision = DecisionEngine(policy).decide(Situation("employee", "accept"))
        assert decision.verdict == "unresolved", strategy


def test_two_different_rules_under_one_iri_are_refused():
    a = RuleInfo("r", "r", "prohibition", "employee", "accept")
    b = RuleInfo("r", "r", "permission", "employee", "accept")
    with pytest.raises(DecisionError, match="two different rules have the IRI r"):
        DecisionEngine(Policy([a, b]))


def test_a_tangle_reports_every_conflict_unresolved():
    """Regression (found by hypothesis in CI): r3 beats r1 (deny-overrides), r2 beats r3 (lex
    specialis), r7 beats r2 (deny-overrides), r1 beats r7 (lex posterior): every rule loses one.
    The verdict is unresolved, and so is every conflict it reports."""

    def rule(n, modality, conditions=(), issued=None, source="doc-b"):
        return RuleInfo(f"urn:rule:{n}", f"r{n}", modality, "party a", "act x", conditions=conditions,
                        source=source, issued=issued, provision=f"s{n}", text=f"rule {n}")

    rules = [
        rule(1, "obligation", issued=datetime.date(2020, 1, 2), source="doc-a"),
        rule(2, "obligation", conditions=("fact p",)),
        rule(3, "prohibition", source="doc-a"),
        rule(7, "prohibition", conditions=("fact p",), issued=datetime.date(2020, 1, 1), source="doc-a"),
    ]
    policy = Policy(rules, precedence=("explicit", "lex-superior", "lex-posterior", "lex-specialis"))
    decision = decide(policy, Situation("party a", "act x", "thing 1", {"fact p": True}))
    assert decision.verdict == "unresolved"
    assert decision.conflicts and all(c["status"] == "unresolved" and c["winner"] is None for c in decision.conflicts)
