"""The zh-shi checker on real poems, each verdict checked by hand against the 平水韵 groups.

Hand analysis (平水韵 tone of each character; 中 = 多音字 accepted either way):
  登鹳雀楼  仄仄平平仄 / 平平仄仄平(流 尤) / 仄平平仄仄 / 中仄仄平平(楼 尤)   -> 仄起首句不入韵, passes
  春望      仄仄平平仄 / 平平仄仄平(深 侵) / 仄平平中仄 / 仄仄仄平平(心 侵) /
            平仄平平仄 / 平平仄仄平(金 侵) / 仄平平中仄 / 平仄中平平(簪 侵) -> 仄起首句不入韵, passes
  登高      哀 回 来 台 杯 all 上平十灰; 风急天高猿啸哀 平仄平平平仄平          -> 仄起首句入韵, passes
  静夜思    床前明月光 平平平仄平 (not 孤平: 平 at 1-3) / 疑是地上霜 平仄仄仄平 (上 仄: 二四 both 仄) /
            举头望明月 仄平中平仄 / 低头思故乡 平平中仄平: 是(仄)->头(平) 失粘, 头/头 失对
  行宫      宫 红 (上平一东) but 宗 (上平二冬) in line 4                      -> rhyme
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from fabula.forms import check_poem, get_form
from fabula.forms.chinese import lexicon
from fabula.forms.chinese.shi import check

DENG_GUAN_QUE_LOU = "白日依山尽，黄河入海流。\n欲穷千里目，更上一层楼。"
CHUN_WANG = (
    "国破山河在，城春草木深。\n感时花溅泪，恨别鸟惊心。\n烽火连三月，家书抵万金。\n白头搔更短，浑欲不胜簪。"
)
CHUN_WANG_HANT = (
    "國破山河在，城春草木深。\n感時花濺淚，恨別鳥驚心。\n烽火連三月，家書抵萬金。\n白頭搔更短，渾欲不勝簪。"
)
DENG_GAO = (
    "风急天高猿啸哀，渚清沙白鸟飞回。\n无边落木萧萧下，不尽长江滚滚来。\n"
    "万里悲秋常作客，百年多病独登台。\n艰难苦恨繁霜鬓，潦倒新停浊酒杯。"
)
JING_YE_SI = "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。"
JING_YE_SI_HANT = "床前明月光，疑是地上霜。\n舉頭望明月，低頭思故鄉。"
XING_GONG = "寥落古行宫，宫花寂寞红。\n白头宫女在，闲坐说玄宗。"  # 元稹《行宫》
YUE_YE = (
    "今夜鄜州月，闺中只独看。\n遥怜小儿女，未解忆长安。\n香雾云鬟湿，清辉玉臂寒。\n何时倚虚幌，双照泪痕干。"
)


def rules_at(report, rule: str) -> list[tuple[int, int | None]]:
    return [(line.index, v.position) for line in report.lines for v in line.violations if v.rule == rule]


def test_lexicon_has_106_groups_and_reads_simplified_through_traditional() -> None:
    groups = lexicon.groups()
    assert len(groups) == 106
    assert groups[0] == "上平一东" and groups[30] == "上声一董" and groups[-1] == "入声十七洽"
    assert lexicon.lookup("看").describe() == "看: 平 (寒) or 仄 (翰)"
    assert [str(r) for r in lexicon.readings("尽")] == ["仄 (轸)"]  # 尽 -> 盡
    assert {r.tone for r in lexicon.readings("国")} == {"仄"}  # 入声, which pypinyin would call 平 (guó)
    assert "下平一先" in {r.group for r in lexicon.readings("先")}  # the data file's 一先 lacks 先 itself
    assert lexicon.readings("鄜") == ()
    assert [str(r) for r in lexicon.readings("啼")] == ["平 (齐)"]  # SUPPLEMENT: missing from the data file
    assert lexicon.lookup("宁").tones == {"平", "仄"}  # 宁 zhù (语/御) as typed, 寧 níng (青) via OpenCC


def test_deng_guan_que_lou_passes_as_wujue() -> None:
    report = check_poem(DENG_GUAN_QUE_LOU, "wujue")
    assert report.ok, report.render()
    assert report.form == "五言绝句"
    assert "pattern: 仄起首句不入韵" in report.notes
    assert [line.pattern for line in report.lines][:3] == ["仄仄平平仄", "平平仄仄平", "仄平平仄仄"]
    assert report.lines[1].rhyme == report.lines[3].rhyme == "下平十一尤"


def test_chun_wang_passes_as_wulv_with_polyphone_notes() -> None:
    report = check_poem(CHUN_WANG, "wulv")
    assert report.ok, report.render()
    assert "pattern: 仄起首句不入韵" in report.notes
    assert {report.lines[i].rhyme for i in (1, 3, 5, 7)} == {"下平十二侵"}
    assert "多音字 更: 平 (庚) or 仄 (敬); accepted as 仄" in report.lines[6].notes
    assert any(
        n.startswith("多音字 胜 (as 勝)") and n.endswith("accepted as 平") for n in report.lines[7].notes
    )


def test_deng_gao_passes_as_qilv() -> None:
    report = check_poem(DENG_GAO, "七律")
    assert report.ok, report.render()
    assert "pattern: 仄起首句入韵" in report.notes
    assert {report.lines[i].rhyme for i in (0, 1, 3, 5, 7)} == {"上平十灰"}
    assert report.lines[0].pattern == "平仄平平平仄平"


def test_jing_ye_si_breaks_nian_dui_and_tone_but_is_not_gu_ping() -> None:
    report = check_poem(JING_YE_SI, "wujue")
    assert not report.ok
    assert set(report.broken_rules()) == {"nian", "dui", "tone"}
    assert report.lines[0].pattern == "平平平仄平" and report.lines[0].ok
    assert rules_at(report, "tone") == [(1, 3), (2, 1)]  # 上 (仄) at 4 of line 2, 头 (平) at 2 of line 3
    assert [v.rule for v in report.violations] == ["nian", "dui"]
    assert "line 3" in report.violations[0].message


def test_simplified_and_traditional_give_the_same_verdict() -> None:
    for simplified, traditional, form in (
        (CHUN_WANG, CHUN_WANG_HANT, "wulv"),
        (JING_YE_SI, JING_YE_SI_HANT, "wujue"),
    ):
        a, b = check_poem(simplified, form), check_poem(traditional, form)
        assert (a.ok, a.broken_rules()) == (b.ok, b.broken_rules())
        assert [line.pattern for line in a.lines] == [line.pattern for line in b.lines]
        assert [line.rhyme for line in a.lines] == [line.rhyme for line in b.lines]


def test_rhymes_from_two_groups_fail_on_the_odd_one_out() -> None:
    report = check_poem(XING_GONG, "wujue")
    assert report.broken_rules() == ["rhyme"]
    assert rules_at(report, "rhyme") == [(3, 4)]
    assert report.lines[3].rhyme == "上平二冬" and report.lines[1].rhyme == "上平一东"


def test_first_line_may_borrow_a_neighbouring_group() -> None:
    report = check_poem("寥落古行踪，宫花寂寞红。\n白头宫女在，闲坐说深宫。", "wujue")
    assert report.ok, report.render()
    assert "首句借邻韵: 踪 is 上平二冬, next to 上平一东" in report.lines[0].notes


def test_wrong_character_count_and_wrong_line_count() -> None:
    report = check_poem(DENG_GUAN_QUE_LOU.replace("依山尽", "依山尽了"), "wujue")
    assert report.broken_rules() == ["length"]
    assert (report.lines[0].units, report.lines[0].expected_units) == (6, 5)
    assert "平仄 not checked: wrong number of characters" in report.lines[0].notes

    report = check_poem(DENG_GUAN_QUE_LOU, "wulv")
    assert [v.rule for v in report.violations] == ["lines"]
    assert report.violations[0].message == "4 lines; a 五言律诗 has 8."


def test_gu_ping_and_its_rescue() -> None:
    broken = check_poem(DENG_GUAN_QUE_LOU.replace("黄河", "大河"), "wujue")  # 仄平仄仄平
    assert broken.broken_rules() == ["gu-ping"]
    assert rules_at(broken, "gu-ping") == [(1, 0)]
    rescued = check_poem(DENG_GUAN_QUE_LOU.replace("黄河入", "大河奔"), "wujue")  # 仄平平仄平: 孤平拗救
    assert rescued.ok, rescued.render()


def test_san_ping_wei_in_ting_tan_qin() -> None:
    report = check_poem("泠泠七弦上，静听松风寒。\n古调虽自爱，今人多不弹。", "wujue")  # 刘长卿《听弹琴》
    assert rules_at(report, "san-ping-wei") == [(1, 2)]  # 松风寒
    assert rules_at(report, "tone") == [(2, 3)]  # 古调虽自爱: 自 仄 at 4
    assert any(n.startswith("特拗") for n in report.lines[0].notes)  # 泠泠七弦上 平平仄平仄


def test_te_ao_and_unknown_characters_do_not_fail() -> None:
    report = check_poem(YUE_YE, "wulv")  # 杜甫《月夜》
    assert report.ok, report.render()
    assert "鄜: not in the 平水韵 table; tone not checked at position 3" in report.lines[0].notes
    assert report.lines[0].pattern == "平仄？平仄"
    assert "多音字 看: 平 (寒) or 仄 (翰); accepted as 平" in report.lines[1].notes
    assert "特拗 平平仄平仄: an accepted variant of 中平中仄仄" in report.lines[6].notes


def test_aliases_and_json() -> None:
    assert get_form("wujue").name == "五言绝句" and get_form("五绝").name == "五言绝句"
    assert get_form("QIJUE").name == "七言绝句" and get_form("wulv").name == "五言律诗"
    assert get_form("qilv").params["line_length"] == 7
    data = json.loads(json.dumps(check_poem(JING_YE_SI, "wujue").to_dict(), ensure_ascii=False))
    assert data["ok"] is False and data["form"] == "五言绝句"
    assert [line["ok"] for line in data["lines"]] == [True, False, False, True]
    assert data["lines"][1]["violations"][0] == {
        "rule": "tone",
        "message": "上 is 仄; position 4 should be 平.",
        "position": 3,
    }
    assert {v["rule"] for v in data["violations"]} == {"nian", "dui"}


@pytest.mark.parametrize("lines", [[], [""]])
def test_an_empty_poem_only_fails_the_line_count(lines: list[str]) -> None:
    report = check(get_form("wujue"), lines)
    assert report.broken_rules() == ["lines"]


def test_acrostic_heads() -> None:
    form = get_form("wujue")
    lines = DENG_GUAN_QUE_LOU.splitlines()  # a couplet per text line: four verse lines

    def with_heads(heads: str):
        return check(dataclasses.replace(form, params={**form.params, "heads": heads}), lines)

    assert with_heads("白黄欲更").ok
    assert with_heads("白黃欲更").ok  # Traditional 黃 matches Simplified 黄
    wrong = with_heads("白黄欲上")
    assert rules_at(wrong, "acrostic") == [(3, 0)]
    short = with_heads("白日")
    assert rules_at(short, "acrostic") == [(1, 0)]
    assert [v.rule for v in short.violations] == ["acrostic"]
