"""Form compliance: how many poems keep their form, by Fabula's own poem checker.

`form_compliance(poems, form)` runs `fabula.forms.check_poem` on each poem and reports the share
of poems that pass (no violation anywhere), the share of verse lines that pass, and for each rule
(`tone`, `rhyme`, `lines`, `metre`, ...) the share of poems breaking it at least once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from fabula.errors import FabulaError
from fabula.eval.tokens import check_texts
from fabula.forms import Form, check_poem, get_form

__all__ = ["FormCompliance", "compliance_rate", "form_compliance"]


@dataclass(frozen=True)
class FormCompliance:
    form: str
    poems: int
    passed: int
    rate: float  # passed / poems
    line_rate: float  # verse lines without a violation / verse lines checked
    broken: dict[str, float]  # rule -> share of poems that break it, most broken first


def form_compliance(poems: Sequence[str], form: Form | str) -> FormCompliance:
    """Check every poem against `form` (a Form, or its name or alias: "wujue", "sonnet")."""
    poems = check_texts(poems, what="poems")
    form = get_form(form) if isinstance(form, str) else form
    reports = [check_poem(p, form) for p in poems]
    lines = [line for r in reports for line in r.lines]
    if not lines:
        raise FabulaError(f"The poems have no verse lines to check against {form.name}.")
    rules = Counter(rule for r in reports for rule in r.broken_rules())
    passed = sum(r.ok for r in reports)
    return FormCompliance(
        form=form.name,
        poems=len(reports),
        passed=passed,
        rate=passed / len(reports),
        line_rate=sum(line.ok for line in lines) / len(lines),
        broken={rule: n / len(reports) for rule, n in rules.most_common()},
    )


def compliance_rate(poems: Sequence[str], form: Form | str) -> float:
    """Share of `poems` that keep `form` entirely."""
    return form_compliance(poems, form).rate
