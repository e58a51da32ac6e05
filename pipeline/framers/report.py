"""A self-contained HTML page of extracted rules, for reviewing what the Framer read.

``studio rules --format html > rules.html``: rules grouped by document and provision, each with
its source sentence, the modality as a colour, the conditions and exceptions highlighted inside
the sentence, and bearer / action / object beside it. A compliance engineer checks a framed
regulation by reading this page against the text, not by reading JSON.
"""

from __future__ import annotations

import html
from collections import Counter
from itertools import groupby

COLOURS = {"obligation": "#1f6feb", "prohibition": "#cf222e", "permission": "#1a7f37"}

_STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; color: #1f2328; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #d0d7de; }
.summary span { margin-right: 1.2rem; } .provision { color: #59636e; font-weight: 600; margin-top: 1rem; }
.rule { border-left: 4px solid; padding: .3rem .8rem; margin: .4rem 0; background: #f6f8fa; }
.roles { font-size: .85rem; color: #59636e; } .modality { font-weight: 700; text-transform: uppercase; font-size: .75rem; }
mark.condition { background: #fff8c5; } mark.exception { background: #ffebe9; }
.legend mark { padding: 0 .3rem; }
"""


def rules_html(rules: list[dict], title: str = "Rules") -> str:
    """The page for rules as ``kg.policy_graph.list_rules`` gives them."""
    counts = Counter(rule["modality"] for rule in rules)
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        "<p class='summary'>" + "".join(
            f"<span style='color:{COLOURS[m]}'>{counts.get(m, 0)} {m}s</span>" for m in COLOURS
        ) + "</p>",
        "<p class='legend'><mark class='condition'>condition</mark> <mark class='exception'>exception</mark></p>",
    ]
    for document, in_document in groupby(rules, key=lambda rule: rule["document"]):
        parts.append(f"<h2>{html.escape(document)}</h2>")
        for provision, in_provision in groupby(in_document, key=lambda rule: rule["provision"]):
            parts.append(f"<div class='provision'>{html.escape(provision or '(no provision)')}</div>")
            for rule in in_provision:
                parts.append(_rule(rule))
    parts.append("</body></html>")
    return "\n".join(parts)


def _rule(rule: dict) -> str:
    colour = COLOURS.get(rule["modality"], "#59636e")
    source = rule["source"]
    where = f" [{source['start']}:{source['end']}]" if source.get("start") is not None else ""
    roles = " / ".join(html.escape(str(rule[key])) for key in ("bearer", "action") if rule[key])
    if rule["object"]:
        roles += f" / {html.escape(rule['object'])}"
    return (
        f"<div class='rule' style='border-color:{colour}'>"
        f"<span class='modality' style='color:{colour}'>{rule['modality']}</span> "
        f"<span class='roles'>{roles}{html.escape(where)}</span><br>"
        f"{highlight(source.get('text') or '', rule['conditions'], rule['exceptions'])}</div>"
    )


def highlight(text: str, conditions: list[str], exceptions: list[str]) -> str:
    """The sentence, escaped, with each condition and exception marked where it occurs."""
    spans = []
    for kind, pieces in (("condition", conditions), ("exception", exceptions)):
        for piece in pieces:
            start = text.find(piece)
            if start >= 0 and not any(start < end and start + len(piece) > begin for begin, end, _ in spans):
                spans.append((start, start + len(piece), kind))
    out, position = [], 0
    for start, end, kind in sorted(spans):
        out.append(html.escape(text[position:start]))
        out.append(f"<mark class='{kind}'>{html.escape(text[start:end])}</mark>")
        position = end
    out.append(html.escape(text[position:]))
    return "".join(out)
