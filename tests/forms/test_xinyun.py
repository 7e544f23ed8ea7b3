"""中华新韵 (`rhyme_book = "xinyun"`, `fabula poem check --rhymes xinyun`), checked by hand.

Hand analysis (Mandarin tones: 1/2 平, 3/4 仄; 部 of the final):
  白 bái 平 四开 (平水韵 入声十一陌, 仄); 国 guó 平 二波 (入声十三职, 仄); 竹 zhú 平 十四姑 (入声一屋)
  东 冬 dōng, 灯 dēng, 宗 zōng: all 十一庚 (平水韵: 一东, 二冬, 十蒸, 二冬)
  日 rì 十三支 (-i after r), 急 jí 十二齐, 鱼 yú 十二齐 (ü), 儿 ér 十二齐, 月 yuè 三皆 (üe), 的 de 轻声
  小雨润花径，春风入海东。青竹摇翠影，万户点新灯。  仄仄仄平仄 / 平平仄仄平 / 平平平仄仄 / 仄仄仄平平
      新韵: 仄起首句不入韵, 东 灯 十一庚, passes. 平水韵: 竹 is 仄 at position 2 of line 3 (and so 失粘,
      失对 there), 灯 (十蒸) does not rhyme with 东 (一东).
  春望 in 新韵: 深 心 金 shēn xīn jīn 九文, but 簪 zān 八寒 -> rhyme fails on line 8.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fabula.cli import app
from fabula.errors import FabulaError
from fabula.forms import check_poem, get_form
from fabula.forms.chinese import lexicon, xinyun

MODERN = "小雨润花径，春风入海东。\n青竹摇翠影，万户点新灯。"
MODERN_QIJUE = "一夜微风吹柳絮，春潮带雨晚来东。\n青竹摇影迎春色，万户千家点夜灯。"
XING_GONG = "寥落古行宫，宫花寂寞红。\n白头宫女在，闲坐说玄宗。"
CHUN_WANG = (
    "国破山河在，城春草木深。\n感时花溅泪，恨别鸟惊心。\n烽火连三月，家书抵万金。\n白头搔更短，浑欲不胜簪。"
)


def with_book(form: str, book: str):
    f = get_form(form)
    return dataclasses.replace(f, params={**f.params, "rhyme_book": book})


@pytest.mark.parametrize(
    ("pinyin", "parsed"),
    [
        ("zhi1", ("zh", "-i", 1)),
        ("ri4", ("r", "-i", 4)),
        ("ji2", ("j", "i", 2)),
        ("ju1", ("j", "v", 1)),
        ("lv3", ("l", "v", 3)),
        ("nü3", ("n", "v", 3)),
        ("xue2", ("x", "ve", 2)),
        ("yue4", ("", "ve", 4)),
        ("yuan2", ("", "van", 2)),
        ("jun1", ("j", "vn", 1)),
        ("gui1", ("g", "uei", 1)),
        ("liu2", ("l", "iou", 2)),
        ("dun4", ("d", "uen", 4)),
        ("weng1", ("", "ueng", 1)),
        ("er2", ("", "er", 2)),
        ("de5", ("d", "e", 5)),
    ],
)
def test_syllables_are_split_into_initial_final_and_tone(pinyin: str, parsed: tuple) -> None:
    assert xinyun.syllable(pinyin) == parsed


def test_finals_map_to_the_fourteen_groups() -> None:
    assert len(xinyun.GROUPS) == 14 and set(xinyun.FINALS.values()) == set(xinyun.GROUPS)
    assert xinyun.readings("东") == xinyun.readings("冬") == (("平", "十一庚"),)
    assert ("平", "四开") in xinyun.readings("白") and ("平", "二波") in xinyun.readings("国")
    assert xinyun.readings("日") == (("仄", "十三支"),)  # -i after r
    assert xinyun.readings("急") == (("平", "十二齐"),)  # i after j
    assert xinyun.readings("鱼") == (("平", "十二齐"),)  # ü
    assert ("平", "十二齐") in xinyun.readings("儿")  # er: 十二齐 in the 14-部 table
    assert xinyun.readings("雪") == (("仄", "三皆"),)  # üe
    assert xinyun.readings("了") == (("仄", "六豪"),)  # liǎo; the 轻声 le is dropped
    assert xinyun.readings("嗯") == ()  # syllabic n / ng: no 部, unknown
    assert xinyun.readings("國") == xinyun.readings("国")  # Traditional read alike


def test_lexicon_takes_a_book_for_both_lookups_and_certain_readings() -> None:
    assert lexicon.certain_readings("白") == {("仄", "入声十一陌")}
    assert lexicon.certain_readings("白", book="xinyun") >= {("平", "四开")}
    assert lexicon.readings("国", book="xinyun")[0].tone == "平"
    assert {r.tone for r in lexicon.readings("国")} == {"仄"}
    looks = lexicon.lookup_line("白日依山尽", book="xinyun")
    assert [lk.tones for lk in looks][:2] == [{"平"}, {"仄"}]
    assert {(r.tone, r.group) for r in looks[0].readings} == lexicon.certain_readings("白", book="xinyun")
    with pytest.raises(ValueError, match="pingshui or xinyun"):
        lexicon.lookup("白", book="guangyun")


@pytest.mark.parametrize(("poem", "form"), [(MODERN, "wujue"), (MODERN_QIJUE, "qijue")])
def test_a_modern_poem_passes_in_xinyun_and_fails_in_pingshui(poem: str, form: str) -> None:
    new = check_poem(poem, with_book(form, "xinyun"))
    assert new.ok, new.render()
    assert "rhyme book: 中华新韵" in new.notes and "rhyme group: 十一庚" in new.notes
    assert new.lines[2].pattern.startswith("平平")  # 青竹: 竹 zhú is 平 now

    old = check_poem(poem, form)
    assert "rhyme book: 平水韵" in old.notes
    assert {"tone", "rhyme"} <= set(old.broken_rules())
    tone = [(line.index, v.position) for line in old.lines for v in line.violations if v.rule == "tone"]
    assert tone == [(2, 1)]  # 竹 入声 (仄) at position 2 of line 3
    assert old.lines[3].rhyme == "下平十蒸" and old.lines[1].rhyme == "上平一东"


def test_dong_and_dong_rhyme_in_xinyun() -> None:
    assert check_poem(XING_GONG, "wujue").broken_rules() == ["rhyme"]  # 宗 上平二冬 vs 宫 红 上平一东
    new = check_poem(XING_GONG, with_book("wujue", "xinyun"))
    assert new.ok, new.render()
    assert {new.lines[i].rhyme for i in (0, 1, 3)} == {"十一庚"}


def test_chun_wang_does_not_rhyme_in_modern_mandarin() -> None:
    report = check_poem(CHUN_WANG, with_book("wulv", "xinyun"))
    assert report.broken_rules() == ["rhyme"]
    assert [(line.index, v.position) for line in report.lines for v in line.violations] == [(7, 4)]
    assert "rhyme group: 九文" in report.notes and report.lines[7].rhyme == "八寒"


def test_an_unknown_book_is_an_error() -> None:
    with pytest.raises(FabulaError, match="Unknown rhyme book"):
        check_poem(MODERN, with_book("wujue", "guangyun"))


runner = CliRunner()


def test_cli_rhymes_option(tmp_path: Path) -> None:
    poem = tmp_path / "poem.txt"
    poem.write_text(MODERN_QIJUE, encoding="utf-8")
    ok = runner.invoke(app, ["poem", "check", str(poem), "--form", "qijue", "--rhymes", "xinyun"])
    assert ok.exit_code == 0, ok.output
    assert "rhyme book: 中华新韵" in ok.output and ok.output.rstrip().endswith("七言绝句: PASS")
    default = runner.invoke(app, ["poem", "check", str(poem), "--form", "qijue"])
    assert default.exit_code == 1 and "rhyme book: 平水韵" in default.output
    wrong = runner.invoke(app, ["poem", "check", str(poem), "--form", "qijue", "--rhymes", "guangyun"])
    assert wrong.exit_code == 1 and "pingshui or xinyun" in wrong.output
    english = runner.invoke(app, ["poem", "check", str(poem), "--form", "sonnet", "--rhymes", "xinyun"])
    assert english.exit_code == 1 and "近体诗" in english.output
