"""Chinese poems: cleaning, form labels, script conversion, the three corpora on a tiny chinese-poetry."""

from collections import Counter
from pathlib import Path

import pytest

from fabula.data.chinese import clean_lines, content_group, problem, shi_form, split_ju


@pytest.mark.parametrize(
    ("lines", "form"),
    [
        (["白日依山尽，黄河入海流。", "欲穷千里目，更上一层楼。"], "五言绝句"),
        (["朝辞白帝彩云间，千里江陵一日还。", "两岸猿声啼不住，轻舟已过万重山。"], "七言绝句"),
        (
            [
                "国破山河在，城春草木深。",
                "感时花溅泪，恨别鸟惊心。",
                "烽火连三月，家书抵万金。",
                "白头搔更短，浑欲不胜簪。",
            ],
            "五言律诗",
        ),
        (
            [
                "风急天高猿啸哀，渚清沙白鸟飞回。",
                "无边落木萧萧下，不尽长江滚滚来。",
                "万里悲秋常作客，百年多病独登台。",
                "艰难苦恨繁霜鬓，潦倒浊醪停浊杯。",
            ],
            "七言律诗",
        ),
        (["床前明月光，疑是地上霜。", "举头望明月，低头思故乡。", "静夜思无穷，故乡在远方。"], "五言古体"),
        (["汉皇重色思倾国，御宇多年求不得。"], "七言古体"),
        (["前不见古人，后不见来者。", "念天地之悠悠，独怆然而涕下。"], "杂言古体"),
        (["关关雎鸠，在河之洲。", "窈窕淑女，君子好逑。"], "四言古体"),
    ],
)
def test_shi_form(lines: list[str], form: str) -> None:
    assert shi_form(lines) == form


def test_lines_are_cut_at_punctuation_not_at_newlines() -> None:
    assert split_ju(["白日依山尽，黄河", "入海流。"]) == ["白日依山尽", "黄河入海流"]
    assert (
        shi_form(["白日依山尽", "黄河入海流", "欲穷千里目", "更上一层楼"]) == "杂言古体"
    )  # one long unpunctuated line


def test_cleaning_and_problems() -> None:
    assert clean_lines(
        ["闌風長雨（一作「東風細雨」）秋紛紛，", " [玄]宗回馬 ", "（注：", "跨行）", "〔黄鍾爲角〕我將"]
    ) == ["闌風長雨秋紛紛，", "玄宗回馬", "我將"]
    assert problem(["□□□□□，山河在眼前。"]) == "lost characters"
    assert problem(["疲{艹/尔}竟何人，灑涕巴東峽。"]) == "editorial markup"
    assert problem(["蜡屐径来堂上，倚杖け然长啸。"]) == "stray symbols"
    assert problem(["", "。"]) == "empty"
    assert problem(["童子解吟《長恨曲》，胡兒能唱「琵琶篇」。"]) is None


def test_content_group_ignores_punctuation() -> None:
    assert content_group("白日依山尽，黄河入海流。") == content_group("白日依山尽 黄河入海流")


def test_tang_song_shi(poetry_root: Path) -> None:
    pytest.importorskip("opencc", reason="script conversion needs `pip install opencc==1.4.2`")
    from fabula.data import tang_song_shi

    stats: Counter[str] = Counter()
    docs = list(tang_song_shi.documents(poetry_root, stats))
    by_id = {d.id: d for d in docs}
    assert set(by_id) == {
        "tang_shi/t-1",
        "tang_shi/t-2",
        "song_shi/s-1",
        "song_shi/s-2",
    }  # s-1 = t-1, deduped later
    assert stats["dropped: lost characters"] == 1 and stats["dropped: fragment (句)"] == 1
    poem = by_id["tang_shi/t-1"]
    assert poem.text == "白日依山尽，黄河入海流。\n欲穷千里目，更上一层楼。\n"
    assert poem.meta["text_hant"] == "白日依山盡，黃河入海流。\n欲窮千里目，更上一層樓。\n"
    assert poem.meta["script"] == "zh-Hans" and poem.meta["hant"] == "source"
    assert poem.meta["form"] == "五言绝句" and poem.meta["source"] == "tang_shi"
    assert poem.meta["title"] == "登鹳雀楼" and poem.meta["author"] == "王之涣"
    assert by_id["tang_shi/t-2"].meta["form"] == "五言律诗" and "一作" not in by_id["tang_shi/t-2"].text
    assert by_id["song_shi/s-2"].meta["form"] == "七言绝句" and by_id["song_shi/s-2"].meta["dynasty"] == "宋"
    assert by_id["song_shi/s-1"].group == poem.group


def test_song_ci_tunes(poetry_root: Path) -> None:
    pytest.importorskip("opencc", reason="script conversion needs `pip install opencc==1.4.2`")
    from fabula.data import song_ci

    stats: Counter[str] = Counter()
    docs = list(song_ci.documents(poetry_root, stats))
    assert [d.meta["tune"] for d in docs] == ["如梦令", "醉落魄"]
    assert docs[1].meta["tune_alias"] == "一斛珠" and docs[1].meta["title"] == "醉落魄・一斛珠"
    assert docs[0].text == "昨夜雨疏风骤。\n浓睡不消残酒。\n"
    assert (
        docs[0].meta["text_hant"] == "昨夜雨疏風驟。\n濃睡不消殘酒。\n"
        and docs[0].meta["hant"] == "opencc-s2t"
    )
    assert docs[0].meta["form"] == "词" and stats["dropped: lost characters"] == 1
    assert len({d.id for d in docs}) == 2


def test_tang300_form_tags_and_shared_split_keys(poetry_root: Path) -> None:
    pytest.importorskip("opencc", reason="script conversion needs `pip install opencc==1.4.2`")
    from fabula.data import tang300, tang_song_shi

    root = poetry_root
    stats: Counter[str] = Counter()
    docs = {d.id: d for d in tang300.documents(root, stats)}
    assert (
        docs["tang300/t-1"].meta["form"] == "五言绝句" and docs["tang300/t-1"].meta["form_tag"] == "五言绝句"
    )
    assert (
        docs["tang300/t-9"].meta["form"] == "杂言古体" and docs["tang300/t-9"].meta["form_tag"] == "七言古诗"
    )
    assert stats["form check: agrees with the anthology's tag"] == 3
    shi = {d.id: d for d in tang_song_shi.documents(root, Counter())}
    assert docs["tang300/t-2"].group == shi["tang_shi/t-2"].group  # same poem, same split in both corpora
