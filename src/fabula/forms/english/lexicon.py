"""English pronunciations for verse checking: the CMU Pronouncing Dictionary via `pronouncing`.

`lookup(word)` gives every reading of a word as a `Reading`: its ARPAbet phones (when known),
syllable count, CMU stress digits (`1` primary, `2` secondary, `0` none, one per syllable), the
rhyming part (last stressed vowel to the end, as `pronouncing.rhyming_part`) and where it came from:

- `cmu`: a CMU entry (a word may have several: "temperate" has 2 and 3 syllables, "fire" 1 and 2);
- `elided`: built from a CMU entry by an elision that poets mark or rely on:
  * apostrophe contractions: "o'er" (over), "e'er", "ne'er", "heav'n", "stol'n", "flow'rs",
    "deserv'd" / "tatter'd" (non-syllabic -ed), "mak'st" / "feed'st" (-st adds no syllable),
    "'tis", "'twas", "th'" (the), "i'" (in), "'gainst", "'twixt", "ta'en";
  * unmarked slurs that metre often needs: an unstressed vowel next to another vowel merges
    (synaeresis: "flowers", "power", "being", "even" are also read one syllable shorter), and
    an unstressed vowel before a final N after V/DH/TH ("heaven", "given", "seven") may drop;
  * words built from known ones: archaic -est / -eth / -st ("owest", "canst"), prefixes un-, re-,
    dis-, mis-, over-, out- ("untrimm'd"), British spellings ("offence", "honour"), compounds of
    two known words ("methinks", "whereon"), and a few archaic words ("saith", "nought");
  * "-ed" may be sounded ("glazed" as glaz-ed): editions that print "'d" for the silent ending
    leave a plain "-ed" to be sounded where the metre needs it; this reading is tried after the
    dictionary's. "-èd" (accent on e) is sounded first.
- `estimated`: a word the dictionary does not know. Syllables are counted from spelling (vowel
  groups, with y as a vowel; a silent final e, silent -es / -ed after most consonants, "-le" after a
  consonant sounded); the stresses are unknown (`?`) and the rhyming part is the spelling from the
  last vowel group (marked with a leading `~`, which never equals a CMU rhyming part).

Hyphenated words are looked up whole ("to-day" -> "today"), else part by part, each part keeping
its own stresses. Possessive and plural apostrophes ("lovers'", "world's") are handled.
Data are loaded once (pronouncing caches the dictionary; `lookup` is memoised).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise, product

import pronouncing

__all__ = ["FUNCTION_WORDS", "Reading", "estimate_syllables", "lookup", "rhyme_word", "tokenize"]

VOWEL_PHONE = re.compile(r"^[A-Z]+[012]$")


@dataclass(frozen=True)
class Reading:
    word: str
    phones: str | None  # ARPAbet, None when estimated
    syllables: int
    stresses: str  # one CMU digit per syllable; "?" where unknown
    rhyme: str | None  # CMU rhyming part, or "~spelling" when estimated
    source: str  # "cmu", "elided" or "estimated"
    how: str = ""  # for notes: "elided from heaven", "pronunciation 2 of 2"

    @property
    def monosyllable(self) -> bool:
        return self.syllables == 1


# Monosyllables that are unstressed in ordinary speech (used to count stresses in loose metres).
FUNCTION_WORDS = frozenset(
    """a an the and but or nor for so yet if as than that though till while when whence where whose who
    whom which what of to in on at by from with up o'er through thro' thro upon into onto unto with
    without i me my mine we us our you your ye he him his she her it its they them their thee thou
    thy thine 'tis 'twas is am are was were be been being have has had hast hath do does did doth
    dost shall shalt will wilt would should could can may might must not no th' i' 't let such there
    then this these those all""".split()  # noqa: SIM905
)

# Contractions whose full form is not a simple "insert one letter" guess.
CONTRACTIONS: dict[str, tuple[str, ...]] = {
    "o'er": ("over",),
    "e'er": ("ever",),
    "ne'er": ("never",),
    "whate'er": ("whatever",),
    "where'er": ("wherever",),
    "whene'er": ("whenever",),
    "howe'er": ("however",),
    "whoe'er": ("whoever",),
    "e'en": ("even",),
    "ta'en": ("taken",),
    "th'": ("the",),
    "i'": ("in",),
    "'gainst": ("against",),
    "'twixt": ("betwixt",),
    "'mongst": ("amongst",),
    "thro'": ("through",),
    "tho'": ("though",),
    "'em": ("them",),
    "o'": ("of",),
    "'t": ("it",),
    "ev'ry": ("every",),
}

_TOKEN = re.compile(
    r"(?:['\u2019](?=[A-Za-z]))?[A-Za-z\u00C0-\u024F]+(?:['\u2019\-][A-Za-z\u00C0-\u024F]+)*['\u2019]?"
)


def tokenize(line: str) -> list[tuple[str, str]]:
    """Words of a verse line with what follows each one up to the next word (for caesura
    detection): [("Shall", " "), ("I", " "), ..., ("day", "?")]. Keeps apostrophes inside
    ("heav'n"), in front ("'tis") and behind ("th'", "lovers'"), and hyphens ("self-love")."""
    line = line.replace("\u2019", "'").replace("\u2018", "'")
    out: list[tuple[str, str]] = []
    matches = list(_TOKEN.finditer(line))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
        word = m.group(0)
        if word.endswith("'") and word.lower() not in CONTRACTIONS:
            word = word[:-1]  # "lovers'" (possessive); "th'" and "thro'" keep theirs
        out.append((word, line[m.end() : end]))
    return out


def _strip_accents(word: str) -> tuple[str, bool]:
    """ASCII form and whether an accented -èd asked for a sounded ending."""
    sounded = bool(re.search(r"[èé]d$", word))
    plain = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
    return plain, sounded


def _parse(word: str, phones: str, source: str, how: str = "") -> Reading:
    stresses = pronouncing.stresses(phones)
    return Reading(word, phones, len(stresses), stresses, pronouncing.rhyming_part(phones), source, how)


def _cmu(word: str) -> list[str]:
    return pronouncing.phones_for_word(word.lower())


def _drop_vowel(phones: str, index: int) -> str:
    ph = phones.split()
    vowel = ph[index]
    if vowel.startswith("ER"):
        ph[index] = "R"  # flow'rs: F L AW1 R Z
    else:
        del ph[index]
    return " ".join(ph)


def _vowel_indices(ph: list[str]) -> list[int]:
    return [i for i, p in enumerate(ph) if VOWEL_PHONE.match(p)]


def _slurs(phones: str) -> list[str]:
    """One-syllable-shorter readings: synaeresis of an unstressed vowel next to a vowel, and
    syncope of an unstressed vowel before a final N after V, DH or TH ("heaven", "even")."""
    ph = phones.split()
    out = []
    vi = _vowel_indices(ph)
    for a, b in pairwise(vi):
        if b == a + 1:  # two vowels in hiatus
            if ph[b].endswith("0"):
                out.append(_drop_vowel(phones, b))
            elif ph[a].endswith("0"):
                out.append(_drop_vowel(phones, a))
    for j in range(1, len(ph) - 1):  # heav(e)n, heav(e)nly, giv(e)n
        if ph[j] in ("AH0", "IH0") and ph[j + 1] == "N" and ph[j - 1] in ("V", "DH", "TH") and len(vi) > 1:
            out.append(" ".join(ph[:j] + ph[j + 1 :]))
    return [o for o in out if o != phones]


def _elide_last_unstressed(phones: str) -> str | None:
    ph = phones.split()
    for i in reversed(_vowel_indices(ph)):
        if ph[i].endswith("0"):
            return _drop_vowel(phones, i)
    return None


def _apostrophe(word: str) -> list[Reading]:
    """Readings of a word with an inner or leading apostrophe that CMU does not list."""
    low = word.lower()
    out: list[Reading] = []
    if low in CONTRACTIONS:
        for full in CONTRACTIONS[low]:
            for phones in _cmu(full):
                shorter = (
                    _elide_last_unstressed(phones)
                    if full not in ("the", "in", "them", "it", "through", "though")
                    else None
                )
                if full in ("the", "in", "it"):
                    # th' / i' / 't are clitics: they add no syllable of their own
                    out.append(Reading(word, "", 0, "", None, "elided", f"elided {full}"))
                elif full in ("against", "betwixt", "amongst"):  # 'gainst: the first syllable goes
                    ph = phones.split()
                    first_vowel = _vowel_indices(ph)[0]
                    out.append(_parse(word, " ".join(ph[first_vowel + 1 :]), "elided", f"elided from {full}"))
                elif shorter and full not in ("through", "though", "them"):
                    out.append(_parse(word, shorter, "elided", f"elided from {full}"))
                else:
                    out.append(_parse(word, phones, "elided", f"short for {full}"))
        return out
    if low.startswith("'"):
        return [r for r in lookup(low[1:])] if low[1:] else []
    head, _, tail = low.rpartition("'")
    if tail == "s":  # possessive: world's, beauty's
        return [_parse(word, p + " Z", "cmu", f"possessive of {head}") for p in _cmu(head)]
    if tail == "d":  # deserv'd, tatter'd, dy'd: a non-syllabic -ed
        for full in (head + "ed", head + "d", head + "ied"):
            for phones in _cmu(full):
                ph = phones.split()
                if len(ph) >= 2 and ph[-2] in ("IH0", "AH0") and ph[-1] == "D":
                    continue  # the syllabic reading is what the apostrophe removes
                out.append(_parse(word, phones, "elided", f"-'d as in {full}"))
        if not out:
            for phones in _cmu(head) or _cmu(head + "e"):
                end = "T" if phones.split()[-1] in ("P", "K", "S", "SH", "CH", "F", "TH") else "D"
                out.append(_parse(word, phones + " " + end, "elided", f"{head} + -'d"))
        return out
    if tail in ("st", "t"):  # mak'st, feed'st, show'st
        for base in (head, head + "e"):
            for phones in _cmu(base):
                out.append(
                    _parse(word, phones + (" S T" if tail == "st" else " T"), "elided", f"{base} + -'{tail}")
                )
            if out:
                return out
        return out
    for vowel in "eoia":  # heav'n, stol'n, flow'rs, ev'ry, pow'r, o'ercome
        full = head + vowel + tail
        for phones in _cmu(full):
            shorter = _elide_last_unstressed(phones)
            if shorter:
                out.append(_parse(word, shorter, "elided", f"elided from {full}"))
        if out:
            return out
    for phones in _cmu(head + tail):
        out.append(_parse(word, phones, "elided", f"as {head + tail}"))
    return out


SILENT_ES = re.compile(r"[^aeiouy]es$")
SILENT_ED = re.compile(r"[^aeiouytd]ed$")


def estimate_syllables(word: str) -> int:
    """Syllables of an unknown word from its spelling: count vowel groups (y counts as a vowel
    after a consonant; "eou" and i + vowel, except after t, c, s, g, are two: "beauteous",
    "radiant"); drop a silent final e ("stone") but keep consonant + "le" / "re" ("fickle", "metre"),
    drop the e of -es / -ed after letters where it is silent ("tapes", "kissed" -> 1) except
    -ses / -ces / -ges / -zes / -xes and -ted / -ded, which stay sounded. At least 1."""
    w = re.sub(r"[^a-z]", "", word.lower())
    if not w:
        return 0
    groups = re.findall(r"[aeiou]+|(?<=[^aeiou])y|^y(?=[^aeiou])", w)
    n = len(groups)
    n += len(re.findall(r"eou|[^tcsg]i[aou]", w))  # beaute-ous, rad-i-ant
    if len(w) > 3 and re.search(r"[^aeiouy][rl]e$", w):
        pass  # metre, fickle: the final -re / -le is sounded
    elif n > 1 and (
        (len(w) > 2 and w.endswith("e") and not w.endswith(("ee", "ie", "ye", "oe")))
        or (SILENT_ES.search(w) and not w.endswith(("ses", "ces", "ges", "zes", "xes", "shes", "ches")))
        or SILENT_ED.search(w)
    ):
        n -= 1
    return max(n, 1)


def _estimate(word: str) -> Reading:
    n = estimate_syllables(word)
    w = re.sub(r"[^a-z]", "", word.lower())
    m = re.search(r"[aeiouy]+[^aeiouy]*e?$", w)
    rhyme = "~" + (m.group(0) if m else w)
    return Reading(word, None, n, "?" * n, rhyme, "estimated", "not in CMU: syllables estimated")


def _estimates(word: str) -> list[Reading]:
    """The estimate, and one syllable fewer when it split a vowel pair ("beauteous" 3 or 2)."""
    first = _estimate(word)
    out = [first]
    if first.syllables > 1 and re.search(r"eou|[^tcsg]i[aou]", word.lower()):
        n = first.syllables - 1
        out.append(
            Reading(
                word,
                None,
                n,
                "?" * n,
                first.rhyme,
                "estimated",
                "not in CMU: syllables estimated, vowels slurred",
            )
        )
    return out


def _dedupe(readings: list[Reading]) -> list[Reading]:
    seen: dict[tuple[str, str | None], Reading] = {}
    for r in readings:
        seen.setdefault((r.stresses, r.rhyme), r)
    return list(seen.values())


@lru_cache(maxsize=65536)
def lookup(word: str) -> tuple[Reading, ...]:
    """Every reading of one word (as tokenised): CMU entries first, then elided variants; an
    estimate when nothing is known. Never empty for a word with letters."""
    plain, sounded = _strip_accents(word.replace("\u2019", "'"))
    low = plain.lower()
    if "-" in low:
        joined = low.replace("-", "")
        whole = [_parse(word, p, "cmu") for p in _cmu(joined)]
        if whole:
            return tuple(whole)
        parts = [lookup(p) for p in low.split("-") if p]
        combos = list(product(*parts))[:16]
        out = []
        for combo in combos:
            phones = (
                None
                if any(r.phones is None for r in combo)
                else " ".join(r.phones for r in combo if r.phones)
            )
            out.append(
                Reading(
                    word,
                    phones,
                    sum(r.syllables for r in combo),
                    "".join(r.stresses for r in combo),
                    combo[-1].rhyme,
                    "estimated" if any(r.source == "estimated" for r in combo) else combo[0].source,
                    "; ".join(r.how for r in combo if r.how),
                )
            )
        return tuple(_dedupe(out))
    readings: list[Reading] = []
    entries = _cmu(low)
    for i, phones in enumerate(entries):
        how = f"pronunciation {i + 1} of {len(entries)}" if len(entries) > 1 else ""
        readings.append(_parse(word, phones, "cmu", how))
    if not readings and low in ARCHAIC:
        readings = [_parse(word, ARCHAIC[low], "elided", "archaic word")]
    if not readings and "'" in low:
        readings = _apostrophe(low)
        readings = [
            Reading(word, r.phones, r.syllables, r.stresses, r.rhyme, r.source, r.how) for r in readings
        ]
    if not readings and low.endswith("'"):
        readings = list(lookup(low.rstrip("'")))
    if low.endswith("ed") and len(low) > 3:
        # only a suffix -ed after a consonant or unstressed vowel: "glazed", "feared", "buried",
        # "remembered"; not "need", "bed" (stressed vowel + d) or "sacred" (already sounded)
        base = [
            p
            for p in _cmu(low)
            if p.endswith((" D", " T"))
            and not p.endswith(("AH0 D", "IH0 D"))
            and not re.match(r"^[A-Z]+[12]$", p.split()[-2])
        ]
        for phones in base:
            full = _parse(
                word,
                phones[:-2] + " IH0 D",
                "elided",
                "-èd sounded" if sounded else "-ed sounded, as older verse may",
            )
            if sounded:
                readings.insert(0, full)
            else:
                readings.append(full)
    for r in list(readings):
        if r.phones and r.source != "estimated":
            for shorter in _slurs(r.phones):
                readings.append(_parse(word, shorter, "elided", f"slurred ({r.phones} -> {shorter})"))
    if not readings:
        readings = _derived(word, low)
    if not readings:
        readings = _estimates(low)
    return tuple(_dedupe(readings))


ARCHAIC_ENDINGS = (("est", "IH0 S T"), ("eth", "IH0 TH"), ("'st", "S T"), ("st", "S T"))
PREFIXES = (
    ("un", "AH0 N"),
    ("re", "R IY0"),
    ("dis", "D IH0 S"),
    ("mis", "M IH0 S"),
    ("over", "OW2 V ER0"),
    ("out", "AW2 T"),
)


SPELLINGS = (
    (r"ence$", "ense"),
    (r"our(s?)$", r"or\1"),
    (r"([^aeiou])re$", r"\1er"),
    (r"ll(ful|ness)", r"l\1"),
    (r"l(ful)", r"ll\1"),
)
SHORT_TAILS = frozenset(["on", "in", "to", "at", "by", "of", "up"])
ARCHAIC: dict[str, str] = {"saith": "S EH1 TH", "nought": "N AO1 T", "naught": "N AO1 T", "wh'r": "W EH1 R"}
COMPOUND_HEADS = frozenset(
    [
        "me",
        "where",
        "there",
        "here",
        "with",
        "some",
        "what",
        "how",
        "no",
        "any",
        "every",
        "self",
        "him",
        "her",
        "them",
        "thy",
        "my",
        "fore",
        "up",
        "in",
        "out",
        "be",
    ]
)


def _derived(word: str, low: str) -> list[Reading]:
    """Readings built from known words: archaic -est / -eth / -st verb endings ("owest" = owe +
    -est, "loveth", "canst", "shouldst"), the prefixes un-, re-, dis-, mis-, over-, out-
    ("untrimm'd" = un + trimm'd), and compounds of two known words ("methinks", "whereon")."""
    out: list[Reading] = []
    for ending, phones in ARCHAIC_ENDINGS:
        if low.endswith(ending) and len(low) > len(ending) + 1:
            stem = low[: -len(ending)]
            for base in dict.fromkeys(
                (stem, stem + "e", stem[:-1] if len(stem) > 2 and stem[-1] == stem[-2] else stem)
            ):
                for p in _cmu(base):
                    out.append(_parse(word, f"{p} {phones}", "elided", f"{base} + -{ending.strip(chr(39))}"))
            if out:
                return out
    for prefix, phones in PREFIXES:
        rest = low[len(prefix) :]
        if low.startswith(prefix) and len(rest) > 2:
            found = [r for r in lookup(rest) if r.source != "estimated"]
            for r in found:
                out.append(_parse(word, f"{phones} {r.phones}".strip(), "elided", f"{prefix}- + {rest}"))
            if out:
                return out
    for pattern, replacement in SPELLINGS:  # British and old spellings: offence, honour, metre
        if re.search(pattern, low):
            variant = re.sub(pattern, replacement, low)
            found = [_parse(word, p, "cmu", f"spelt {variant}") for p in _cmu(variant)]
            if found:
                return found
    cuts = sorted(range(2, len(low) - 1), key=lambda c: (low[:c] not in COMPOUND_HEADS, -c))
    for cut in cuts:  # a usual compound head ("me-thinks", "where-on"), else the longest first part
        first, second = low[:cut], low[cut:]
        if "'" in first or "'" in second:
            continue
        if not (len(second) >= 3 or second in SHORT_TAILS) or not (
            len(first) >= 3 or first in COMPOUND_HEADS
        ):
            continue
        a = [r for r in lookup(first) if r.source == "cmu"]
        b = [r for r in lookup(second) if r.source != "estimated" and r.phones]
        if a and b:
            for ra, rb in product(a[-2:], b[:3]):
                out.append(_parse(word, f"{ra.phones} {rb.phones}", "elided", f"compound {first} + {second}"))
            return out
    return out


def rhyme_word(readings: tuple[Reading, ...]) -> set[str]:
    """Every rhyming part a word may have (stress digits stripped, so AY1 and AY2 rhyme)."""
    return {re.sub(r"\d", "", r.rhyme) for r in readings if r.rhyme}
