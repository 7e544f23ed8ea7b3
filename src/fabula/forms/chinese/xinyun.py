"""中华新韵 (the modern 14-部 rhyme scheme) per character, from `pypinyin`'s Mandarin readings.

The scheme: 中华诗词学会《中华新韵（十四韵）》 (2005; published in 《中华诗词》 and the 学会's
《诗词格律》 handbooks). It files the 35 finals of 汉语拼音 by 韵身 (the vowel and its ending,
without the medial i/u/ü — "同身同韵") into 14 部, reads tones from 《新华字典》 and only
distinguishes 平 and 仄:

    一麻 a ia ua          二波 o uo e           三皆 ie üe (ê)       四开 ai uai
    五微 ei ui(uei)       六豪 ao iao           七尤 ou iu(iou)      八寒 an ian uan üan
    九文 en in un(uen) ün 十唐 ang iang uang    十一庚 eng ing ueng ong iong
    十二齐 i ü er         十三支 -i (after zh ch sh r z c s)       十四姑 u

* 阴平 (1) and 阳平 (2) are 平, 上声 (3) and 去声 (4) are 仄. There is no 入声: an old 入声
  character counts by its modern tone (白 bái, 国 guó are 平 here, 仄 in 平水韵).
* er (儿 而 耳 二) belongs to 十二齐 in the 十四韵 table (the 18-部《诗韵新编》 gives it a
  部 of its own, 儿; the 14-部 scheme merged it into 齐).
* -i after zh ch sh r z c s (知 吃 诗 日 资 雌 思) is 十三支; i after any other initial (衣 低 鸡)
  is 十二齐. ü (鱼 居 女 绿) is 十二齐; üe (月 雪 学) is 三皆; üan is 八寒; ün is 九文.
* 轻声 (pypinyin's tone 5: 的 de, 了 le) is neither 平 nor 仄: that reading is dropped, and a
  character with no other reading is unknown (never fails a tone check). So are syllabic
  interjections (嗯 ng, 呣 m) and characters pypinyin does not know.

多音字: every reading pypinyin lists with `heteronym=True` is returned, and the checker accepts a
position if any fits, as it does for 平水韵. (pypinyin's heteronyms include rare readings, e.g.
白 bó, 月 rù: lenient, never strict.) A Traditional character is read as typed, then through its
OpenCC Simplified form when pypinyin lacks it.
"""

from __future__ import annotations

from functools import cache

__all__ = ["GROUPS", "final_group", "readings", "syllable"]

PING = "平"
ZE = "仄"

GROUPS: tuple[str, ...] = (
    "一麻",
    "二波",
    "三皆",
    "四开",
    "五微",
    "六豪",
    "七尤",
    "八寒",
    "九文",
    "十唐",
    "十一庚",
    "十二齐",
    "十三支",
    "十四姑",
)

# Final (汉语拼音, medial kept, ü written as "v", iou/uei/uen spelled out) -> 部.
FINALS: dict[str, str] = {
    **dict.fromkeys(("a", "ia", "ua"), "一麻"),
    **dict.fromkeys(("o", "uo", "e", "io"), "二波"),
    **dict.fromkeys(("ie", "ve", "ê"), "三皆"),
    **dict.fromkeys(("ai", "uai"), "四开"),
    **dict.fromkeys(("ei", "uei"), "五微"),
    **dict.fromkeys(("ao", "iao"), "六豪"),
    **dict.fromkeys(("ou", "iou"), "七尤"),
    **dict.fromkeys(("an", "ian", "uan", "van"), "八寒"),
    **dict.fromkeys(("en", "in", "uen", "vn"), "九文"),
    **dict.fromkeys(("ang", "iang", "uang"), "十唐"),
    **dict.fromkeys(("eng", "ing", "ueng", "ong", "iong"), "十一庚"),
    **dict.fromkeys(("i", "v", "er"), "十二齐"),
    "-i": "十三支",
    "u": "十四姑",
}

_INITIALS = (
    *("zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l"),
    *("g", "k", "h", "j", "q", "x", "r", "z", "c", "s"),
)
_SIBILANTS = {"zh", "ch", "sh", "r", "z", "c", "s"}
# Zero-initial spellings y-/w- -> the final they write.
_Y_W = {
    "yi": "i",
    "ya": "ia",
    "yo": "io",
    "ye": "ie",
    "yai": "iai",
    "yao": "iao",
    "you": "iou",
    "yan": "ian",
    "yin": "in",
    "yang": "iang",
    "ying": "ing",
    "yong": "iong",
    "yu": "v",
    "yue": "ve",
    "yuan": "van",
    "yun": "vn",
    "wu": "u",
    "wa": "ua",
    "wo": "uo",
    "wai": "uai",
    "wei": "uei",
    "wan": "uan",
    "wen": "uen",
    "wang": "uang",
    "weng": "ueng",
}


def syllable(pinyin: str) -> tuple[str, str, int] | None:
    """A TONE3 pinyin syllable ("zhi1", "lv4", "yue4", "er2") -> (initial, final, tone); None if not one.

    The final is spelled in full with ü as "v" (gui -> uei, liu -> iou, dun -> uen, ju -> v,
    xue -> ve), and the apical vowel of zhi chi shi ri zi ci si as "-i". Tone 5 is 轻声.
    """
    s = pinyin.strip().lower().replace("ü", "v").replace("u:", "v")
    tone = 5
    if s and s[-1].isdigit():
        tone, s = int(s[-1]), s[:-1]
    if not s or not s.isascii() or not s.isalpha() or tone not in range(1, 6):
        return None
    if s in _Y_W:
        return "", _Y_W[s], tone
    initial = next((i for i in _INITIALS if s.startswith(i) and len(s) > len(i)), "")
    final = s[len(initial) :]
    if initial in ("j", "q", "x") and final.startswith("u"):
        final = "v" + final[1:]  # ju qu xu, jue, juan, jun
    if final == "i" and initial in _SIBILANTS:
        final = "-i"
    if initial in ("l", "n") and final == "ue":
        final = "ve"  # lüe nüe, sometimes spelled lue nue
    final = {"iu": "iou", "ui": "uei", "un": "uen"}.get(final, final)
    return initial, final, tone


def final_group(final: str) -> str | None:
    """The 部 of a final as `syllable` spells it ("ong" -> "十一庚", "-i" -> "十三支")."""
    return FINALS.get(final)


def _pinyin(char: str) -> list[str]:
    from pypinyin import Style, pinyin

    out = pinyin(char, style=Style.TONE3, heteronym=True, neutral_tone_with_five=True, errors="ignore")
    return [p for group in out for p in group]


@cache
def readings(char: str) -> tuple[tuple[str, str], ...]:
    """Every (tone, 部) reading of one character, e.g. 白 -> (("平", "四开"), ("平", "二波")).

    Empty when pypinyin does not know the character, or knows only 轻声 / syllabic readings.
    """
    if len(char) != 1:
        return ()
    syllables = _pinyin(char)
    if not syllables:
        from fabula.forms.chinese.lexicon import to_simplified

        simple = to_simplified(char)
        if simple != char and len(simple) == 1:
            syllables = _pinyin(simple)
    out: dict[tuple[str, str], None] = {}
    for p in syllables:
        parsed = syllable(p)
        if parsed is None:
            continue
        _, final, tone = parsed
        group = final_group(final)
        if group is None or tone == 5:
            continue  # 轻声 is neither 平 nor 仄; m / n / ng interjections have no 部
        out.setdefault((PING if tone in (1, 2) else ZE, group), None)
    return tuple(out)
