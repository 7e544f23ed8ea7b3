"""Poem forms: a catalogue in data files, lexicons, and a line-by-line checker.

    from fabula.forms import check_poem
    report = check_poem(open("poem.txt").read(), "wujue")
    print(report.render()); report.to_dict()
"""

from fabula.forms.catalog import Form, UnknownForm, all_forms, check_poem, get_form
from fabula.forms.report import LineReport, PoemReport, Violation

__all__ = ["Form", "LineReport", "PoemReport", "UnknownForm", "Violation", "all_forms", "check_poem", "get_form"]
