"""English verse whose form holds by construction: a decoding `Constraint` for `en-verse` forms.

`VerseConstraint(form, lines=None, heads=None, words=None)` follows each alternative word by
word and masks the next-token logits so that only tokens keeping the poem valid under the
`en-verse` checker survive. Layout: one verse line per text line, `"\\n"` after every line
(the last one included), no blank lines, no leading spaces:

    Shall thy sweet love in summer light remain,\\n...

Words. A line is words from a fixed word list, separated by one space, each optionally followed
by one of `, . ; : ! ?` (at most `MAX_MARKS` in a line, never after a `WEAK` word such as "the"
or "and", which never end a line either); the first word of a line and a word after `. ! ?` are
capitalised. Each word is written in its canonical token spelling (what the tokenizer makes of
`" word"`, of `"Word"` at the start of a line, of `" Word"` after a full stop), so a token trie
over those spellings is the state inside a word: a partial word is always a prefix of an allowed
word, words have a bounded number of tokens (the line budget holds) and the model is asked only
for spellings it saw in training. The default word list is the
tokenizer's own lower-case whole-word tokens (`" desire"`) that the CMU dictionary pronounces:
BPE merges whole words in order of corpus frequency, so these are the common words of the
model's training text, and lower case keeps out names. BPE pieces that CMU happens to list
("comp", "pres", "th") are dropped by an allow-list of short words and a few spelling rules.
Pass `words=` to use another list. Only a word's first CMU reading is used (the checker always
tries it, so a line that fits under it passes whatever other readings exist).

Per line, a set of templates, one character per syllable (`/` beat, `x` off-beat, `.` free):

* metrical forms (`metre`, `feet`): the strict foot pattern, e.g. `x/x/x/x/x/`; the stressed
  syllable of a polysyllable (the checker's class `S`) may not fall on an `x`. Substitutions are
  never written (they are not needed to pass);
* stress counts (`stresses`, the limerick): anapestic lines `x/xx/xx/`, `xx/xx/xx/`, with an
  optional unstressed syllable after the last beat, or headless `/xx/xx/x` (and the same with two
  beats for the short lines), as far as the form's syllable ranges allow; a `/` takes a
  stressed syllable or content monosyllable, an `x` an unstressed syllable or function word, so
  the checker's stress count is exact;
* syllable counts only (`syllables`, haiku): free syllables, that many of them;
* nothing (quatrains, couplets, villanelle, free verse): free lines of 6 to 10 syllables.

Lookahead. Every word's syllable classes are a "shape" (`SU`, `C`, `AUS` ...); each trie node
knows the shapes of the words below it. A word may be placed at syllable `p` only if it fits some
template at `p` and either ends the line exactly (and may end it: its rhyme) or leaves room for
the shortest word that can end the line (fillers between are monosyllables, which fit any
position). So the line can always be finished, and a token is allowed only if some word below it
can be placed.

Rhyme. Lines sharing a scheme letter (per repetition with `repeat`) share a CMU rhyming part and
use distinct words. The first line of a letter may end only in a word with a part that at least
as many distinct words of the list share as the letter has lines (a refrain counted once), each
able to end those lines, so the later lines always have a word left; later lines end in an
unused word sharing the part. Refrains (villanelle) are forced token by token as copies of their
first line. Acrostic (`heads`): the first word of line i starts with the i-th letter.

The end-of-text token is never allowed; after the last line's newline `is_complete` is true.
Masks are cached per (trie node, syllable position, live templates, line-ending set), so most
steps cost one dict lookup.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, field

import torch

from fabula.backends.base import Tokenizer
from fabula.engine.constraints import Constraint
from fabula.errors import FabulaError
from fabula.forms.catalog import Form, get_form
from fabula.forms.english.lexicon import lookup, rhyme_word
from fabula.forms.english.verse import FEET, _allowed, _groups, _syllables

__all__ = ["FREE_SYLLABLES", "PUNCTUATION", "VerseConstraint", "default_words"]

PUNCTUATION = (",", ".", ";", ":", "!", "?")
SENTENCE_END = (".", "!", "?")  # the next word is capitalised
MASK_BYTES = 64 << 20  # cached masks kept between generations
MAX_ENDS = 4096
MAX_MARKS = 2  # punctuation marks per line (tokens are scarce: a villanelle nearly fills 256)
NEWLINE = "\n"
FREE_SYLLABLES = (6, 10)  # lines of forms that fix no count
DEFAULT_LINES = {"free verse": 8}
INF = 10**6

# Words of one to three letters are mostly BPE pieces when CMU lists them ("th", "sha", "wor");
# these are the real ones.
SHORT_WORDS = frozenset(
    """a i ah am an as at aw ay be by do eh go ha he hi ho if in is it lo me my no of oh on or ow
    ox so to up us we ye yo
    ace act add ado age ago aid ail aim air ale all and ant any ape apt arc are ark arm art ash ask
    ate awe axe aye bad bag ban bar bat bay bed bee beg bet bid big bin bit bog bow box boy bud bug
    bun bus but buy bye cab can cap car cat cow cry cub cud cup cur cut dam day den dew did die dig
    dim din dip doe dog don dot dry due dug dun dye ear eat ebb egg ego elf elm end era ere err eve
    ewe eye fan far fat fed fee few fie fig fin fir fit fix flu fly foe fog for fox fro fry fun fur
    gag gap gas gay gem get gin god got gum gun gut guy had hag ham has hat hay hem hen her hew hid
    him hip his hit hoe hog hop hot how hue hug hum hut ice icy ill imp ink inn ire irk its ivy jab
    jam jar jaw jay jet jig job jog jot joy jug keg ken key kid kin kit lad lag lap law lay lea led
    lee leg let lid lie lip lit log lot low lug mad man map mar mat maw may men met mid mob mop mow
    mud mug nag nap nay net new nib nip nod nor not now nun nut oak oar oat odd ode off oft oil old
    one opt orb ore our out owe owl own pad pal pan par pat paw pay pea peg pen pet pew pie pig pin
    pit ply pod pop pot pry pub pun pup put rag ram ran rap rat raw ray red rib rid rig rim rip rob
    rod roe rot row rub rue rug rum run rut rye sad sag sap sat saw say sea see set sew she shy sin
    sip sir sit six sky sly sob sod son sow soy spa spy sty sue sum sun tab tag tan tap tar tax tea
    tee ten the thy tie tin tip toe ton too top tow toy try tub tug two urn use van vat vex vie vow
    wag war was wax way web wed wee wet who why wig win wit woe won woo wry yak yam yea yes yet yew
    yon you zoo""".split()  # noqa: SIM905
)
# Longer CMU entries that are, in BPE vocabularies, pieces of longer words.
PIECES = frozenset(
    """comp comm cons pres prop pers poss prom pret prep prob pros disc diff dest cong tran chan char
    happ wond cour gent tong mort stud stat shad auth coll gard glor fier cher ende sabb empt exec
    jour fors bott sens bene cove clot pleas belie inter appro perce coven gover aston trans super
    cert conf cont dist expl impr insp inst subs""".split()  # noqa: SIM905
)
_DOUBLE_END = re.compile(r"(pp|mm|bb|tt|nn|rr|gg|dd|cc|vv|kk|jj|ww|hh|qq|xx|yy)$")
_WORD_TOKEN = re.compile(r" [a-z]+")
# Words that neither end a line nor take punctuation: articles, determiners, prepositions and
# conjunctions ("the,", "... and my" read as broken lines).
WEAK = frozenset(
    """a an the my thy thine our your their its whose of to in on at by from with into onto unto upon
    through o'er and or nor but if than as that though while when where which what whom who no
    every each some any such this these those so yet for""".split()  # noqa: SIM905
)


def _ordinary(word: str) -> bool:
    if not word.isalpha() or not word.isascii():
        return False
    if len(word) <= 3:
        return word in SHORT_WORDS
    if word in PIECES or (_DOUBLE_END.search(word) and word not in ("purr", "butt", "watt")):
        return False
    return True


def default_words(tokenizer: Tokenizer) -> list[str]:
    """The tokenizer's lower-case whole-word tokens (`" word"`) that are ordinary CMU words."""
    out = []
    for tid in range(tokenizer.vocab_size):
        text = tokenizer.token_text(tid)
        if _WORD_TOKEN.fullmatch(text) or text == " I":
            w = text[1:].lower()
            if _ordinary(w) and lookup(w)[0].source == "cmu":
                out.append(w)
    return sorted(set(out))


def _shape(word: str) -> str:
    """The checker's class of each syllable under the word's first reading: S stressed, U
    unstressed, A ambiguous function word, C ambiguous content word (a content monosyllable)."""
    r = lookup(word)[0]
    return "".join(
        "C" if s.kind == "A" and s.content else s.kind for s in _syllables([(word, " ")], (r,))
    )


class _Vocab:
    """A tokenizer's word tries and token classes for one word list."""

    # root nodes: the first word of a line (capitalised, no space), later words (" word"), and
    # words after a sentence-ending mark (" Word")
    START, MID, CAP = 0, 1, 2

    def __init__(self, tokenizer: Tokenizer, words: list[str] | None) -> None:
        size = tokenizer.vocab_size
        self.size = size
        texts = [tokenizer.token_text(t) for t in range(size)]
        self.newline = [t for t, x in enumerate(texts) if x == NEWLINE]
        if not self.newline:
            raise FabulaError(
                "This model's vocabulary has no newline token; constrained English verse writes one "
                "line per text line. Use a model whose tokenizer encodes '\\n' as a token."
            )
        self.punct = [t for t, x in enumerate(texts) if x in PUNCTUATION]
        self.stops = frozenset(t for t, x in enumerate(texts) if x in SENTENCE_END)
        specials = set(tokenizer.eos_token_ids) | ({tokenizer.bos_token_id} - {None})
        self.eos_ids = sorted(t for t in tokenizer.eos_token_ids if t < size)
        candidates = words if words is not None else default_words(tokenizer)
        self.words: list[str] = []
        self.shapes: list[int] = []  # shape id per word
        self.parts: list[frozenset[str]] = []
        self.shape_index: dict[str, int] = {}
        self.shape_names: list[str] = []
        self.children: list[dict[int, int]] = [{}, {}, {}]
        self.word_at: list[int] = [-1, -1, -1]
        self.letter: list[str] = ["", "", ""]
        self.paths: list[tuple[int, ...]] = []
        for w in dict.fromkeys(x.strip().lower() for x in candidates):
            if not w.isalpha() or not w.isascii():
                continue
            r = lookup(w)[0]
            if r.source != "cmu" or not r.syllables:
                continue
            shown = "I" if w == "i" else w
            start = [t for t in tokenizer.encode(shown[0].upper() + shown[1:]) if t not in specials]
            title = shown[0].upper() + shown[1:]
            mid = [t for t in tokenizer.encode(" " + shown) if t not in specials]
            cap = [t for t in tokenizer.encode(" " + title) if t not in specials]
            if not (
                _spells(texts, start, title, "") and _spells(texts, mid, " " + shown, " ")
                and _spells(texts, cap, " " + title, " ")
            ):
                continue
            shape = _shape(w)
            sid = self.shape_index.setdefault(shape, len(self.shape_names))
            if sid == len(self.shape_names):
                self.shape_names.append(shape)
            k = len(self.words)
            self.words.append(w)
            self.shapes.append(sid)
            self.parts.append(frozenset(rhyme_word(lookup(w))))
            nodes = (
                self._insert(self.START, start, k, w[0])
                + self._insert(self.MID, mid, k, w[0])
                + self._insert(self.CAP, cap, k, w[0])
            )
            self.paths.append(tuple(nodes))
        if not self.words:
            raise FabulaError(
                "None of the words offered is a CMU word this tokenizer can spell; constrained English "
                "verse needs a word list (pass words=...) or a model with English whole-word tokens."
            )
        self.below = [0] * len(self.children)  # shapes of the words at or below each node
        for k, nodes in enumerate(self.paths):
            bit = 1 << self.shapes[k]
            for n in nodes:
                self.below[n] |= bit
        self.shape_len = [len(s) for s in self.shape_names]
        self.by_part: dict[str, list[int]] = {}
        for k, ps in enumerate(self.parts):
            for p in ps:
                self.by_part.setdefault(p, []).append(k)
        self.index = {w: k for k, w in enumerate(self.words)}
        self.enders = frozenset(k for k, w in enumerate(self.words) if w not in WEAK)
        self.plans: dict[tuple, _Plan] = {}

    def _insert(self, root: int, ids: list[int], word: int, letter: str) -> list[int]:
        node, out = root, []
        for tid in ids:
            nxt = self.children[node].get(tid)
            if nxt is None:
                nxt = len(self.children)
                self.children.append({})
                self.word_at.append(-1)
                self.letter.append(letter)
                self.children[node][tid] = nxt
            node = nxt
            out.append(node)
        if self.word_at[node] < 0:
            self.word_at[node] = word
        return out

    def mask(self, ids) -> torch.Tensor:
        m = torch.zeros(self.size, dtype=torch.bool)
        ids = list(ids)
        if ids:
            m[ids] = True
        return m


def _spells(texts: list[str], ids: list[int], text: str, lead: str) -> bool:
    """The ids spell `text` as letter tokens, only the first one starting with `lead`."""
    if not ids or "".join(texts[t] for t in ids) != text:
        return False
    first = texts[ids[0]]
    if not first.startswith(lead) or not first[len(lead) :].isalpha():
        return False
    return all(texts[t].isalpha() for t in ids[1:])


_VOCABS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _vocab(tokenizer: Tokenizer, words: tuple[str, ...] | None) -> _Vocab:
    try:
        per = _VOCABS.setdefault(tokenizer, {})
    except TypeError:  # not weak-referenceable: compute every time
        return _Vocab(tokenizer, list(words) if words is not None else None)
    found = per.get(words)
    if found is None:
        found = per[words] = _Vocab(tokenizer, list(words) if words is not None else None)
    return found


# -- the form as line templates -----------------------------------------------------------------


@dataclass
class _Line:
    templates: tuple[int, ...]  # template ids
    group: tuple[int, str] | None  # rhyme group (repetition, letter), None if unrhymed
    head: str | None  # acrostic letter (upper case)
    copy_of: int | None  # a refrain: the line it repeats


def _fits(mode: str, t: str, c: str) -> bool:
    if t == "." or mode == "free":
        return True
    if mode == "metre":
        return t == "/" or c != "S"
    return c in "SC" if t == "/" else c in "UA"  # stress counts


class _Plan:
    """One form over one vocabulary: templates, rhyme viability and the mask caches."""

    def __init__(self, v: _Vocab, form: Form, n_lines: int, heads: list[str]) -> None:
        self.v = v
        params = form.params
        self.templates: list[str] = []
        self.modes: list[str] = []
        tindex: dict[tuple[str, str], int] = {}

        def tid(t: str, mode: str) -> int:
            if (t, mode) not in tindex:
                tindex[(t, mode)] = len(self.templates)
                self.templates.append(t)
                self.modes.append(mode)
            return tindex[(t, mode)]

        metre, feet = params.get("metre"), int(params.get("feet", 0) or 0)
        stress_spec = params.get("stresses")
        per_line: list[tuple[int, ...]] = []
        for i in range(n_lines):
            rng = _allowed(params.get("syllables"), i)
            if metre and feet:
                if metre not in FEET:
                    raise FabulaError(
                        f"{form.name}: cannot constrain the metre {metre!r} (only {', '.join(FEET)})."
                    )
                per_line.append((tid(FEET[metre] * feet, "metre"),))
            elif stress_spec is not None:
                want = int(stress_spec[i] if isinstance(stress_spec, list) else stress_spec)
                shapes = [
                    "x" * a + "/" + "xx/" * (want - 1) + "x" * b for a in (1, 2, 0) for b in (0, 1)
                ]
                ok = [s for s in shapes if rng is None or rng[0] <= len(s) <= rng[1]]
                if not ok or want < 1:
                    raise FabulaError(
                        f"{form.name}: line {i + 1} wants {want} stresses in {rng} syllables, which no "
                        "anapestic line has; the constraint cannot write it."
                    )
                per_line.append(tuple(tid(s, "stress") for s in ok))
            elif rng is not None:
                per_line.append(tuple(tid("." * n, "free") for n in range(max(rng[0], 1), rng[1] + 1)))
            else:
                lo, hi = FREE_SYLLABLES
                per_line.append(tuple(tid("." * n, "free") for n in range(lo, hi + 1)))
        self.length = [len(t) for t in self.templates]

        # shapes that fit each template at each position
        S = len(v.shape_names)
        self.fits_at: list[list[int]] = []
        for t, mode in zip(self.templates, self.modes, strict=True):
            row = []
            for p in range(len(t) + 1):
                bits = 0
                for s, name in enumerate(v.shape_names):
                    if p + len(name) <= len(t) and all(
                        _fits(mode, t[p + k], c) for k, c in enumerate(name)
                    ):
                        bits |= 1 << s
                row.append(bits)
            self.fits_at.append(row)
        longest = max(self.length + [1]) + 1
        self.len_eq = [sum(1 << s for s in range(S) if v.shape_len[s] == n) for n in range(longest + 1)]
        self.len_le = [sum(1 << s for s in range(S) if v.shape_len[s] <= n) for n in range(longest + 1)]

        # rhyme groups and refrains
        scheme = params.get("rhyme")
        if isinstance(scheme, list):
            scheme = scheme[0]
        scheme = re.sub(r"\s", "", scheme or "")
        group_of: dict[int, tuple[int, str]] = {}
        if scheme:
            for key, members in _groups(scheme, n_lines, bool(params.get("repeat"))).items():
                if len(members) > 1:
                    for m in members:
                        group_of[m] = key
        copy_of: dict[int, int] = {}
        refrain_of: dict[int, int] = {}
        for r, grp in enumerate(params.get("refrains", [])):
            idx = [g - 1 for g in grp if g - 1 < n_lines]
            for g in idx:
                refrain_of[g] = r
            for g in idx[1:]:
                copy_of[g] = idx[0]
        self.lines = [
            _Line(per_line[i], group_of.get(i), heads[i] if heads else None, copy_of.get(i))
            for i in range(n_lines)
        ]
        for i, line in enumerate(self.lines):
            if line.copy_of is not None and heads and heads[i] != heads[line.copy_of]:
                raise FabulaError(
                    f"Line {i + 1} of a {form.name} repeats line {line.copy_of + 1}, so the acrostic "
                    f"needs the same letter there ({heads[line.copy_of]!r}, not {heads[i]!r})."
                )

        # fillers: the gap between the first word and the line's last word
        mid_bits = 0
        for c in v.children[v.MID].values():
            mid_bits |= v.below[c]
        monos = {v.shape_names[s] for s in range(S) if mid_bits >> s & 1 and v.shape_len[s] == 1}
        need = {"metre": [("A", "C")], "stress": [("U", "A"), ("S", "C")], "free": [("A", "C", "S", "U")]}
        for mode in set(self.modes):
            for classes in need[mode]:
                if not monos & set(classes):
                    raise FabulaError(
                        f"The word list has no {'/'.join(classes)} monosyllable to fill a {form.name} line; "
                        "use a larger word list."
                    )
        # the shortest first word of each line (with its acrostic letter) per template
        start_bits: dict[str | None, int] = {}
        for c in v.children[v.START].values():
            start_bits[None] = start_bits.get(None, 0) | v.below[c]
            letter = v.letter[c].upper()
            start_bits[letter] = start_bits.get(letter, 0) | v.below[c]
        self.hmin: list[dict[int, int]] = []
        for i, line in enumerate(self.lines):
            bits = start_bits.get(line.head, 0)
            mins = {}
            for t in line.templates:
                ok = bits & self.fits_at[t][0]
                mins[t] = min((v.shape_len[s] for s in range(S) if ok >> s & 1), default=INF)
            if line.copy_of is None and all(m >= INF for m in mins.values()):
                what = f"starting with {line.head!r} " if line.head else ""
                raise FabulaError(
                    f"No word {what}in the word list can begin line {i + 1} of a {form.name}; "
                    "choose other acrostic letters or a larger word list."
                )
            self.hmin.append(mins)

        # rhyme viability: parts with enough distinct words able to end every line of the group
        members: dict[tuple[int, str], list[int]] = {}
        for i, line in enumerate(self.lines):
            if line.group is not None:
                members.setdefault(line.group, []).append(i)
        self.viable: dict[tuple[int, str], frozenset[str]] = {}
        for g, idx in members.items():
            distinct = len({refrain_of.get(i, ("line", i)) for i in idx})
            counts: dict[str, int] | None = None
            for i in idx:
                line = self.lines[i]
                enders = [k for k in v.enders if self._can_end(line, i, v.shapes[k])]
                c: dict[str, int] = {}
                for k in enders:
                    for p in v.parts[k]:
                        c[p] = c.get(p, 0) + 1
                counts = c if counts is None else {p: min(n, c.get(p, 0)) for p, n in counts.items()}
            self.viable[g] = frozenset(p for p, n in (counts or {}).items() if n >= distinct)
            if not self.viable[g]:
                raise FabulaError(
                    f"No rhyme has {distinct} distinct words in the word list to end lines "
                    f"{', '.join(str(i + 1) for i in idx)} of a {form.name}; use a larger word list."
                )
        self.ends: list[tuple[frozenset[int], dict[int, int], int]] = []
        self.ends_index: dict[tuple, int] = {}
        self.minends: dict[tuple[int, int], int] = {}
        self.masks: dict[tuple, torch.Tensor] = {}
        self.nl = v.mask(v.newline)
        self.punct = v.mask(v.punct)

    def trim(self) -> None:
        """Bound the caches between generations (a server writes poem after poem): about 64 MB of
        masks, and line-ending sets (each later line of a rhyme makes one per alternative)."""
        if len(self.masks) * self.v.size > MASK_BYTES:
            self.masks.clear()
        if len(self.ends) > MAX_ENDS:  # ending ids of live alternatives would go stale: only here
            self.ends, self.ends_index, self.minends = [], {}, {}
            self.masks.clear()

    def _can_end(self, line: _Line, i: int, sid: int) -> bool:
        n = self.v.shape_len[sid]
        for t in line.templates:
            L = self.length[t]
            if n <= L - min(self.hmin[i][t], L) and self.fits_at[t][L - n] >> sid & 1:
                return True
        return False

    # -- line endings ----------------------------------------------------------------------------

    def ends_key(self, parts: frozenset[str] | None, used: frozenset[str], group: tuple | None) -> int:
        """The id of the set of words that may end a line (never a `WEAK` word)."""
        key = (group, parts, used)
        found = self.ends_index.get(key)
        if found is not None:
            return found
        v = self.v
        if group is None:
            words = set(v.enders)
        else:
            allowed = self.viable[group] if parts is None else parts
            words = {k for p in allowed for k in v.by_part.get(p, ())} & v.enders
            words -= {v.index[w] for w in used if w in v.index}
        below: dict[int, int] = {}
        bits = 0
        for k in words:
            b = 1 << v.shapes[k]
            bits |= b
            for n in v.paths[k]:
                below[n] = below.get(n, 0) | b
        self.ends.append((frozenset(words), below, bits))
        self.ends_index[key] = len(self.ends) - 1
        return len(self.ends) - 1

    def minend(self, t: int, ekey: int) -> int:
        found = self.minends.get((t, ekey))
        if found is None:
            bits = self.ends[ekey][2]
            L = self.length[t]
            found = INF
            for s, n in enumerate(self.v.shape_len):
                if bits >> s & 1 and n <= L and self.fits_at[t][L - n] >> s & 1:
                    found = min(found, n)
            self.minends[(t, ekey)] = found
        return found

    def is_end(self, word: int, ekey: int) -> bool:
        return word in self.ends[ekey][0]

    # -- masks -----------------------------------------------------------------------------------

    def place(self, word: int, p: int, T: frozenset[int]) -> tuple[int, frozenset[int]]:
        bit = 1 << self.v.shapes[word]
        return p + self.v.shape_len[self.v.shapes[word]], frozenset(t for t in T if self.fits_at[t][p] & bit)

    def after_word(
        self, word: int, p: int, T: frozenset[int], ekey: int
    ) -> tuple[int, frozenset[int], bool, bool]:
        """Where a completed word leaves the line: (position, templates, may go on, may end)."""
        p2, Tw = self.place(word, p, T)
        go_on = any(self.length[t] - p2 >= self.minend(t, ekey) for t in Tw)
        end = self.is_end(word, ekey) and any(self.length[t] == p2 for t in Tw)
        return p2, Tw, go_on, end

    def node_mask(
        self, node: int, p: int, T: frozenset[int], ekey: int, head: str | None, marks: bool = True
    ) -> torch.Tensor:
        """Tokens allowed inside a word at `node` (`marks`: punctuation may follow it)."""
        key = (node, p, T, ekey, head if node == self.v.START else None, marks)
        found = self.masks.get(key)
        if found is not None:
            return found
        v = self.v
        nonfinal = final = 0
        for t in T:
            L = self.length[t]
            room = L - p - self.minend(t, ekey)
            if room >= 1:
                nonfinal |= self.fits_at[t][p] & self.len_le[min(room, len(self.len_le) - 1)]
            if L - p >= 1:
                final |= self.fits_at[t][p] & self.len_eq[L - p]
        below, ebelow = v.below, self.ends[ekey][1]
        check_head = head is not None and node == v.START
        ids = [
            tok
            for tok, c in v.children[node].items()
            if (below[c] & nonfinal or ebelow.get(c, 0) & final)
            and (not check_head or v.letter[c].upper() == head)
        ]
        mask = v.mask(ids)
        w = v.word_at[node]
        if w >= 0:
            p2, Tw, go_on, end = self.after_word(w, p, T, ekey)
            if go_on:
                mask = mask | self.node_mask(v.MID, p2, Tw, ekey, None)
            if end:
                mask = mask | self.nl
            if (go_on or end) and marks and w in v.enders:
                mask = mask | self.punct
        self.masks[key] = mask
        return mask

    def after_mask(
        self, p: int, T: frozenset[int], ekey: int, go_on: bool, end: bool, cap: bool
    ) -> torch.Tensor:
        """Tokens allowed after a punctuation mark."""
        key = ("after", p, T, ekey, go_on, end, cap)
        found = self.masks.get(key)
        if found is None:
            found = torch.zeros(self.v.size, dtype=torch.bool)
            if go_on:
                found = found | self.node_mask(self.v.CAP if cap else self.v.MID, p, T, ekey, None)
            if end:
                found = found | self.nl
            self.masks[key] = found
        return found


# -- the constraint -----------------------------------------------------------------------------


@dataclass
class _State:
    """Where one alternative is in the poem."""

    line: int = 0
    phase: str = "start"  # start | word | after (a punctuation mark) | forced (a refrain) | done
    p: int = 0  # syllables of the complete words of the line
    T: frozenset[int] = frozenset()
    node: int = 0
    ekey: int = 0
    go_on: bool = False
    end: bool = False
    cap: bool = False  # after a sentence-ending mark
    marks: int = 0  # punctuation marks in the line
    last: int = -1  # the line's last complete word
    tokens: list[int] = field(default_factory=list)  # the current line's tokens
    forced: list[int] = field(default_factory=list)
    lines: list[list[int]] = field(default_factory=list)  # tokens of finished lines
    last_words: list[int] = field(default_factory=list)
    parts: dict = field(default_factory=dict)  # rhyme group -> candidate rhyming parts
    used: dict = field(default_factory=dict)  # rhyme group -> words used
    consumed: int = 0


class VerseConstraint(Constraint):
    """Masks decoding so every alternative passes the `en-verse` checker (see the module doc)."""

    def __init__(
        self,
        form: Form | str,
        lines: int | None = None,
        heads: str | None = None,
        words: list[str] | tuple[str, ...] | None = None,
    ) -> None:
        self.form = get_form(form) if isinstance(form, str) else form
        if self.form.checker != "en-verse":
            raise FabulaError(f"{self.form.name} is not an English verse form (checker en-verse).")
        params = self.form.params
        self.heads = [c.upper() for c in heads or "" if c.isalpha()]
        fixed = params.get("lines")
        scheme = params.get("rhyme")
        if isinstance(scheme, list):
            scheme = scheme[0]
        size = len(re.sub(r"\s", "", scheme or ""))
        if fixed is not None:
            if lines is not None and int(lines) != int(fixed):
                raise FabulaError(f"A {self.form.name} has {fixed} lines, not {lines}.")
            n = int(fixed)
        elif lines is not None:
            n = int(lines)
        elif self.heads:
            n = len(self.heads)
        else:
            n = size or DEFAULT_LINES.get(self.form.name, 8)
        if n < 1:
            raise FabulaError("A poem needs at least one line.")
        if params.get("repeat") and size and n % size:
            raise FabulaError(
                f"A {self.form.name} is written in units of {size} lines ({scheme}); "
                f"ask for a multiple of {size}, not {n}."
            )
        if self.heads and len(self.heads) != n:
            raise FabulaError(
                f"The acrostic {''.join(self.heads)} has {len(self.heads)} letters; the poem has {n} lines."
            )
        self.n_lines = n
        self.words = tuple(words) if words is not None else None
        self.states: dict[int, _State] = {}

    def begin(self, tokenizer: Tokenizer, n: int) -> None:
        super().begin(tokenizer, n)
        self.vocab = v = _vocab(tokenizer, self.words)
        key = (self.form.name, tuple(sorted((k, repr(x)) for k, x in self.form.params.items())), self.n_lines,
               tuple(self.heads))
        plan = v.plans.get(key)
        if plan is None:
            plan = v.plans[key] = _Plan(v, self.form, self.n_lines, self.heads)
        self.plan = plan
        plan.trim()
        self.eos = v.mask(v.eos_ids) if v.eos_ids else plan.nl
        self.states = {}
        for r in range(n):
            s = _State()
            self._start_line(s)
            self.states[r] = s

    # -- per step --------------------------------------------------------------------------------

    def adjust(self, logits: torch.Tensor, rows: list[int], generated: list[list[int]]) -> torch.Tensor:
        width = logits.shape[-1]
        allowed = torch.zeros(len(rows), width, dtype=torch.bool)
        for k, (r, ids) in enumerate(zip(rows, generated, strict=True)):
            state = self.states[r]
            for tid in ids[state.consumed :]:
                self._advance(state, tid)
            state.consumed = len(ids)
            mask = self._allowed(state)
            if not bool(mask[:width].any()):  # the lookahead makes this impossible: a bug if it happens
                raise RuntimeError(
                    f"VerseConstraint: no token is allowed in line {state.line + 1} of a {self.form.name} "
                    f"(phase {state.phase}, syllable {state.p})"
                )
            allowed[k, : min(width, mask.shape[0])] = mask[:width]
        return logits.masked_fill(~allowed, float("-inf"))

    def is_complete(self, row: int, generated: list[int]) -> bool:
        state = self.states.get(row)
        if state is None:
            return False
        for tid in generated[state.consumed :]:
            self._advance(state, tid)
        state.consumed = len(generated)
        return state.phase == "done"

    # -- the state machine -----------------------------------------------------------------------

    def _allowed(self, s: _State) -> torch.Tensor:
        plan, v = self.plan, self.vocab
        if s.phase == "done":
            return self.eos
        if s.phase == "forced":
            return v.mask([s.forced[len(s.tokens)]])
        if s.phase == "after":
            return plan.after_mask(s.p, s.T, s.ekey, s.go_on, s.end, s.cap)
        head = plan.lines[s.line].head
        return plan.node_mask(s.node, s.p, s.T, s.ekey, head, s.marks < MAX_MARKS)

    def _start_line(self, s: _State) -> None:
        plan = self.plan
        if s.line == self.n_lines:
            s.phase = "done"
            return
        line = plan.lines[s.line]
        s.tokens = []
        if line.copy_of is not None:
            s.phase = "forced"
            s.forced = s.lines[line.copy_of]
            return
        s.phase, s.p, s.T, s.node, s.last = "start", 0, frozenset(line.templates), self.vocab.START, -1
        s.marks = 0
        g = line.group
        s.ekey = plan.ends_key(s.parts.get(g), frozenset(s.used.get(g, ())), g)

    def _advance(self, s: _State, tid: int) -> None:
        v, plan = self.vocab, self.plan
        if s.phase == "done":
            return
        s.tokens.append(tid)
        if s.phase == "forced":
            if len(s.tokens) == len(s.forced):
                self._end_line(s, s.last_words[plan.lines[s.line].copy_of])
            return
        if s.phase in ("start", "word"):
            child = v.children[s.node].get(tid)
            if child is not None:
                s.node, s.phase = child, "word"
                return
            w = v.word_at[s.node]
            s.p, s.T, s.go_on, s.end = plan.after_word(w, s.p, s.T, s.ekey)
            s.last = w
        # a boundary after a complete word
        if tid in v.newline:
            self._end_line(s, s.last)
        elif s.phase == "word" and tid in v.punct:
            s.phase, s.cap = "after", tid in v.stops
            s.marks += 1
        else:
            child = v.children[v.CAP if s.phase == "after" and s.cap else v.MID].get(tid)
            if child is None:  # only a token the mask allowed reaches here
                raise RuntimeError(f"VerseConstraint: token {tid} was not allowed")
            s.node, s.phase = child, "word"

    def _end_line(self, s: _State, word: int) -> None:
        line = self.plan.lines[s.line]
        g = line.group
        if g is not None:
            mine = self.vocab.parts[word]
            before = s.parts.get(g)
            s.parts[g] = (self.plan.viable[g] if before is None else before) & mine
            s.used.setdefault(g, set()).add(self.vocab.words[word])
        s.lines.append(list(s.tokens))
        s.last_words.append(word)
        s.line += 1
        self._start_line(s)
