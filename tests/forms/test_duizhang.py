"""对仗 of the 颔联 and 颈联 of 律诗 (fabula.forms.chinese.duizhang and the zh-shi `duizhang` rule).

Hand analysis:
  登高 颔联 无边落木萧萧下 / 不尽长江滚滚来: 无边/不尽, 落木/长江 (noun phrases), 萧萧/滚滚 (叠字), 下/来
        (verbs); 颈联 万里悲秋常作客 / 百年多病独登台: 万里/百年 (数 + 量/名), 悲秋/多病, 常/独, 作客/登台.
  春望 颔联 感时花溅泪 / 恨别鸟惊心; 颈联 烽火连三月 / 家书抵万金: 三/万 numbers, 月/金 nouns.
  Made up, not parallel: 而我欲归去 / 何人解我心 — 而 (conjunction) / 何 (pronoun), 我 / 人,
        欲 (auxiliary) / 解 (verb), 归 (verb) / 我 (pronoun), 去 (verb) / 心 (noun): every position differs.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("jieba")

from fabula.cli import app  # noqa: E402
from fabula.forms import check_poem, get_form  # noqa: E402
from fabula.forms.chinese import duizhang  # noqa: E402

DENG_GAO = (
    "风急天高猿啸哀，渚清沙白鸟飞回。\n无边落木萧萧下，不尽长江滚滚来。\n"
    "万里悲秋常作客，百年多病独登台。\n艰难苦恨繁霜鬓，潦倒新停浊酒杯。"
)
CHUN_WANG = (
    "国破山河在，城春草木深。\n感时花溅泪，恨别鸟惊心。\n烽火连三月，家书抵万金。\n白头搔更短，浑欲不胜簪。"
)
# 春望 with a made-up, non-parallel 颈联 of the same 平仄 (平仄仄平仄 / 平平仄仄平) and rhyme (心 侵).
NOT_PARALLEL = CHUN_WANG.replace("烽火连三月，家书抵万金", "而我欲归去，何人解我心")


def strict(form: str):
    f = get_form(form)
    return dataclasses.replace(f, params={**f.params, "duizhang": True})


def test_closed_classes_and_profiles() -> None:
    assert duizhang.char_classes("三") == {"数"}  # numbers replace jieba's tags
    assert {"色", "形"} <= duizhang.char_classes("红")
    assert {"方", "名"} <= duizhang.char_classes("东")
    assert "代" in duizhang.char_classes("我") and "虚" in duizhang.char_classes("不")
    assert duizhang.similarity({"名": 1.0}, {"名": 2.0}) == pytest.approx(1.0)
    assert duizhang.similarity({"名": 1.0}, {"动": 1.0}) == 0.0


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("无边落木萧萧下", "不尽长江滚滚来"),
        ("万里悲秋常作客", "百年多病独登台"),
        ("感时花溅泪", "恨别鸟惊心"),
        ("烽火连三月", "家书抵万金"),
        ("两个黄鹂鸣翠柳", "一行白鹭上青天"),
        ("明月松间照", "清泉石上流"),
    ],
)
def test_famous_parallel_couplets_pass(first: str, second: str) -> None:
    c = duizhang.score(first, second)
    assert c.parallel(), [c.describe(i) for i in c.mismatched]
    assert c.score >= 0.7 and not c.repeated


def test_reduplications_match_and_numbers_pair() -> None:
    c = duizhang.score("无边落木萧萧下", "不尽长江滚滚来")
    assert c.similarities[4] == c.similarities[5] == 1.0  # 萧萧 / 滚滚
    c = duizhang.score("烽火连三月", "家书抵万金")
    assert c.similarities[3] == pytest.approx(1.0)  # 三 / 万


@pytest.mark.parametrize(("first", "second"), [("而我欲归去", "何人解我心"), ("我亦何曾见", "青山白鹭洲")])
def test_made_up_non_parallel_couplets_fail(first: str, second: str) -> None:
    c = duizhang.score(first, second)
    assert not c.parallel() and c.score < 0.4
    assert len(c.mismatched) >= 4


def test_the_same_character_at_the_same_position_is_reported() -> None:
    c = duizhang.score("山中无甲子", "山外有春秋")
    assert c.repeated == [0]


def test_deng_gao_and_chun_wang_pass_even_when_duizhang_is_strict() -> None:
    for poem, form in ((DENG_GAO, "qilv"), (CHUN_WANG, "wulv")):
        report = check_poem(poem, strict(form))
        assert report.ok, report.render()
        notes = [n for n in report.notes if n.startswith("对仗")]
        assert [n.split(":")[0] for n in notes] == ["对仗 颔联 (lines 3-4)", "对仗 颈联 (lines 5-6)"]


def test_a_non_parallel_couplet_is_a_warning_by_default_and_a_violation_when_strict() -> None:
    default = check_poem(NOT_PARALLEL, "wulv")
    assert default.ok, default.render()
    warning = [n for n in default.notes if n.startswith("warning: 对仗 颈联 (lines 5-6)")]
    assert len(warning) == 1 and "1 而 (虚) / 何 (代)" in warning[0]
    assert any(n.startswith("对仗 颈联: position 5 去") for n in default.lines[5].notes)

    report = check_poem(NOT_PARALLEL, strict("wulv"))
    assert report.broken_rules() == ["duizhang"]
    [(index, v)] = [(line.index, v) for line in report.lines for v in line.violations]
    assert index == 5 and v.position == 0 and "class match 0.2" in v.message


def test_repetition_is_a_violation_when_strict() -> None:
    poem = CHUN_WANG.replace("恨别鸟惊心", "感别鸟惊心")  # 感 at position 1 of both lines of the 颔联
    report = check_poem(poem, strict("wulv"))
    messages = [v.message for line in report.lines for v in line.violations if v.rule == "duizhang"]
    assert messages == ["对仗 颔联 (lines 3-4): 感 at position 1 of both lines (合掌-like repetition)."]


def test_jueju_are_not_checked_for_duizhang() -> None:
    report = check_poem("白日依山尽，黄河入海流。\n欲穷千里目，更上一层楼。", "wujue")
    assert not [n for n in report.notes if "对仗" in n]


def test_cli_duizhang_flag(tmp_path: Path) -> None:
    runner = CliRunner()
    poem = tmp_path / "poem.txt"
    poem.write_text(NOT_PARALLEL, encoding="utf-8")
    loose = runner.invoke(app, ["poem", "check", str(poem), "-f", "wulv"])
    assert loose.exit_code == 0 and "warning: 对仗 颈联" in loose.output
    tight = runner.invoke(app, ["poem", "check", str(poem), "-f", "wulv", "--duizhang"])
    assert tight.exit_code == 1 and "duizhang" in tight.output
    jueju = runner.invoke(app, ["poem", "check", str(poem), "-f", "wujue", "--duizhang"])
    assert jueju.exit_code == 1 and "律诗" in jueju.output
