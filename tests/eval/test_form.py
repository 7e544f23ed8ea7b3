"""Form compliance rates from Fabula's poem checker, on real poems."""

from __future__ import annotations

import pytest

from fabula.errors import FabulaError
from fabula.eval import compliance_rate, form_compliance
from fabula.forms import UnknownForm

DENG_GUANQUE = "白日依山尽，黄河入海流。\n欲穷千里目，更上一层楼。"  # a regular 五言绝句
JING_YE_SI = "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。"  # 古绝: breaks the regulated tones
CHUN_XIAO = "春眠不觉晓，处处闻啼鸟。\n夜来风雨声，花落知多少。"  # rhymes on 仄 tones
HALF = "白日依山尽，黄河入海流。"  # two lines of four


def test_compliance_of_four_poems_by_hand() -> None:
    result = form_compliance([DENG_GUANQUE, JING_YE_SI, CHUN_XIAO, HALF], "wujue")
    assert (result.form, result.poems, result.passed) == ("五言绝句", 4, 1)
    assert result.rate == compliance_rate([DENG_GUANQUE, JING_YE_SI, CHUN_XIAO, HALF], "五言绝句") == 0.25
    # lines passing: 登鹳雀楼 4 of 4, 静夜思 2 of 4, 春晓 1 of 4, the half poem 2 of 2 -> 9 of 14
    assert result.line_rate == pytest.approx(9 / 14)
    # rules broken per poem: 静夜思 nian, dui, tone; 春晓 nian, tone, rhyme; the half poem lines
    assert result.broken == {"nian": 0.5, "tone": 0.5, "dui": 0.25, "rhyme": 0.25, "lines": 0.25}


def test_english_forms_too() -> None:
    haiku = "An old silent pond\nA frog jumps into the pond\nSplash! Silence again"
    assert form_compliance([haiku, "Too short"], "haiku").passed == 1


def test_form_errors() -> None:
    with pytest.raises(FabulaError, match="1 or more poems"):
        form_compliance([], "wujue")
    with pytest.raises(FabulaError, match="no verse lines"):
        form_compliance(["", "  "], "wujue")
    with pytest.raises(UnknownForm):
        form_compliance([DENG_GUANQUE], "sestina-of-doom")
