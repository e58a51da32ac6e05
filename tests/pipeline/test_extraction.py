"""Rule extraction on single sentences, with the real spaCy model: modality and its traps, roles,
conditions, exceptions, references, thresholds, definitions and list lead-ins."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.framers.extraction import extract_texts, find_references, find_thresholds, singular


def rules(text: str, lead_in: str | None = None, parser: str = "spacy"):
    """The rules the text states (a claim right's correlative duty is derived, see all_rules)."""
    return [s for s in extract_texts([text], parser=parser, lead_ins=[lead_in])[0] if s.kind == "rule" and s.modality and not s.correlative]


def modalities(text: str, **kwargs) -> list[str]:
    return [s.modality for s in rules(text, **kwargs)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("The controller shall notify the supervisory authority.", ["obligation"]),
        ("Employees must keep records of every gift.", ["obligation"]),
        ("The processor is required to inform the controller.", ["obligation"]),
        ("The controller shall not transfer personal data to a third country.", ["prohibition"]),
        ("Employees must not accept gifts from suppliers.", ["prohibition"]),
        ("A covered entity may not use or disclose protected health information.", ["prohibition"]),
        ("Processing of genetic data shall be prohibited.", ["prohibition"]),
        ("No person shall disclose individually identifiable health information.", ["prohibition"]),
        ("The data subject may withdraw consent at any time.", ["permission"]),
        ("The data subject shall have the right to obtain rectification.", ["permission"]),
        ("Tenant shall be entitled to install signage.", ["permission"]),
        ("A covered entity is permitted to disclose protected health information to the individual.", ["permission"]),
        ("Do not accept gifts from suppliers.", ["prohibition"]),
        ("Report any violation to the Chief Legal Officer.", ["obligation"]),
    ],
)
def test_modality(text, expected):
    assert modalities(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # a duty lifted is neither a duty nor a ban
        "The controller shall not be required to maintain additional information.",
        "A covered entity need not obtain the individual's authorization.",
        # constitutive, not obligations
        "This Regulation shall apply to the processing of personal data by automated means.",
        "This Regulation shall enter into force on the twentieth day following its publication.",
        "Processing shall be lawful only if the data subject has given consent.",
        # epistemic may: what can happen, not what anyone is allowed
        "Violations of this Code may result in disciplinary action, including dismissal.",
        "Such processing may be necessary for reasons of substantial public interest.",
        # a definition is a definition
        "'personal data' means any information relating to an identified or identifiable natural person.",
    ],
)
def test_traps_are_not_rules(text):
    assert modalities(text) == []


def test_negated_requirement_is_marked():
    found = extract_texts(["The controller shall not be required to maintain additional information."])[0]
    assert [s.negated_requirement for s in found] == [True]


def test_roles_of_an_active_rule():
    (rule,) = rules("Employees must not accept gifts worth more than $100 from suppliers unless approved by their manager.")
    assert (rule.bearer, rule.action, rule.object) == ("employee", "accept", "gift")
    assert [e.text for e in rule.exceptions] == ["unless approved by their manager"]
    (threshold,) = rule.thresholds
    assert (threshold.amount, threshold.unit, threshold.comparator) == (Decimal(100), "USD", "gt")


def test_coordinated_bearers_and_verbs():
    (rule,) = rules("A covered entity or business associate may not use or disclose protected health information.")
    assert rule.bearer == "covered entity or business associate"
    assert rule.action == "use or disclose"
    assert rule.object == "protected health information"


def test_passive_rule_takes_the_agent_as_bearer_and_the_subject_as_object():
    (rule,) = rules("Personal data shall be erased by the controller without undue delay.")
    assert (rule.bearer, rule.action, rule.object) == ("controller", "erase", "personal data")


def test_conditions_and_exceptions_are_verbatim_with_offsets():
    text = (
        "In the case of a personal data breach, the controller shall without undue delay notify the personal "
        "data breach to the supervisory authority, unless the personal data breach is unlikely to result in a risk."
    )
    (rule,) = rules(text)
    assert rule.action == "notify" and rule.bearer == "controller"
    assert [c.text for c in rule.conditions] == ["In the case of a personal data breach"]
    assert [e.text for e in rule.exceptions] == ["unless the personal data breach is unlikely to result in a risk"]
    for span in rule.conditions + rule.exceptions:
        assert text[span.start : span.end] == span.text


@pytest.mark.parametrize(
    "text, cue",
    [
        ("Where processing is based on consent, the controller shall be able to demonstrate consent.", "Where"),
        ("If the request is unfounded, the controller may refuse to act on the request.", "If"),
        ("The processor shall inform the controller when it becomes aware of a breach.", "when"),
        ("The controller shall provide the information, provided that the request is in writing.", "provided that"),
    ],
)
def test_condition_cues(text, cue):
    (rule,) = rules(text)
    assert [c.text.split()[0] for c in rule.conditions] == [cue.split()[0]]


def test_lead_in_is_distributed_to_list_items():
    lead_in = "Personal data shall be:"
    (rule,) = rules("processed lawfully, fairly and in a transparent manner;", lead_in=lead_in)
    assert (rule.modality, rule.action, rule.object) == ("obligation", "process", "personal data")
    assert rule.lead_in == lead_in
    lead_in = "A covered entity is permitted to use or disclose protected health information as follows:"
    (rule,) = rules("To the individual;", lead_in=lead_in)
    assert (rule.modality, rule.bearer, rule.action) == ("permission", "covered entity", "use or disclose")
    lead_in = "The following practices shall be prohibited:"
    (rule,) = rules("the placing on the market of systems that deploy subliminal techniques;", lead_in=lead_in)
    assert rule.modality == "prohibition" and rule.action == "place"


def test_definitions():
    (definition,) = extract_texts(["'personal data' means any information relating to an identified natural person;"])[0]
    assert definition.kind == "definition"
    assert definition.term == "personal data"
    assert definition.definition.startswith("any information relating to")
    (definition,) = extract_texts(["Business associate means a person who performs functions on behalf of a covered entity."])[0]
    assert definition.term == "business associate"


def test_labels_are_canonical():
    (rule,) = rules("Suppliers must not offer gifts to the Team Members.")
    assert rule.bearer == "supplier"
    (rule,) = rules("Team Members must report gifts.")
    assert rule.bearer == "team member"
    (rule,) = rules("The controllers shall keep the data.")
    assert rule.object == "data"  # not the lemmatiser's "datum"
    assert singular("parties") == "party" and singular("data") == "data" and singular("business") == "business"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("gifts worth more than $100", [(Decimal(100), "USD", "gt")]),
        ("fines up to 20 000 000 EUR, or up to 4 % of the total turnover", [(Decimal(20_000_000), "EUR", "lteq"), (Decimal(4), "percent", "lteq")]),
        ("not later than 72 hours after", [(Decimal(72), "hour", "lteq")]),
        ("within one month of receipt", [(Decimal(1), "month", "lteq")]),
        ("at least 30 days before", [(Decimal(30), "day", "gteq")]),
        ("a fee of EUR 2.5 million", [(Decimal("2500000.0"), "EUR", "eq")]),
    ],
)
def test_thresholds_are_numbers(text, expected):
    assert [(t.amount, t.unit, t.comparator) for t in find_thresholds(text)] == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Subject to Article 6, the controller may process data.", [("subjectTo", "Article 6")]),
        ("Notwithstanding paragraph 2, Member States may provide otherwise.", [("notwithstanding", "paragraph 2")]),
        ("By way of derogation from Article 9(1), processing is allowed.", [("derogation", "Article 9(1)")]),
        ("as authorised in accordance with section 164.508.", [("accordance", "section 164.508")]),
    ],
)
def test_references(text, expected):
    assert [(r.kind, r.target) for r in find_references(text)] == expected


def test_offsets_are_relative_to_the_text():
    texts = ["Intro sentence here. The controller shall notify the authority."]
    (rule,) = extract_texts(texts)[0]
    assert texts[0][rule.sentence.start : rule.sentence.end] == rule.sentence.text == "The controller shall notify the authority."


def test_pattern_baseline_finds_modality_without_a_parser():
    assert modalities("The controller shall notify the authority.", parser="patterns") == ["obligation"]
    assert modalities("Employees must not accept gifts.", parser="patterns") == ["prohibition"]
    assert modalities("The controller shall not be required to act.", parser="patterns") == []
    with pytest.raises(ValueError, match="parser must be"):
        extract_texts(["x"], parser="nope")


def test_unknown_model_is_a_clear_error():
    from pipeline.framers.extraction import ModelNotFound

    with pytest.raises(ModelNotFound, match="no_such_model.*STUDIO_SPACY_MODEL"):
        extract_texts(["The controller shall act."], model="no_such_model")


@pytest.mark.parametrize(
    "text, lead_in, expected",
    [
        # clauses joined by a semicolon are read one by one
        ("Records shall be kept for five years; the processor may not delete them earlier.", None, ["obligation", "prohibition"]),
        # contract idioms
        ("Tenant agrees to repair any damage to the Premises.", None, ["obligation"]),
        ("Neither Landlord nor Tenant shall disclose the terms of this Lease.", None, ["prohibition"]),
        ("Tenant shall have no obligation to remove the vault.", None, []),
        ("GitLab will not allow any retaliation against a Team Member.", None, ["prohibition"]),
        ("This does not prohibit a Team Member from receiving compensation.", None, ["permission"]),
        ("None of the funds made available by this Act shall be used for remediation.", None, ["prohibition"]),
        ("Nothing in this section shall prevent a covered entity from disclosing information.", None, []),
        ("The airport authority shall hereafter be known as the Sponsoring Entity.", None, []),
        ("When assessing consent, utmost account shall be taken of the circumstances.", None, []),
        # powers a party has are permissions, also distributed from a lead-in
        ("The supervisory authority shall have the power to order the erasure of personal data.", None, ["permission"]),
        ("to carry out investigations in the form of data protection audits;", "Each supervisory authority shall have all of the following investigative powers:", ["permission"]),
        # items of a conditional lead-in are conditions, not rules
        ("the data subject has given explicit consent to the processing;", "Paragraph 1 shall not apply if one of the following applies:", []),
    ],
)
def test_more_modality_cues(text, lead_in, expected):
    assert sorted(modalities(text, lead_in=lead_in)) == sorted(expected)


def test_item_duty_takes_the_lead_in_party_and_dates_complete_the_rule():
    (rule,) = rules("Implement procedures to control access to facilities.", lead_in="A covered entity must, in accordance with § 164.306:")
    assert (rule.modality, rule.bearer, rule.action) == ("obligation", "covered entity", "implement")
    (rule,) = rules("April 14, 2003.", lead_in="A health plan must comply with the applicable requirements of this subpart no later than the following dates:")
    assert (rule.bearer, rule.action, rule.object) == ("health plan", "comply", "requirement")
    (rule,) = rules("charge a reasonable fee;", lead_in="Where requests are manifestly unfounded or excessive, the controller may either:")
    assert (rule.modality, rule.bearer, rule.action, rule.object) == ("permission", "controller", "charge", "fee")
    assert [c.text for c in rule.conditions] == ["Where requests are manifestly unfounded or excessive"]


def test_conditions_of_a_list_are_its_items():
    (rule,) = rules("the processing is carried out by a public authority;", lead_in="The controller shall designate a data protection officer in any case where:")
    assert rule.modality == "obligation" and [c.text for c in rule.conditions] == ["the processing is carried out by a public authority"]


@pytest.mark.parametrize(
    "text, bearer, action",
    [
        # a long interruption between the modal and its verb: the parser detaches "shall"
        ("Taking into account the state of the art, the cost of implementation and the nature, scope, context and purposes of "
         "processing as well as the risks of varying likelihood and severity for rights and freedoms of natural persons posed "
         "by the processing, the controller shall, both at the time of the determination of the means for processing and at "
         "the time of the processing itself, implement appropriate technical and organisational measures.", "controller", "implement"),
        ("The data protection officer shall in the performance of his or her tasks have due regard to the risk associated "
         "with processing operations.", "data protection officer", "have"),
        # the parser takes the opening condition for the main clause
        ("Where a type of processing in particular using new technologies, and taking into account the nature, scope, context "
         "and purposes of the processing, is likely to result in a high risk to the rights and freedoms of natural persons, the "
         "controller shall, prior to the processing, carry out an assessment of the impact of the envisaged processing "
         "operations on the protection of personal data.", "controller", "carry out"),
    ],
)
def test_an_interrupted_modal_still_makes_the_rule(text, bearer, action):
    found = rules(text)
    assert [(s.modality, s.bearer, s.action) for s in found] == [("obligation", bearer, action)]


def test_an_opening_condition_runs_to_the_displaced_main_clause():
    text = ("Where a type of processing, and taking into account the nature of the processing, is likely to result in a high "
            "risk to natural persons, the controller shall, prior to the processing, carry out an assessment.")
    [rule] = rules(text)
    assert [c.text for c in rule.conditions] == [
        "Where a type of processing, and taking into account the nature of the processing, is likely to result in a high risk to natural persons"]


@pytest.mark.parametrize("text", ["The assessment shall contain at least:",
                                  "A code of conduct shall contain mechanisms which enable the body to carry out the monitoring."])
def test_shall_contain_is_a_content_requirement(text):
    assert modalities(text) == ["obligation"]


def test_every_rule_of_a_conditional_lead_in_goes_to_its_items():
    lead_in = ("The data subject shall have the right to obtain from the controller the erasure of personal data concerning him "
               "or her without undue delay and the controller shall have the obligation to erase personal data without undue "
               "delay where one of the following grounds applies:")
    item = "the personal data have been unlawfully processed;"
    found = rules(item, lead_in=lead_in)
    assert [(s.modality, s.bearer) for s in found] == [("permission", "data subject"), ("obligation", "controller")]
    assert all([c.text for c in s.conditions] == ["the personal data have been unlawfully processed"] for s in found)
    # the verbs of a condition item are no rules of their own
    item = "the personal data are required by the data subject for the establishment of legal claims."
    assert [s.modality for s in rules(item, lead_in=lead_in)] == ["permission", "obligation"]


@pytest.mark.parametrize(
    "text, bearer, action",
    [
        # the agent of coordinated passives hangs on the last verb
        ("He or she shall not be dismissed or penalised by the controller or the processor for performing his tasks.",
         "controller or processor", "dismiss or penalise"),
        # the parser hangs the subject on the opening clause; "have the burden of V-ing" is a duty to V
        ("In the event of a use or disclosure in violation of subpart E, the covered entity or business associate, as "
         "applicable, shall have the burden of demonstrating that all notifications were made.",
         "covered entity or business associate", "demonstrate"),
    ],
)
def test_bearer_found_where_the_parse_misplaces_it(text, bearer, action):
    assert [(s.bearer, s.action) for s in rules(text)] == [(bearer, action)]


@pytest.mark.parametrize(
    "text, expected",
    [
        # liability is a legal consequence
        ("Where more than one controller is involved in the same processing, each controller or processor shall be held "
         "liable for the entire damage.", []),
        # the parser takes the opening condition for the main clause; the entitlement is the rule
        ("Where a controller or processor has, in accordance with paragraph 4, paid full compensation for the damage "
         "suffered, that controller or processor shall be entitled to claim back from the other controllers or processors "
         "involved in the same processing that part of the compensation corresponding to their part of responsibility for "
         "the damage, in accordance with the conditions set out in paragraph 2.", [("permission", "controller or processor")]),
        # a condition coordinated with the rule's own phrase is no rule of its own
        ("Processing of personal data relating to criminal convictions shall be carried out only under the control of "
         "official authority or when the processing is authorised by Union or Member State law.", [("obligation", None)]),
        ("A transfer pursuant to point (g) shall not involve the entirety of the personal data contained in the register.",
         [("prohibition", None)]),
    ],
)
def test_rules_the_dapreco_comparison_found(text, expected):
    assert [(s.modality, s.bearer) for s in rules(text)] == expected


def test_a_restricted_take_place_lead_in_conditions_its_items():
    lead_in = ("In the absence of an adequacy decision, a transfer of personal data to a third country shall take place only "
               "on one of the following conditions:")
    [rule] = rules("the transfer is necessary for important reasons of public interest;", lead_in=lead_in)
    assert (rule.modality, rule.action) == ("obligation", "transfer")
    assert [c.text for c in rule.conditions][-1] == "the transfer is necessary for important reasons of public interest"


def all_rules(text: str, lead_in: str | None = None):
    return [s for s in extract_texts([text], lead_ins=[lead_in])[0] if s.kind == "rule" and s.modality]


@pytest.mark.parametrize(
    "text, lead_in, duty",
    [
        ("The data subject shall have the right to obtain from the controller without undue delay the rectification of "
         "inaccurate personal data concerning him or her.", None, ("controller", "rectify", None)),
        ("Tenant shall be entitled to receive a copy of the lease from Landlord.", None, ("landlord", "provide", "copy of lease")),
        ("The data subject shall have the right to have incomplete personal data completed.", None,
         (None, "complete", "incomplete personal data")),
        ("the purposes of the processing;", "The data subject shall have the right to obtain from the controller access to "
         "the personal data and the following information:", ("controller", "provide", "purpose")),
    ],
)
def test_a_claim_right_implies_the_counterpartys_duty(text, lead_in, duty):
    found = all_rules(text, lead_in)
    [right] = [s for s in found if not s.correlative]
    [derived] = [s for s in found if s.correlative]
    assert right.modality == "permission" and derived.modality == "obligation" and derived.correlative_of is right
    assert (derived.bearer, derived.action, derived.object) == duty


@pytest.mark.parametrize(
    "text",
    [
        "The data subject shall have the right to withdraw his or her consent at any time.",  # a liberty
        "The data subject shall have the right to lodge a complaint with a supervisory authority.",  # a power
        # the duty the text states itself is not repeated
        "The data subject shall have the right to obtain from the controller the erasure of personal data and the "
        "controller shall have the obligation to erase personal data without undue delay.",
    ],
)
def test_no_correlative_duty_where_the_right_binds_no_one_or_the_text_states_it(text):
    assert [s for s in all_rules(text) if s.correlative] == []


def test_inferred_duties_go_to_duty_bearers_not_to_the_articles_right_holders():
    from pipeline.framers.extraction import infer_bearers
    from pipeline.framers.statements import Span, Statement

    span = Span(0, 1, "x")
    right = Statement(kind="rule", sentence=span, modality="permission", bearer="data subject", action="exercise")
    elsewhere = Statement(kind="rule", sentence=span, modality="obligation", bearer="controller", action="notify")
    passive_duty = Statement(kind="rule", sentence=span, modality="obligation", action="make available")
    passive_permission = Statement(kind="rule", sentence=span, modality="permission", action="designate")
    infer_bearers([elsewhere, right, passive_duty, passive_permission], ["gdpr|Article 33", *["gdpr|Article 26"] * 3])
    assert passive_duty.bearer == "controller" and passive_duty.bearer_inferred
    assert passive_permission.bearer == "data subject"  # the article's own permission-holder


@pytest.mark.parametrize(
    "text, bearer",
    [
        # the parser gives the participle's object (or the participle) the subject's place
        ("The person affixing to a Form 1 (Firearms) a stamp shall cancel it by writing his initials thereon.", "person"),
        ("When a request for production of documents has been received, within 30 days the party receiving that request "
         "must either fully respond to the request or state that the request is being objected to.", "party"),
        # "the head of the agency" is a party, named with its agency
        ("The head of the agency posting such report shall do so only after such report has been made available.", "head of agency"),
        # coordinated parties are joined as written
        ("A licensed importer, manufacturer, or dealer may engage in the business of dealing in curio firearms.",
         "licensed importer, manufacturer, or dealer"),
        ("Where a supervisory authority does not comply, the other supervisory authorities may adopt a provisional measure.",
         "supervisory authority"),
    ],
)
def test_bearers_of_participle_subjects_titles_and_lists(text, bearer):
    assert [s.bearer for s in rules(text)] == [bearer]


def test_by_names_a_thing_after_accompany():
    [rule] = rules("Such appeal must be accompanied by two properly completed FBI Forms FD-258.")
    assert rule.bearer is None and rule.object == "appeal"
