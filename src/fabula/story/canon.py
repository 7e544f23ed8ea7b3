"""The canon: what is true in the story, scene by scene, and how it changes.

A `Fact` says one thing about one character (or place) — Mara's eyes are green, Tomas is dead,
Ilse is Mara's sister — and remembers the scene where it became true (`scene_id`, and
`scene_order`, the scene's place in story order), the sentence it came from, where it came from
(`source`: "extracted" by the rules below, "model" answered by a chat model, "written" by the
writer or the bible) and whether the writer has accepted it (`status`).

The `Canon` keeps every version: `state_at(order)` is the latest accepted fact of each
(subject, relation) at or before that story order, so a character who dies in chapter 9 is dead
from chapter 9 on and alive in chapter 3. New facts are never applied directly: `propose` turns
them into a `CanonDiff` (added / changed old -> new / unchanged / removed) that the writer reads
and accepts or rejects, whole or by fact id.

`extract_facts` reads text with the English spaCy pipeline (entities and the dependency parse),
resolving mentions through the bible's names and aliases, and "she"/"his" to the one character
they can mean. It is rule-based and precise rather than exhaustive; the rules and their limits are
in docs/story-continuity.md.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

from fabula.errors import FabulaError
from fabula.story.bible import Bible
from fabula.story.nlp import nlp, parse

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

    from fabula.backends.base import Backend

__all__ = [
    "BIBLE_ORDER", "KIN", "RELATIONS", "SOURCES", "STATUSES", "Canon", "CanonDiff", "CanonError", "Cast",
    "DiffLine", "Fact", "Finding", "Mentions", "ask_model", "bible_facts", "canonical_value", "compatible",
    "doers", "extract_facts", "extract_findings", "is_perfect", "is_unreal", "parse_model_facts",
    "place_phrase", "resolve_character",
]

# -- the vocabulary --------------------------------------------------------------------------------

#: Every relation a fact may have, with what its value is. `relation:<kind>` takes a kind from KIN.
RELATIONS: dict[str, str] = {
    "alive": '"yes" or "no"',
    "eye_colour": "a colour from EYE_COLOURS",
    "hair_colour": "a colour from HAIR_COLOURS",
    "age": "whole years, as digits",
    "location": "a bible place's name, or a common place noun (kitchen, harbour)",
    "occupation": "an occupation noun from OCCUPATIONS",
    "name": "another name the character goes by (the bible's names are facts too)",
    "relation:<kind>": "the other character's name: the subject is that character's <kind>",
}
SOURCES = ("extracted", "model", "written")
STATUSES = ("proposed", "accepted", "rejected")
BIBLE_ORDER = -1  # the bible is true before the first scene
BIBLE_SCENE = "bible"

# Words -> the canonical colour they name; a writer's "auburn" is not a contradiction of "red".
EYE_COLOURS = {
    "blue": "blue", "green": "green", "brown": "brown", "hazel": "hazel", "grey": "grey", "gray": "grey",
    "silver": "grey", "amber": "amber", "golden": "amber", "gold": "amber", "black": "black",
    "violet": "violet", "dark": "dark",
}
HAIR_COLOURS = {
    "red": "red", "ginger": "red", "auburn": "red", "copper": "red", "russet": "red",
    "blonde": "blonde", "blond": "blonde", "golden": "blonde", "gold": "blonde", "fair": "blonde",
    "flaxen": "blonde", "yellow": "blonde", "brown": "brown", "chestnut": "brown", "brunette": "brown",
    "black": "black", "raven": "black", "grey": "grey", "gray": "grey", "silver": "grey",
    "white": "white", "dark": "dark",
}
# Vague colours that agree with more than one precise one.
_NEAR = {
    "eye_colour": {frozenset({"dark", "brown"}), frozenset({"dark", "black"}), frozenset({"hazel", "green"}),
                   frozenset({"hazel", "brown"}), frozenset({"brown", "amber"})},
    "hair_colour": {frozenset({"dark", "black"}), frozenset({"dark", "brown"}), frozenset({"grey", "white"})},
}
EYE_NOUNS = {"eye"}
HAIR_NOUNS = {"hair", "curl", "lock", "braid", "plait", "mane"}

# kin word -> (family group, the group of the inverse relation); None for non-family ties.
KIN: dict[str, tuple[str, str] | None] = {
    "sister": ("sibling", "sibling"), "brother": ("sibling", "sibling"),
    "mother": ("parent", "child"), "father": ("parent", "child"),
    "daughter": ("child", "parent"), "son": ("child", "parent"),
    "wife": ("spouse", "spouse"), "husband": ("spouse", "spouse"),
    "cousin": ("cousin", "cousin"),
    "aunt": ("aunt-uncle", "niece-nephew"), "uncle": ("aunt-uncle", "niece-nephew"),
    "niece": ("niece-nephew", "aunt-uncle"), "nephew": ("niece-nephew", "aunt-uncle"),
    "grandmother": ("grandparent", "grandchild"), "grandfather": ("grandparent", "grandchild"),
    "granddaughter": ("grandchild", "grandparent"), "grandson": ("grandchild", "grandparent"),
    "friend": None, "rival": None, "mentor": None, "apprentice": None, "servant": None,
    "master": None, "fiancee": None, "fiance": None, "lover": None, "enemy": None,
}
_KIN_WORDS = {"mum": "mother", "mom": "mother", "mama": "mother", "dad": "father", "papa": "father",
              "fiancée": "fiancee", "fiancé": "fiance"}
FEMALE_KIN = {"sister", "mother", "daughter", "wife", "aunt", "niece", "grandmother", "granddaughter", "fiancee"}
MALE_KIN = {"brother", "father", "son", "husband", "uncle", "nephew", "grandfather", "grandson", "fiance"}

OCCUPATIONS = {
    "blacksmith", "smith", "baker", "butcher", "farmer", "fisherman", "sailor", "captain", "soldier",
    "guard", "knight", "priest", "priestess", "nun", "monk", "doctor", "nurse", "healer", "surgeon",
    "lawyer", "judge", "teacher", "scholar", "librarian", "clerk", "merchant", "trader", "shopkeeper",
    "innkeeper", "barmaid", "cook", "maid", "butler", "gardener", "carpenter", "mason", "weaver",
    "tailor", "seamstress", "miller", "hunter", "thief", "spy", "detective", "inspector", "constable",
    "policeman", "journalist", "writer", "poet", "painter", "musician", "singer", "actor", "actress",
    "dancer", "engineer", "pilot", "mechanic", "chemist", "apothecary", "alchemist", "witch", "wizard",
    "sorcerer", "mage", "courier", "messenger", "ferryman", "shepherd", "miner", "banker", "printer",
    "potter", "jeweller", "scribe", "mapmaker", "cartographer", "midwife", "governess", "professor",
    "student", "apprentice", "smuggler", "pirate", "mercenary", "lighthouse-keeper", "keeper", "porter",
    "sergeant", "corporal", "lieutenant", "colonel", "commander", "vicar", "landlord", "landlady",
}
PLACE_NOUNS = {
    "kitchen", "garden", "library", "harbour", "harbor", "hall", "tavern", "inn", "market", "church",
    "chapel", "forest", "wood", "woods", "cellar", "attic", "tower", "bridge", "station", "office",
    "house", "room", "street", "square", "castle", "palace", "village", "town", "city", "courtyard",
    "stable", "stables", "barn", "shop", "school", "hospital", "beach", "shore", "dock", "docks", "port",
    "temple", "camp", "cave", "mill", "farm", "field", "study", "bedroom", "parlour", "parlor", "ballroom",
    "chamber", "dungeon", "prison", "cottage", "lighthouse", "workshop", "forge", "bakery", "quay",
    "pier", "graveyard", "cemetery", "orchard", "meadow", "hill", "valley", "river", "lake", "abbey",
    "monastery", "museum", "theatre", "theater", "cafe", "restaurant", "hotel", "pub", "bar", "train",
    "ship", "boat", "deck", "cabin", "yard", "alley", "lane", "road", "gate", "wharf", "warehouse",
    "laboratory", "lab", "classroom", "corridor", "hallway", "landing", "porch", "balcony", "roof",
    "wall", "walls", "gatehouse", "rampart", "galley", "airlock", "bay", "cockpit", "hangar", "ward",
}

_FEMALE_WORDS = {"woman", "girl", "lady", "queen", "princess", "widow", "actress", "priestess", "nun",
                 "seamstress", "maid", "governess", "midwife", "witch", "duchess", "countess", *FEMALE_KIN}
_MALE_WORDS = {"man", "boy", "king", "prince", "lord", "widower", "actor", "priest", "monk", "duke",
               "count", "sir", "fisherman", "policeman", "ferryman", *MALE_KIN}
_TITLES = {"mr", "mrs", "ms", "miss", "dr", "doctor", "captain", "lady", "lord", "sir", "madam", "master",
           "mistress", "father", "mother", "sister", "brother", "aunt", "uncle", "old", "young", "saint",
           "professor", "inspector", "king", "queen", "prince", "princess", "the"}

# Words that make a clause unreal: it is wished, feared, denied or only nearly so.
_MODALS = {"would", "could", "might", "may", "will", "shall", "must", "should", "can", "'d", "'ll", "ca", "wo"}
_NEGATIONS = {"not", "n't", "never", "no"}
_HEDGES = {"nearly", "almost", "barely", "hardly"}
_IRREALIS = {"want", "hope", "fear", "try", "plan", "wish", "threaten", "pretend", "imagine", "dream",
             "plot", "prevent", "avert", "predict", "foresee", "risk", "escape", "avoid", "fake", "stage",
             "refuse", "expect", "intend", "worry", "doubt", "deny", "rumour", "rumor", "suppose", "believe"}
_CONDITIONS = {"if", "unless", "whether", "lest"}
_NOT_YET = {"before", "until", "till", "lest"}  # "sit down before you drown": a death that may not happen
_PAST_CLAUSE = {"when", "since", "until", "before", "after", "once", "while", "as"}

_DIE = {"die", "perish", "drown", "starve", "suffocate"}
_KILL = {"kill", "murder", "slay", "execute", "assassinate", "behead", "slaughter", "strangle"}
_MOURN = {"mourn", "grieve"}
_SPEECH = {"say", "tell", "claim", "insist", "swear", "report", "whisper", "write", "announce", "shout"}
_DEATH_NOUNS = {"death", "funeral", "grave", "corpse", "murder", "burial", "tomb", "killing", "wake"}
_MOVE = {"walk", "go", "come", "run", "step", "hurry", "rush", "stride", "stroll", "wander", "slip",
         "climb", "return", "head", "march", "ride", "drive", "sail", "fly", "limp", "stumble", "creep",
         "sneak", "burst", "move", "arrive", "get", "travel", "race", "dash", "storm"}
_STAY = {"be", "sit", "stand", "wait", "sleep", "stay", "hide", "remain", "lie", "linger", "kneel", "work",
         "eat", "dine", "read", "pace", "rest", "live", "lodge", "shelter", "perch", "crouch"}
_MOVE_PREPS = {"into", "to", "in", "inside", "onto", "at"}
_STAY_PREPS = {"in", "at", "inside", "on", "aboard"}
_REACH = {"enter", "reach", "visit"}
_CHANGE = {"dye", "bleach", "colour", "color", "turn", "become", "go", "cut", "shave", "change"}
_NUMBERS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen".split())}
_TENS = {w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}


class CanonError(FabulaError):
    """A fact or canon that cannot be read or used: the message says what to fix."""


# -- facts -----------------------------------------------------------------------------------------


@dataclass
class Fact:
    subject: str  # a character's (or place's) canonical name
    relation: str  # from RELATIONS
    value: str
    scene_id: str  # the scene where it became true ("bible" for the bible)
    scene_order: int  # that scene's place in story order
    evidence: str = ""  # the sentence it came from
    source: str = "extracted"  # "extracted" | "model" | "written"
    status: str = "proposed"  # "proposed" | "accepted" | "rejected"

    def __post_init__(self) -> None:
        if not valid_relation(self.relation):
            raise CanonError(
                f"Unknown fact relation {self.relation!r}: use one of {', '.join(RELATIONS)} "
                f"(kinds: {', '.join(sorted(KIN))})."
            )
        if self.source not in SOURCES:
            raise CanonError(f"Unknown fact source {self.source!r}: use one of {', '.join(SOURCES)}.")
        if self.status not in STATUSES:
            raise CanonError(f"Unknown fact status {self.status!r}: use one of {', '.join(STATUSES)}.")
        if not self.subject.strip() or not str(self.value).strip():
            raise CanonError(f"A fact needs a subject and a value (got {self.subject!r}, {self.value!r}).")

    @property
    def key(self) -> tuple[str, str]:
        return (self.subject, self.relation)


def valid_relation(relation: str) -> bool:
    if relation.startswith("relation:"):
        return relation.removeprefix("relation:") in KIN
    return relation in RELATIONS


def canonical_value(relation: str, value: str) -> str | None:
    """`value` in the vocabulary's spelling, or None if it is not a value of `relation`."""
    v = value.strip().lower()
    if relation == "eye_colour":
        return EYE_COLOURS.get(v)
    if relation == "hair_colour":
        return HAIR_COLOURS.get(v)
    if relation == "alive":
        return {"yes": "yes", "no": "no", "true": "yes", "false": "no", "alive": "yes", "dead": "no"}.get(v)
    if relation == "age":
        n = _parse_number(v.removesuffix(" years old").removesuffix(" years"))
        return str(n) if n is not None and 0 <= n < 200 else None
    if relation == "occupation":
        return v if v in OCCUPATIONS else None
    return value.strip() or None


def compatible(relation: str, a: str, b: str) -> bool:
    """True when two values of `relation` can both be true (the same, or vague enough to agree)."""
    if relation in ("location", "name") or relation.startswith("relation:"):
        return _norm_place(a) == _norm_place(b)
    if a.lower() == b.lower():
        return True
    return frozenset({a.lower(), b.lower()}) in _NEAR.get(relation, set())


def place_phrase(value: str) -> str:
    """A location value as a noun phrase: 'kitchen' -> 'the kitchen'; 'the lighthouse' and names as they are."""
    return value if value[:1].isupper() or _norm_place(value) != value.strip().lower() else f"the {value}"


def _norm_place(text: str) -> str:
    return re.sub(r"^(the|a|an)\s+", "", text.strip().lower())


@dataclass(frozen=True)
class Finding:
    """A fact as found in text, with what the sentence says about it beyond the fact."""

    fact: Fact
    sentence: int  # index of the sentence in the text
    change: bool = False  # the sentence changes the value on purpose ("dyed her hair black", "turned ten")
    mode: str = "state"  # alive facts: "event" (dies here), "reference" (an earlier death), "state"


# -- the bible's facts -----------------------------------------------------------------------------


def bible_facts(bible: Bible) -> list[Fact]:
    """What the bible says, as accepted "written" facts before the first scene."""
    out = []

    def add(subject: str, relation: str, value: str, evidence: str) -> None:
        out.append(Fact(subject, relation, value, BIBLE_SCENE, BIBLE_ORDER, evidence, "written", "accepted"))

    for c in bible.characters:
        for name in c.names():
            add(c.name, "name", name, f"{c.name} in the bible")
        for trait in c.traits:
            for relation, value in _trait_facts(trait):
                add(c.name, relation, value, f"{c.name}: {trait}")
        for other, kind in c.relationships.items():
            k = _kin(kind)
            if k is not None:
                try:
                    add(c.name, f"relation:{k}", bible.character(other).name, f"{c.name}: {kind} of {other}")
                except FabulaError:
                    pass  # a relationship to someone outside the cast says nothing the canon can check
    return out


def _trait_facts(trait: str) -> Iterator[tuple[str, str]]:
    t = trait.lower()
    for word, colour in EYE_COLOURS.items():
        if re.search(rf"\b{word}[- ]eye[ds]?\b", t):
            yield "eye_colour", colour
            break
    for word, colour in HAIR_COLOURS.items():
        if re.search(rf"\b{word}[- ](hair|haired)\b", t):
            yield "hair_colour", colour
            break
    m = re.search(r"\b(\d+|[a-z]+(?:-[a-z]+)?)[- ]years?[- ]old\b|\baged? (\d+|[a-z]+(?:-[a-z]+)?)\b", t)
    if m:
        n = _parse_number(m.group(1) or m.group(2))
        if n is not None:
            yield "age", str(n)
    for word in re.findall(r"[a-z-]+", t):
        if word in OCCUPATIONS:
            yield "occupation", word
            break


def _kin(word: str) -> str | None:
    w = word.strip().lower()
    w = _KIN_WORDS.get(w, w)
    return w if w in KIN else None


# -- reading text: who is mentioned where ----------------------------------------------------------


@dataclass
class Cast:
    """The bible's names as token sequences, and each character's pronouns where known."""

    names: dict[tuple[str, ...], str]  # token texts -> canonical name
    gender: dict[str, str]  # canonical name -> "f" | "m"
    longest: int = 1

    @classmethod
    def of(cls, bible: Bible, extra_names: Mapping[str, str] | None = None) -> Cast:
        tokenizer = nlp().tokenizer
        names: dict[tuple[str, ...], str] = {}
        singles: Counter[str] = Counter()
        for c in bible.characters:
            for name in c.names():
                names[tuple(t.text for t in tokenizer(name))] = c.name
            for part in {p for n in c.names() for p in n.split() if len(n.split()) > 1}:
                singles[part] += 1
        for c in bible.characters:  # a lone first or last name of a longer name, when only one has it
            for name in c.names():
                for part in name.split() if len(name.split()) > 1 else ():
                    if singles[part] == 1 and part.lower() not in _TITLES and part[:1].isupper():
                        names.setdefault((part,), c.name)
        for alias, canonical in (extra_names or {}).items():
            names.setdefault(tuple(t.text for t in tokenizer(alias)), canonical)
        gender = {}
        for c in bible.characters:
            words = {_kin(k) or k.lower() for k in c.relationships.values()}
            words |= {w for t in c.traits for w in re.findall(r"[a-z]+", t.lower())}
            words |= set(re.findall(r"[a-z]+", c.role.lower()))
            f, m = bool(words & _FEMALE_WORDS), bool(words & _MALE_WORDS)
            if f != m:
                gender[c.name] = "f" if f else "m"
        return cls(names, gender, max((len(k) for k in names), default=1))


_PRONOUNS = {"she": "f", "her": "f", "hers": "f", "herself": "f", "he": "m", "him": "m", "his": "m",
             "himself": "m"}


class Mentions:
    """Which tokens of a parsed text name which character: bible names, and pronouns where unambiguous.

    A pronoun resolves to a character mentioned earlier in its sentence, else in the sentence before,
    when exactly one of them can be meant (genders come from the bible, else from the text itself).
    """

    def __init__(self, doc: Doc, cast: Cast) -> None:
        self.doc = doc
        self.names: dict[int, str] = {}
        self.pronouns: dict[int, str] = {}
        self._match(cast)
        gender = {**self._votes(), **cast.gender}
        self._resolve(gender)

    def who(self, token: Token | None) -> str | None:
        if token is None:
            return None
        return self.names.get(token.i) or self.pronouns.get(token.i)

    def named(self, token: Token) -> str | None:
        return self.names.get(token.i)

    def in_span(self, span: Span) -> list[str]:
        return list(dict.fromkeys(n for t in span if (n := self.who(t))))

    def _match(self, cast: Cast) -> None:
        doc, i = self.doc, 0
        while i < len(doc):
            for size in range(min(cast.longest, len(doc) - i), 0, -1):
                key = tuple(t.text for t in doc[i : i + size])
                if key in cast.names:
                    for j in range(i, i + size):
                        self.names[j] = cast.names[key]
                    i += size
                    break
            else:
                i += 1

    def _votes(self) -> dict[str, str]:
        """Genders the text shows: a sentence naming one character and using one gender's pronouns."""
        votes: dict[str, Counter[str]] = {}
        for sent in self.doc.sents:
            named = {self.names[t.i] for t in sent if t.i in self.names}
            seen = {_PRONOUNS[t.lower_] for t in sent if t.lower_ in _PRONOUNS and t.pos_ == "PRON"}
            if len(named) == 1 and len(seen) == 1:
                votes.setdefault(named.pop(), Counter())[seen.pop()] += 1
        out = {}
        for name, c in votes.items():
            (top, n), *rest = c.most_common() + [("", 0)]
            if n > rest[0][1]:
                out[name] = top
        return out

    def _resolve(self, gender: dict[str, str]) -> None:
        before: list[str] = []
        for sent in self.doc.sents:
            here: list[str] = []
            for t in sent:
                if t.i in self.names:
                    here.append(self.names[t.i])
                elif t.lower_ in _PRONOUNS and t.pos_ == "PRON":
                    g = _PRONOUNS[t.lower_]
                    pool = here or before
                    fits = list(dict.fromkeys(n for n in pool if gender.get(n, g) == g))
                    if len(fits) == 1:
                        self.pronouns[t.i] = fits[0]
                        here.append(fits[0])
            if here:
                before = here


# -- reading text: the rules -----------------------------------------------------------------------


def extract_findings(
    text: str | Doc, scene_id: str, scene_order: int, bible: Bible, extra_names: Mapping[str, str] | None = None
) -> list[Finding]:
    """Every fact the rules find in `text`, in text order, with each sentence's change/mode flags."""
    doc = parse(text) if isinstance(text, str) else text
    mentions = Mentions(doc, Cast.of(bible, extra_names))
    places = {_norm_place(p.name): p.name for p in bible.places}
    found: list[Finding] = []
    for k, sent in enumerate(doc.sents):
        reader = _Sentence(sent, k, mentions, places, scene_id, scene_order)
        found.extend(reader.findings())
    seen: set[tuple[str, str, str, str]] = set()
    out = []
    for f in found:
        key = (*f.fact.key, f.fact.value, f.mode)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def extract_facts(
    text: str | Doc, scene_id: str, scene_order: int, bible: Bible, extra_names: Mapping[str, str] | None = None
) -> list[Fact]:
    """The facts `text` (a passage or its parsed `Doc`) states, as proposed "extracted" facts of scene
    `scene_id`, in text order. `extra_names` maps names the story adopted (`Canon.names()`) to characters."""
    out: list[Fact] = []
    for f in extract_findings(text, scene_id, scene_order, bible, extra_names):
        if not any(f.fact.key == o.key and f.fact.value == o.value for o in out):
            out.append(f.fact)
    return out


class _Sentence:
    """The rules applied to one sentence."""

    def __init__(self, sent: Span, index: int, mentions: Mentions, places: dict[str, str], scene_id: str,
                 order: int) -> None:
        self.sent, self.index, self.m, self.places = sent, index, mentions, places
        self.scene_id, self.order = scene_id, order
        self.out: list[Finding] = []
        self.evidence = sent.text.strip()

    def add(self, subject: str | None, relation: str, value: str | None, change: bool = False,
            mode: str = "state") -> None:
        if not subject or value is None:
            return
        v = canonical_value(relation, value)
        if v is None:
            return
        fact = Fact(subject, relation, v, self.scene_id, self.order, self.evidence)
        self.out.append(Finding(fact, self.index, change, mode))

    def findings(self) -> list[Finding]:
        if not self.m.in_span(self.sent):
            return []
        for t in self.sent:
            if t.lemma_.lower() in EYE_NOUNS and t.pos_ in ("NOUN", "PROPN"):
                self._colour(t, "eye_colour", EYE_COLOURS)
            elif t.lemma_.lower() in HAIR_NOUNS and t.pos_ in ("NOUN", "PROPN"):
                self._colour(t, "hair_colour", HAIR_COLOURS)
            elif t.lower_ in ("eyed", "haired"):
                self._compound_colour(t)
            if t.pos_ in ("VERB", "AUX"):
                self._verb(t)
            if t.lemma_.lower() in _DEATH_NOUNS and t.pos_ == "NOUN":
                self._death_noun(t)
            if t.lower_ in ("dead", "alive") and t.pos_ == "ADJ":
                self._dead_or_alive(t)
            if t.lower_ == "late" and t.dep_ == "amod" and self.m.named(t.head):
                self.add(self.m.named(t.head), "alive", "no", mode="reference")
            if _kin(t.lemma_) and t.pos_ in ("NOUN", "PROPN"):
                self._kin(t)
            if t.like_num:
                self._age(t)
            if t.lemma_.lower() in OCCUPATIONS and t.pos_ in ("NOUN", "PROPN"):
                self._occupation(t)
        self._names()
        return self.out

    # colours -------------------------------------------------------------------------------------
    def _colour(self, noun: Token, relation: str, colours: dict[str, str]) -> None:
        owner = self._owner(noun)
        if owner is None:
            return
        change = False
        colour = next((c.lower_ for c in noun.children if c.dep_ in ("amod", "compound") and c.lower_ in colours), None)
        if colour is None and noun.dep_ in ("nsubj", "nsubjpass"):
            verb = noun.head
            comp = next((c for c in verb.children if c.dep_ in ("acomp", "attr", "oprd") and c.lower_ in colours), None)
            if comp is not None and not any(c.dep_ == "prep" and c.lower_ in ("with", "from") for c in comp.children):
                colour = comp.lower_
                change = verb.lemma_ in _CHANGE and verb.lemma_ != "be"
            if colour is not None and is_unreal(verb):
                return
        if colour is None and noun.dep_ == "dobj" and noun.head.lemma_ in _CHANGE:  # "dyed her hair black"
            verb = noun.head
            colour = next((c.lower_ for c in verb.children if c.lower_ in colours and c.i > noun.i), None)
            change = colour is not None
        if colour is None:
            return
        self.add(owner, relation, colour, change=change or self._changing(noun))

    def _compound_colour(self, t: Token) -> None:
        """'green-eyed Mara', 'Mara was red-haired'."""
        left = t.doc[t.i - 2] if t.i >= 2 and t.doc[t.i - 1].text == "-" else None
        colours, relation = (EYE_COLOURS, "eye_colour") if t.lower_ == "eyed" else (HAIR_COLOURS, "hair_colour")
        if left is None or left.lower_ not in colours:
            return
        head = t.head
        owner = self.m.who(head) if head.pos_ in ("PROPN", "PRON", "NOUN") else None
        if owner is None and t.dep_ in ("acomp", "attr", "oprd", "conj"):
            owner = self._subject_name(head)
        self.add(owner, relation, left.lower_)

    def _owner(self, noun: Token) -> str | None:
        for c in noun.children:
            if c.dep_ == "poss":
                if c.lower_ == "whose" and noun.head.dep_ == "relcl":
                    return self.m.who(noun.head.head)
                return self.m.who(c)
            if c.dep_ == "prep" and c.lower_ == "of":
                obj = next((g for g in c.children if g.dep_ == "pobj"), None)
                if self.m.who(obj):
                    return self.m.who(obj)
        if noun.dep_ == "conj" and noun.head.pos_ in ("NOUN", "PROPN"):
            return self._owner(noun.head)
        if noun.dep_ == "dobj" and noun.head.lemma_ == "have":
            return self._subject_name(noun.head)
        return None

    def _changing(self, noun: Token) -> bool:
        head = noun.head
        return head.pos_ == "VERB" and head.lemma_ in _CHANGE and head.lemma_ not in ("go", "turn")

    # verbs: deaths, places, names, ages --------------------------------------------------------
    def _verb(self, verb: Token) -> None:
        lemma = verb.lemma_.lower()
        subjects = self._subjects(verb)
        passive = any(c.dep_ in ("nsubjpass", "auxpass") for c in verb.children)
        if any(c.dep_ == "mark" and c.lower_ in _NOT_YET for c in verb.children):
            return
        # a death a character reports ("was killed, the smugglers said") or the narration looks back on
        mode = "reference" if is_perfect(verb) or _reported(verb) else "event"
        if lemma in _DIE and not passive:
            for s in subjects:
                if not is_unreal(verb) and not _progressive(verb):
                    self.add(s, "alive", "no", mode=mode)
        if lemma in _KILL:
            victims = subjects if passive else [n for c in verb.children if c.dep_ == "dobj" and (n := self.m.named(c))]
            if not is_unreal(verb) and not _progressive(verb):
                for v in victims:
                    self.add(v, "alive", "no", mode=mode)
        if lemma in _MOURN and not is_unreal(verb):  # "mourned Tomas", "grieving for Tomas"
            for c in verb.children:
                obj = c if c.dep_ == "dobj" else next((g for g in c.children if g.dep_ == "pobj"), None) \
                    if c.dep_ == "prep" and c.lower_ in ("for", "over") else None
                if obj is not None and self.m.named(obj):
                    self.add(self.m.named(obj), "alive", "no", mode="reference")
        if lemma in _MOVE | _STAY | _REACH and not passive and not is_unreal(verb) and not is_perfect(verb):
            place = self._place_of(verb, lemma)
            for s in subjects:
                self.add(s, "location", place)
        if lemma == "turn" and not is_unreal(verb):
            num = next((c for c in verb.children if c.dep_ in ("dobj", "attr", "npadvmod") and c.like_num), None)
            if num is not None:
                for s in subjects:
                    self.add(s, "age", _number_text(num), change=True)

    def _subjects(self, verb: Token) -> list[str]:
        return doers(verb, self.m.who)

    def _names_in(self, token: Token) -> list[str]:
        return _joined(token, self.m.who)

    def _subject_name(self, verb: Token) -> str | None:
        names = self._subjects(verb)
        return names[0] if len(names) == 1 else None

    def _place_of(self, verb: Token, lemma: str) -> str | None:
        preps = _MOVE_PREPS if lemma in _MOVE else _STAY_PREPS
        candidates: list[Token | None] = []  # every phrase that could name the place; the first that does wins
        for c in verb.children:
            if c.dep_ == "prep" and c.lower_ in preps:
                candidates.append(next((g for g in c.children if g.dep_ == "pobj"), None))
            if c.dep_ == "advmod" and c.lower_ in ("back", "inside", "down", "up", "over", "out"):
                candidates += [next((g for g in p.children if g.dep_ == "pobj"), None)
                               for p in c.children if p.dep_ == "prep" and p.lower_ in preps]
            if c.dep_ == "dobj" and lemma in _REACH:
                candidates.append(c)
        return next((place for noun in candidates if (place := self._place(noun))), None)

    def _place(self, noun: Token | None) -> str | None:
        """A bible place (its name), a common place noun (its lemma), or a named location."""
        if noun is None:
            return None
        phrase = _norm_place(" ".join(t.text for t in noun.subtree if t.i <= noun.i and t.dep_ != "poss"))
        for key, name in self.places.items():
            if key and (phrase == key or phrase.endswith(" " + key) or _norm_place(noun.text) == key):
                return name
        if self.m.who(noun):
            return None
        if noun.lemma_.lower() in PLACE_NOUNS:
            return noun.lemma_.lower()
        if noun.ent_type_ in ("GPE", "LOC", "FAC"):
            ent = next((e for e in noun.doc.ents if e.start <= noun.i < e.end), None)
            return ent.text if ent is not None else noun.text
        return None

    def _dead_or_alive(self, adj: Token) -> None:
        """'Tomas was dead', 'Tomas lay dead', 'found Tomas dead', 'Ilse was still alive'."""
        if adj.dep_ not in ("acomp", "oprd", "ccomp", "xcomp", "advcl", "attr", "conj"):
            return
        verb = adj.head
        own = [n for c in adj.children if c.dep_ in ("nsubj", "nsubjpass") for n in self._names_in(c)]
        if own:
            subjects, verb = own, adj
        elif adj.dep_ == "oprd" or (adj.dep_ in ("ccomp", "xcomp") and verb.lemma_ in ("find", "leave")):
            subjects = [n for c in verb.children if c.dep_ == "dobj" and (n := self.m.who(c))]
        else:
            subjects = self._subjects(verb)
        if is_unreal(verb) or is_unreal(adj):
            return
        if adj.lower_ == "alive" and any(c.dep_ in ("mark", "advmod") and c.lower_ in _PAST_CLAUSE for c in verb.children):
            return  # "when Tomas was alive": a time, not news
        for s in subjects:
            if adj.lower_ == "dead":
                self.add(s, "alive", "no", mode="reference" if is_perfect(verb) else "state")
            else:
                self.add(s, "alive", "yes")

    def _death_noun(self, noun: Token) -> None:
        """'Tomas's funeral', 'the death of Tomas': a death the sentence looks back on."""
        if noun.lemma_ == "murder" and any(c.dep_ == "prep" and c.lower_ == "of" for c in noun.children):
            whose = [c for c in noun.children if c.dep_ == "prep" and c.lower_ == "of"]
            subject = self.m.named(next((g for g in whose[0].children if g.dep_ == "pobj"), noun))
        else:
            subject = None
            for c in noun.children:
                if c.dep_ == "poss" and self.m.named(c):
                    subject = self.m.named(c)
                elif c.dep_ == "prep" and c.lower_ == "of":
                    subject = self.m.named(next((g for g in c.children if g.dep_ == "pobj"), noun)) or subject
        if subject is None:
            return
        governor = noun.head
        while governor.pos_ not in ("VERB", "AUX") and governor.dep_ != "ROOT":
            governor = governor.head
        # "had not smiled since Tomas's funeral" still presupposes the funeral; a wish or a fear does not
        if governor.lemma_ in _IRREALIS or _modal(governor) or _wished(governor):
            return
        self.add(subject, "alive", "no", mode="reference")

    # relations, ages, occupations, names -------------------------------------------------------
    def _kin(self, noun: Token) -> None:
        """'Ilse, Mara's sister', "Mara's sister Ilse", 'Ilse was the sister of Mara'."""
        kind = _kin(noun.lemma_)
        other = None
        for c in noun.children:
            if c.dep_ == "poss":
                other = self.m.who(c)
            elif c.dep_ == "prep" and c.lower_ == "of":
                other = self.m.who(next((g for g in c.children if g.dep_ == "pobj"), None)) or other
        if other is None or kind is None:
            return
        subject = next((n for c in noun.children if c.dep_ in ("appos", "compound") and (n := self.m.named(c))), None)
        after = noun.doc[noun.i + 1] if noun.i + 1 < len(noun.doc) else None
        if subject is None and after is not None and self.m.named(after) not in (None, other):
            subject = self.m.named(after)  # "Mara's cousin Ilse waved", when the parser splits the phrase
        if subject is None and noun.dep_ == "appos":
            subject = self.m.named(noun.head)
        if subject is None and noun.dep_ in ("attr", "acomp") and not is_unreal(noun.head):
            subject = self._subject_name(noun.head)
        if subject is None:
            subject = self._left_apposition(noun)
        if subject and subject != other:
            self.add(subject, f"relation:{kind}", other)

    def _left_apposition(self, noun: Token) -> str | None:
        """'Ilse, Mara's sister, ...' read off the tokens when the parse misses the apposition."""
        first = min(t.i for t in noun.subtree)
        doc = noun.doc
        if first >= 2 and doc[first - 1].text == ",":
            prev = doc[first - 2]
            if self.m.named(prev) and (first < 3 or doc[first - 3].text not in ("'s", "of")):
                return self.m.named(prev)
        return None

    def _age(self, num: Token) -> None:
        """'Mara was twenty', 'Mara, 20,', 'the twenty-year-old Mara', 'Mara is ten years old'."""
        if num.dep_ == "compound":
            return  # "twenty" of "twenty-one" is read with the token it belongs to
        value = _number_text(num)
        if _parse_number(value) is None:
            return
        head = num.head
        if num.dep_ == "nummod" and head.lemma_ == "year":
            old = head.head
            if old.lower_ != "old":
                return
            if old.dep_ == "amod" and self.m.named(old.head):
                self.add(self.m.named(old.head), "age", value)
            elif old.dep_ in ("acomp", "attr") and self._plain_copula(old.head):
                self.add(self._subject_name(old.head), "age", value)
            elif old.dep_ == "appos" or (old.dep_ == "amod" and old.head.dep_ == "appos"):
                self.add(self.m.named(old.head) or self.m.named(old.head.head), "age", value)
            return
        if num.dep_ == "appos" and self.m.named(head):
            self.add(self.m.named(head), "age", value)
        elif num.dep_ in ("acomp", "attr") and head.lemma_ == "be" and self._plain_copula(head):
            if not any(c.dep_ == "prep" for c in num.children) and not _tail_noun(num):
                self.add(self._subject_name(head), "age", value)
        elif num.dep_ in ("dobj", "pobj", "npadvmod", "attr") and head.lower_ == "aged":  # "Mara, aged twenty,"
            self.add(self.m.named(head.head), "age", value)

    def _plain_copula(self, verb: Token) -> bool:
        """A present or past statement, not a memory ('when she was ten', 'had been ten')."""
        if verb.lemma_ != "be" or is_unreal(verb) or is_perfect(verb):
            return False
        if any(c.dep_ == "mark" or (c.dep_ == "advmod" and c.lower_ in _PAST_CLAUSE) for c in verb.children):
            return False
        return not any(t.lower_ == "ago" for t in verb.subtree)

    def _occupation(self, noun: Token) -> None:
        """'Tomas was a blacksmith', 'Tomas, a blacksmith,', 'worked as a baker'."""
        job = noun.lemma_.lower()
        head = noun.head
        if noun.dep_ == "appos" and self.m.named(head):
            self.add(self.m.named(head), "occupation", job)
        elif noun.dep_ in ("attr", "acomp") and head.lemma_ == "be" and self._plain_copula(head):
            self.add(self._subject_name(head), "occupation", job)
        elif noun.dep_ == "pobj" and head.lower_ == "as" and head.head.lemma_ in ("work", "serve"):
            self.add(self._subject_name(head.head), "occupation", job)
        elif any(c.dep_ in ("appos", "compound") and self.m.named(c) for c in noun.children):
            if not any(c.dep_ == "poss" for c in noun.children):
                self.add(next(self.m.named(c) for c in noun.children if self.m.named(c)), "occupation", job)

    def _names(self) -> None:
        """'Mara changed her name to Ravena', 'Mara called herself Ravena', 'Mara, known as Ravena'."""
        text = self.sent.text
        for t in self.sent:
            name = self.m.named(t)
            if not name or (t.i + 1 < len(t.doc) and self.m.named(t.doc[t.i + 1]) == name):
                continue
            rest = t.doc[t.i + 1 : self.sent.end].text
            m = re.match(
                r"^(?:,?\s*(?:who\s+)?(?:now\s+|also\s+|later\s+|then\s+)?)"
                r"(?:changed (?:his|her|their) name to|called (?:himself|herself|themselves)|"
                r"(?:was\s+)?(?:known|called) as|went by(?: the name)?|took the name(?: of)?)\s+"
                r"([A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)*)", rest)
            if m and m.group(1) not in text[: t.idx - self.sent.start_char]:
                self.add(name, "name", m.group(1))


def doers(verb: Token, who: Callable[[Token], str | None]) -> list[str]:
    """The characters doing `verb`: its own subject, or the subject of the verb it is joined to
    ('Mara stood and walked in': Mara walked), each named through `who`."""
    names = [n for c in verb.children if c.dep_ in ("nsubj", "nsubjpass") for n in _joined(c, who)]
    if not names and verb.dep_ in ("conj", "xcomp") and verb.head.pos_ in ("VERB", "AUX"):
        if not any(c.dep_ in ("nsubj", "nsubjpass", "expl") for c in verb.children):
            return doers(verb.head, who)
    return names


def _joined(token: Token, who: Callable[[Token], str | None]) -> list[str]:
    """A subject and those joined to it by 'and' (Mara and Ilse), or named in apposition to it
    ('His daughter Lotte was twelve')."""
    out = [n] if (n := who(token)) else []
    if not out:
        out = [n for c in token.children if c.dep_ == "appos" and (n := who(c))][:1]
    for c in token.children:
        if c.dep_ == "conj":
            out += _joined(c, who)
    return out


def is_unreal(verb: Token) -> bool:
    """True when the clause is denied, hedged, conditional or only wished for."""
    for c in verb.children:
        if c.dep_ == "neg" or c.lower_ in _NEGATIONS and c.dep_ in ("advmod", "det", "neg"):
            return True
        if c.dep_ == "aux" and c.lower_ in _MODALS:
            return True
        if c.dep_ == "advmod" and c.lower_ in _HEDGES:
            return True
        if c.dep_ == "mark" and c.lower_ in _CONDITIONS:
            return True
    if _wished(verb):
        return True
    if verb.dep_ == "conj" and verb.head.pos_ in ("VERB", "AUX") and verb.head is not verb:
        return is_unreal(verb.head) and not any(c.dep_ in ("nsubj", "nsubjpass") for c in verb.children)
    return False


def _modal(verb: Token) -> bool:
    return any(c.dep_ == "aux" and c.lower_ in _MODALS for c in verb.children)


def _wished(verb: Token) -> bool:
    """The complement of a verb of wishing, fearing or pretending ('feared the funeral would come')."""
    return verb.dep_ in ("xcomp", "ccomp") and verb.head.lemma_ in _IRREALIS


def _reported(verb: Token) -> bool:
    """A clause a character says or writes ('X was killed, the smugglers said')."""
    head = verb.head
    if verb.dep_ in ("ccomp", "parataxis") and head.lemma_ in _SPEECH:
        return True
    return any(c.dep_ in ("parataxis", "ccomp") and c.lemma_ in _SPEECH and c.i > verb.i for c in verb.children)


def is_perfect(verb: Token) -> bool:
    """Past perfect ('had died', 'had been killed'): the sentence looks back."""
    return any(c.dep_ == "aux" and c.lower_ in ("had", "'d") for c in verb.children)


def _progressive(verb: Token) -> bool:
    """'was dying': not dead yet."""
    return verb.tag_ == "VBG" and any(c.dep_ == "aux" and c.lemma_ == "be" for c in verb.children)


def _tail_noun(num: Token) -> bool:
    """'was one of them', 'was ten minutes late': a number that is not an age."""
    return any(c.pos_ in ("NOUN", "PROPN") for c in num.children) or num.head.lower_ == "one"


def _number_text(num: Token) -> str:
    """The whole number `num` is part of ('twenty', '-', 'one' -> 'twenty-one')."""
    doc, start, end = num.doc, num.i, num.i + 1
    while start >= 2 and doc[start - 1].text == "-" and doc[start - 2].like_num:
        start -= 2
    while end + 1 < len(doc) and doc[end].text == "-" and doc[end + 1].like_num:
        end += 2
    return doc[start:end].text.replace(" ", "")


def _parse_number(text: str) -> int | None:
    t = text.strip().lower().replace(" ", "-")
    if t.isdigit():
        return int(t)
    total = 0
    for part in t.split("-"):
        if part in _NUMBERS:
            total += _NUMBERS[part]
        elif part in _TENS:
            total += _TENS[part]
        elif part == "hundred":
            total = max(total, 1) * 100
        else:
            return None
    return total if t else None


# -- the model's answers ---------------------------------------------------------------------------

_ASK = """List the facts this passage states about {cast} as a JSON array of \
{{"subject", "relation", "value", "evidence"}} objects. Relations: {relations}. \
alive is yes/no, colours one word, age in years; relation:<kind> ({kinds}) has the other character as value.

Passage: {text}

JSON: ["""


def ask_model(backend: Backend, text: str, bible: Bible, scene_id: str = "", scene_order: int = 0,
              max_tokens: int = 400) -> list[Fact]:
    """Facts an instruction-following model reads in `text` (proposed, source "model").

    The answer is parsed leniently by `parse_model_facts`: anything that is not a valid fact about a
    bible character is dropped, so a model that cannot answer gives no facts rather than bad ones.
    """
    from fabula.backends.options import GenerationOptions

    prompt = _ASK.format(
        cast=", ".join(bible.cast()) or "(none)", relations=", ".join(RELATIONS),
        kinds=", ".join(k for k, v in KIN.items() if v is not None), text=" ".join(text.split()),
    )
    [answer] = backend.generate(prompt, GenerationOptions(temperature=0.0, max_tokens=max_tokens, n=1))
    return parse_model_facts("[" + answer.text, bible, scene_id, scene_order)  # the prompt opened the array


def parse_model_facts(answer: str, bible: Bible, scene_id: str = "", scene_order: int = 0) -> list[Fact]:
    """The valid facts in a model's JSON answer (an array of objects, possibly inside other text)."""
    items = _json_array(answer)
    out: list[Fact] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        subject = resolve_character(bible, str(item.get("subject", "")))
        if subject is None:
            continue
        relation = str(item.get("relation", "")).strip().lower().replace(" ", "_")
        if relation.startswith("relation:"):
            kin = _kin(relation.removeprefix("relation:"))
            relation = f"relation:{kin}" if kin else ""
        if not valid_relation(relation):
            continue
        raw = str(item.get("value", "")).strip()
        if relation.startswith("relation:"):
            raw = resolve_character(bible, raw) or ""
        value = canonical_value(relation, raw)
        if value is None:
            continue
        fact = Fact(subject, relation, value, scene_id, scene_order, str(item.get("evidence", "")).strip(), "model")
        if not any(fact.key == o.key and fact.value == o.value for o in out):
            out.append(fact)
    return out


def resolve_character(bible: Bible, name: str) -> str | None:
    """The character `name` means: a name or alias, or one word of a longer name only they have."""
    wanted = tuple(t.lower_ for t in nlp().tokenizer(name.strip()))
    if not wanted:
        return None
    return next((c for key, c in Cast.of(bible).names.items() if tuple(k.lower() for k in key) == wanted), None)


def _json_array(answer: str) -> list[Any]:
    start = answer.find("[")
    while start != -1:
        depth = 0
        for end in range(start, len(answer)):
            depth += {"[": 1, "]": -1}.get(answer[end], 0)
            if depth == 0:
                try:
                    data = json.loads(answer[start : end + 1])
                except json.JSONDecodeError:
                    break
                return data if isinstance(data, list) else []
        start = answer.find("[", start + 1)
    return []


# -- the canon and its diffs -----------------------------------------------------------------------


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "added" | "changed" | "unchanged" | "removed"
    new_id: int | None = None  # the proposed fact (added, changed)
    old_id: int | None = None  # the fact it changes, restates or removes


@dataclass
class CanonDiff:
    """What a set of new facts would change, for the writer to accept or reject."""

    canon: Canon
    lines: list[DiffLine] = field(default_factory=list)

    def _of(self, kind: str) -> list[DiffLine]:
        return [line for line in self.lines if line.kind == kind]

    @property
    def added(self) -> list[Fact]:
        return [self.canon.facts[d.new_id] for d in self._of("added") if d.new_id is not None]

    @property
    def changed(self) -> list[tuple[Fact, Fact]]:
        return [(self.canon.facts[d.old_id], self.canon.facts[d.new_id]) for d in self._of("changed")
                if d.old_id is not None and d.new_id is not None]

    @property
    def unchanged(self) -> list[Fact]:
        return [self.canon.facts[d.old_id] for d in self._of("unchanged") if d.old_id is not None]

    @property
    def removed(self) -> list[Fact]:
        return [self.canon.facts[d.old_id] for d in self._of("removed") if d.old_id is not None]

    @property
    def ids(self) -> list[int]:
        """The proposed facts' ids (what `accept`/`reject` act on)."""
        return [d.new_id for d in self.lines if d.new_id is not None]

    def __bool__(self) -> bool:
        return any(d.kind != "unchanged" for d in self.lines)

    def render(self) -> str:
        """A unified-diff-like text: '-' the fact that stops being true, '+' the proposed one."""
        scenes = sorted({self.canon.facts[i].scene_id for i in self.ids})
        out = ["--- canon", f"+++ proposed ({', '.join(scenes) or 'nothing'})"]
        by_subject: dict[str, list[str]] = {}
        for d in self.lines:
            new = self.canon.facts[d.new_id] if d.new_id is not None else None
            old = self.canon.facts[d.old_id] if d.old_id is not None else None
            subject = (new or old).subject  # type: ignore[union-attr]
            rows = by_subject.setdefault(subject, [])
            if d.kind in ("changed", "removed") and old is not None:
                rows.append(f"-[#{d.old_id}] {_diff_text(old)}")
            if d.kind in ("added", "changed") and new is not None:
                rows.append(f"+[#{d.new_id}] {_diff_text(new)}")
            if d.kind == "unchanged" and old is not None:
                rows.append(f" [#{d.old_id}] {_diff_text(old)}")
        for subject, rows in by_subject.items():
            out.append(f"@@ {subject} @@")
            out.extend(rows)
        summary = f"{len(self._of('added'))} added, {len(self._of('changed'))} changed, " \
                  f"{len(self._of('removed'))} removed, {len(self._of('unchanged'))} unchanged"
        return "\n".join([*out, summary])

    def __str__(self) -> str:
        return self.render()


def _diff_text(f: Fact) -> str:
    evidence = f' "{_clip(f.evidence)}"' if f.evidence else ""
    return f"{f.relation} = {f.value}  ({f.scene_id}, {f.source}){evidence}"


def _clip(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


class Canon:
    """Every fact the story has stated, with ids, versions and the writer's decisions."""

    def __init__(self, facts: Iterable[Fact] = (), times: Mapping[str, str] | None = None) -> None:
        self.facts: dict[int, Fact] = {}
        self.times: dict[str, str] = dict(times or {})  # scene id -> its story-time label
        self._next = 1
        for f in facts:
            self.add(f)

    @classmethod
    def from_bible(cls, bible: Bible) -> Canon:
        return cls(bible_facts(bible))

    def add(self, fact: Fact, fact_id: int | None = None) -> int:
        """Store a fact as is (its status included) and return its id."""
        fid = self._next if fact_id is None else fact_id
        if fid in self.facts:
            raise CanonError(f"Fact id {fid} is already in the canon; leave the id out to get a new one.")
        self.facts[fid] = fact
        self._next = max(self._next, fid + 1)
        return fid

    def __len__(self) -> int:
        return len(self.facts)

    def __iter__(self) -> Iterator[Fact]:
        return iter(self.facts.values())

    def id_of(self, fact: Fact) -> int:
        for fid, f in self.facts.items():
            if f is fact:
                return fid
        raise CanonError("That fact is not in this canon; add it first.")

    def accepted(self) -> list[tuple[int, Fact]]:
        """Accepted facts in story order (scene order, then the order they were stated)."""
        rows = [(i, f) for i, f in self.facts.items() if f.status == "accepted"]
        return sorted(rows, key=lambda r: (r[1].scene_order, r[0]))

    def state_at(self, scene_order: int, exclude_scene: str | None = None) -> dict[tuple[str, str], Fact]:
        """The latest accepted fact of each (subject, relation) at or before `scene_order`.

        `exclude_scene` leaves out one scene's own facts (to check a scene against the rest of the canon).
        """
        state: dict[tuple[str, str], Fact] = {}
        for _, f in self.accepted():
            if f.scene_order > scene_order:
                break
            if f.scene_id != exclude_scene:
                state[f.key] = f
        return state

    def history(self, subject: str, relation: str) -> list[Fact]:
        """Every accepted version of one fact, in story order."""
        return [f for _, f in self.accepted() if f.key == (subject, relation)]

    def names(self) -> dict[str, str]:
        """Every accepted name -> the character it names."""
        return {f.value: f.subject for _, f in self.accepted() if f.relation == "name"}

    # -- proposals -------------------------------------------------------------------------------
    def propose(self, new_facts: Iterable[Fact], replace_scene: str | bool | None = None) -> CanonDiff:
        """Add `new_facts` as proposed and return what they would change.

        Each is compared with the canon's state at its scene (plus the facts before it in this
        proposal): a fact that says what is already true is "unchanged" and not stored again.
        `replace_scene` says the facts are a fresh reading of a rewritten scene — its id, or True for
        the scene(s) the facts come from (a reading that finds nothing needs the id): that scene's
        accepted facts the new reading no longer states are listed as "removed".
        """
        diff = CanonDiff(self)
        pending: list[Fact] = []
        new_facts = list(new_facts)
        for new in new_facts:
            if new.status != "proposed":
                new = Fact(**{**asdict(new), "status": "proposed"})
            before = self._state_with(new, pending)
            old = before.get(new.key)
            old_id = self.id_of(old) if old is not None and old.status == "accepted" else None
            if old is not None and compatible(new.relation, old.value, new.value):
                if old_id is not None:
                    diff.lines.append(DiffLine("unchanged", old_id=old_id))
                continue
            pending.append(new)
            nid = self.add(new)
            diff.lines.append(DiffLine("changed" if old is not None else "added", nid, self._id_or_none(old)))
        if replace_scene is not None and replace_scene is not False:
            scenes = {f.scene_id for f in new_facts} if replace_scene is True else {replace_scene}
            mentioned = {d.old_id for d in diff.lines}
            diff.lines += [DiffLine("removed", old_id=fid) for fid, f in self.accepted()
                           if f.scene_id in scenes and fid not in mentioned]
        return diff

    def _id_or_none(self, fact: Fact | None) -> int | None:
        return None if fact is None else self.id_of(fact)

    def _state_with(self, new: Fact, pending: list[Fact]) -> dict[tuple[str, str], Fact]:
        state = self.state_at(new.scene_order)
        for f in pending:  # earlier facts of the same proposal count as already said
            if f.scene_order <= new.scene_order:
                state[f.key] = f
        return state

    def accept(self, what: CanonDiff | Iterable[int]) -> list[int]:
        """Accept a whole diff (its removals too) or the proposed facts with these ids."""
        ids = self._ids(what)
        for fid in ids:
            fact = self.facts[fid]
            fact.status = "accepted"
            for oid, other in list(self.facts.items()):  # a re-read scene's new value replaces its old one
                if (oid != fid and other.status == "accepted" and other.scene_id == fact.scene_id
                        and other.key == fact.key and other.relation != "location" and oid < fid):
                    other.status = "rejected"
        if isinstance(what, CanonDiff):
            for d in what.lines:
                if d.kind == "removed" and d.old_id is not None:
                    self.facts[d.old_id].status = "rejected"
        return ids

    def reject(self, what: CanonDiff | Iterable[int]) -> list[int]:
        """Reject a whole diff or the proposed facts with these ids (they stay, marked rejected)."""
        ids = self._ids(what)
        for fid in ids:
            self.facts[fid].status = "rejected"
        return ids

    def _ids(self, what: CanonDiff | Iterable[int]) -> list[int]:
        ids = what.ids if isinstance(what, CanonDiff) else list(what)
        for fid in ids:
            if fid not in self.facts:
                raise CanonError(f"No fact #{fid} in the canon; the diff lists the ids you can accept or reject.")
            if self.facts[fid].status != "proposed":
                raise CanonError(f"Fact #{fid} is already {self.facts[fid].status}; only proposed facts can be decided.")
        return ids

    # -- formats ---------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """{"facts": [{"id", *Fact fields}], "times": {scene id: time label}} — JSON-able."""
        return {"facts": [{"id": i, **asdict(f)} for i, f in self.facts.items()], "times": dict(self.times)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Canon:
        names = {f.name for f in fields(Fact)}
        canon = cls(times=data.get("times") or {})
        for row in data.get("facts", []):
            row = dict(row)
            fid = row.pop("id", None)
            unknown = sorted(set(row) - names)
            missing = sorted(n for n in ("subject", "relation", "value", "scene_id", "scene_order") if n not in row)
            if unknown or missing:
                raise CanonError(
                    f"Bad fact row {row!r}: " + (f"unknown field(s) {', '.join(unknown)}" if unknown else "")
                    + ("; " if unknown and missing else "") + (f"missing {', '.join(missing)}" if missing else "")
                    + f". A fact has {', '.join(sorted(names))} (and an id)."
                )
            try:
                canon.add(Fact(**{**row, "scene_order": int(row["scene_order"])}), None if fid is None else int(fid))
            except (TypeError, ValueError) as e:
                raise CanonError(f"Bad fact row {row!r}: {e}.") from e
        return canon
