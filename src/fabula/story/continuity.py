"""The continuity check: where a passage contradicts the canon.

`check_passage` reads a passage as it stands at story order `scene_order` and reports each
`Contradiction` with the offending sentence, the canon fact it contradicts and the scene that fact
came from. The passage's own scene is left out of the canon it is checked against (a scene does not
contradict itself by being re-read). Five kinds, each a narrow rule chosen for precision (the rules
and their measured precision and recall: docs/story-continuity.md):

- "dead-character": a character the canon has dead at this order is the subject of a verb (acts,
  speaks) — unless the sentence looks back (past perfect, "used to", remembered/dreamed/imagined,
  a photograph or letter, "years ago") or the verb suits the dead (lie, rest, be buried).
- "attribute": eye or hair colour, age, or a family tie stated differently from the canon (a
  sentence that changes it on purpose — "dyed her hair black", "turned thirty" — is not reported).
- "place": the passage puts a character somewhere other than where another scene with the same
  story-time label puts them (needs `time` and the canon's scene times).
- "timeline": the passage looks back on a death the canon places later in the story, or kills a
  character the canon has already dead (or dead later).
- "name": a capitalised name the bible does not know, within one or two edits of a character's
  name with the same first letter ("Marra" for "Mara").
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from fabula.story.bible import Bible
from fabula.story.canon import (
    BIBLE_ORDER, BIBLE_SCENE, KIN, Canon, Cast, Fact, Finding, Mentions, compatible, doers, extract_findings,
    is_perfect, is_unreal, place_phrase,
)
from fabula.story.nlp import is_english_word, parse

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

__all__ = ["KINDS", "Contradiction", "check_passage", "render_json", "render_text"]

KINDS = ("dead-character", "attribute", "place", "timeline", "name")

# A dead character may still do these (as a body, in a grave, in the narration of their death).
_DEAD_VERBS = {"die", "lie", "rest", "rot", "remain", "decay", "perish", "drown", "lay"}
# Verbs and nouns that frame a sentence as a memory, a dream or a picture of the dead.
_LOOKING_BACK = {"remember", "recall", "recollect", "dream", "imagine", "picture", "miss", "mourn",
                 "reminisce", "regret", "forget", "think", "wonder", "wish", "grieve", "haunt"}
_FRAMES = {"memory", "memories", "dream", "nightmare", "photograph", "photo", "portrait", "painting",
           "letter", "diary", "journal", "ghost", "vision", "statue", "flashback", "recording"}
_BACK_THEN = {"ago", "once", "childhood"}
_BACK_THEN_PAIRS = {("used", "to"), ("back", "then"), ("those", "days")}
_FAMILY = {k for k, v in KIN.items() if v is not None}
_LABELS = {"eye_colour": "eye colour", "hair_colour": "hair colour", "age": "age"}


@dataclass(frozen=True)
class Contradiction:
    kind: str  # one of KINDS
    message: str  # what is wrong, in a sentence
    passage: str  # the offending sentence
    fact: Fact  # the canon fact it contradicts
    fact_scene: str  # the scene that fact came from

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "passage": self.passage,
                "fact": asdict(self.fact), "fact_scene": self.fact_scene}


def check_passage(
    text: str | Doc, scene_order: int, canon: Canon, bible: Bible, scene_id: str = "", time: str | None = None,
) -> list[Contradiction]:
    """Contradictions between `text` (at story order `scene_order`, story time `time`) and the canon.

    `text` may be a passage or its spaCy `Doc` (`fabula.story.nlp.parse`), so a caller that also
    extracts the passage's facts parses it once.
    """
    doc = parse(text) if isinstance(text, str) else text
    extra = canon.names()  # names the story adopted ("called herself Ravena") are known names
    mentions = Mentions(doc, Cast.of(bible, extra))
    findings = extract_findings(doc, scene_id, scene_order, bible, extra)
    sents = list(doc.sents)
    check = _Check(canon, bible, scene_order, scene_id, time)
    out: list[Contradiction] = []
    out += check.dead(sents, mentions, findings)
    out += check.attributes(sents, findings)
    out += check.places(sents, findings)
    out += check.timeline(sents, findings)
    out += check.names(sents, mentions)
    return _unique(sorted(out, key=lambda c: (_position(c, sents), KINDS.index(c.kind))))


class _Check:
    def __init__(self, canon: Canon, bible: Bible, order: int, scene_id: str, time: str | None) -> None:
        self.canon, self.bible, self.order, self.scene_id = canon, bible, order, scene_id
        self.time = _label(time)
        self.state = canon.state_at(order, exclude_scene=scene_id or None)
        self.others = [f for _, f in canon.accepted() if f.scene_id != scene_id]

    def _dead(self, name: str) -> Fact | None:
        fact = self.state.get((name, "alive"))
        return fact if fact is not None and fact.value == "no" else None

    # dead characters ---------------------------------------------------------------------------
    def dead(self, sents: list[Span], mentions: Mentions, findings: list[Finding]) -> list[Contradiction]:
        out = []
        for sent in sents:
            if _looks_back(sent):
                continue
            reported: set[str] = set()
            for verb in sent:
                if verb.pos_ not in ("VERB", "AUX") or verb.dep_ in ("aux", "auxpass"):
                    continue
                for name in doers(verb, mentions.named):
                    fact = self._dead(name)
                    if fact is None or name in reported or not _acts(verb):
                        continue
                    reported.add(name)
                    out.append(Contradiction(
                        "dead-character",
                        f"{name} {_doing(verb)} here, but the canon has {name} dead since {fact.scene_id}.",
                        sent.text.strip(), fact, fact.scene_id))
        for f in findings:
            fact = self._dead(f.fact.subject)
            if f.fact.relation == "alive" and f.fact.value == "yes" and fact is not None \
                    and not _looks_back(sents[f.sentence]):
                out.append(Contradiction(
                    "dead-character", f"{f.fact.subject} is called alive here, but died in {fact.scene_id}.",
                    sents[f.sentence].text.strip(), fact, fact.scene_id))
        return out

    # attributes --------------------------------------------------------------------------------
    def attributes(self, sents: list[Span], findings: list[Finding]) -> list[Contradiction]:
        out = []
        said: dict[tuple[str, str], Fact] = {}  # what the passage itself has said so far
        for f in findings:
            new = f.fact
            if new.relation in _LABELS:
                here = new.key in said
                old = said[new.key] if here else self.state.get(new.key)
                if old is not None and not f.change and not compatible(new.relation, old.value, new.value):
                    where = "earlier in this passage" if here else f"in the canon (since {old.scene_id})"
                    out.append(Contradiction(
                        "attribute",
                        f"{new.subject}'s {_LABELS[new.relation]} is {new.value} here, but {old.value} {where}.",
                        sents[f.sentence].text.strip(), old, old.scene_id))
                said[new.key] = new
            elif new.relation.startswith("relation:") and new.relation.removeprefix("relation:") in _FAMILY:
                old = self._family_clash(new)
                if old is not None:
                    out.append(Contradiction(
                        "attribute", f"{_tie(new)} here, but {_tie(old)} in the canon ({old.scene_id}).",
                        sents[f.sentence].text.strip(), old, old.scene_id))
        return out

    def _family_clash(self, new: Fact) -> Fact | None:
        kin = new.relation.removeprefix("relation:")
        group, inverse = KIN[kin] or ("", "")
        for old in self.state.values():
            okin = old.relation.removeprefix("relation:")
            if not old.relation.startswith("relation:") or okin not in _FAMILY:
                continue
            ogroup, _ = KIN[okin] or ("", "")
            if (old.subject, old.value) == (new.subject, new.value) and okin != kin:
                return old
            if (old.subject, old.value) == (new.value, new.subject) and ogroup != inverse:
                return old
        return None

    # places ------------------------------------------------------------------------------------
    def places(self, sents: list[Span], findings: list[Finding]) -> list[Contradiction]:
        if not self.time:
            return []
        out = []
        for f in findings:
            if f.fact.relation != "location":
                continue
            there = [o for o in self.others if o.key == f.fact.key and _label(self.canon.times.get(o.scene_id)) == self.time]
            if there and not any(compatible("location", o.value, f.fact.value) for o in there):
                old = there[-1]
                out.append(Contradiction(
                    "place",
                    f"{f.fact.subject} is at {place_phrase(f.fact.value)} here, but at {place_phrase(old.value)} in {old.scene_id} "
                    f"at the same time ({self.time}).",
                    sents[f.sentence].text.strip(), old, old.scene_id))
        return out

    # timeline ----------------------------------------------------------------------------------
    def timeline(self, sents: list[Span], findings: list[Finding]) -> list[Contradiction]:
        out = []
        for f in findings:
            if f.fact.key[1] != "alive" or f.fact.value != "no":
                continue
            name = f.fact.subject
            already = self._dead(name)
            later = [o for o in self.others if o.key == (name, "alive") and o.value == "no" and o.scene_order > self.order]
            text = sents[f.sentence].text.strip()
            if f.mode == "event" and _looks_back(sents[f.sentence]):
                continue  # a death retold in a letter or a journal is not a second death
            if f.mode == "event" and already is not None:
                out.append(Contradiction(
                    "timeline", f"{name} dies here, but is already dead since {already.scene_id}.",
                    text, already, already.scene_id))
            elif already is None and later:
                what = "dies here" if f.mode == "event" else "is dead here"
                out.append(Contradiction(
                    "timeline", f"{name} {what}, but the canon has {name} die later in the story, in "
                    f"{later[0].scene_id}.", text, later[0], later[0].scene_id))
        return out

    # names -------------------------------------------------------------------------------------
    def names(self, sents: list[Span], mentions: Mentions) -> list[Contradiction]:
        known = self._known_names()
        close = [(name, who) for name, who in self._character_names().items() if len(name) >= 3]
        out = []
        for sent in sents:
            seen: set[str] = set()
            for t in sent:
                if not _name_like(t) or t.lower_ in known or mentions.who(t) or t.text in seen:
                    continue
                near = _nearest(t.text, close)
                if near is None:
                    continue
                seen.add(t.text)
                name, who = near
                fact = self._name_fact(who, name)
                out.append(Contradiction(
                    "name", f"{t.text!r} is not a name the bible knows; is it {name} ({who})?",
                    sent.text.strip(), fact, fact.scene_id))
        return out

    def _character_names(self) -> dict[str, str]:
        """Every name (and each word of a longer name) -> the character it names."""
        out: dict[str, str] = {}
        for c in self.bible.characters:
            for name in c.names():
                out.setdefault(name, c.name)
                for part in name.split():
                    if part[:1].isupper():
                        out.setdefault(part, c.name)
        for name, who in self.canon.names().items():
            out.setdefault(name, who)
        return out

    def _known_names(self) -> set[str]:
        words = {w.lower() for n in self._character_names() for w in n.split()}
        words |= {w.lower() for p in self.bible.places for w in p.name.split()}
        return words

    def _name_fact(self, who: str, name: str) -> Fact:
        for _, f in self.canon.accepted():
            if f.subject == who and f.relation == "name" and f.value == name:
                return f
        return Fact(who, "name", name, BIBLE_SCENE, BIBLE_ORDER, f"{who} in the bible", "written", "accepted")


def _looks_back(sent: Span) -> bool:
    """A memory, a dream, a picture or a letter: the dead may act there."""
    for t in sent:
        if t.lemma_.lower() in _LOOKING_BACK and t.pos_ == "VERB":
            return True
        if t.lower_ in _FRAMES or t.lemma_.lower() in _FRAMES:
            return True
        if t.lower_ in _BACK_THEN:
            return True
        pair = (t.lower_, t.doc[t.i + 1].lower_) if t.i + 1 < len(t.doc) else None
        if pair in _BACK_THEN_PAIRS:
            return True
    return False


def _acts(verb: Token) -> bool:
    """True when the subject does `verb` here and now (not a memory, a wish or a state of the dead)."""
    if verb.lemma_.lower() in _DEAD_VERBS or is_perfect(verb) or is_unreal(verb):
        return False
    if any(c.dep_ in ("nsubjpass", "auxpass") for c in verb.children):
        return False  # done to them: buried, mourned, carried
    if verb.lemma_ == "be":  # only being somewhere or doing something counts, not "was dead" or "was a liar"
        return any(c.dep_ == "prep" and c.lower_ in ("in", "at", "on", "inside", "by", "with") for c in verb.children)
    head = verb
    while head.dep_ != "ROOT" and head.head is not head:  # "could almost hear Tomas singing": not here
        head = head.head
        if head.lemma_.lower() in _LOOKING_BACK or (head.pos_ in ("VERB", "AUX") and is_unreal(head)):
            return False
    return True


def _doing(verb: Token) -> str:
    return "speaks" if verb.lemma_ in ("say", "ask", "reply", "whisper", "shout", "call", "tell", "answer",
                                       "murmur", "mutter", "cry", "laugh", "snap") else "acts"


def _name_like(t: Token) -> bool:
    """A capitalised word that is not an English word: a name, whatever the small tagger calls it
    (it tags an unknown name at a sentence start as an adjective or a common noun)."""
    if not (t.is_alpha and t.text[:1].isupper() and len(t.text) >= 3 and not t.text.isupper()):
        return False
    return not is_english_word(t.text, t.lemma_)


def _nearest(word: str, names: list[tuple[str, str]]) -> tuple[str, str] | None:
    """The closest known name with the same first letter, within 1 edit (short names) or 2."""
    best: tuple[int, str, str] | None = None
    for name, who in names:
        if name[:1].lower() != word[:1].lower() or abs(len(name) - len(word)) > 2:
            continue
        d = _distance(word.lower(), name.lower())
        limit = 1 if len(name) <= 5 else 2
        if 1 <= d <= limit and (best is None or d < best[0]):
            best = (d, name, who)
    return None if best is None else (best[1], best[2])


def _distance(a: str, b: str) -> int:
    """Edit distance with adjacent transpositions ("Mraa" is one edit from "Mara")."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def _tie(f: Fact) -> str:
    return f"{f.subject} is {f.value}'s {f.relation.removeprefix('relation:')}"


def _label(time: str | None) -> str:
    return " ".join((time or "").lower().split())


def _position(c: Contradiction, sents: list[Span]) -> int:
    for k, s in enumerate(sents):
        if s.text.strip() == c.passage:
            return k
    return len(sents)


def _unique(items: list[Contradiction]) -> list[Contradiction]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for c in items:
        key = (c.kind, c.passage, c.fact.subject)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def render_text(contradictions: list[Contradiction]) -> str:
    """A report a writer reads: each contradiction, its sentence, and the fact with its scene."""
    if not contradictions:
        return "No contradictions with the canon."
    out = []
    for c in contradictions:
        evidence = f' "{c.fact.evidence}"' if c.fact.evidence else ""
        out += [f"[{c.kind}] {c.message}", f"  passage: {c.passage}",
                f"  canon:   {c.fact.subject} {c.fact.relation} = {c.fact.value} ({c.fact_scene}){evidence}"]
    n = len(contradictions)
    return "\n".join([*out, f"{n} contradiction{'s' if n != 1 else ''}."])


def render_json(contradictions: list[Contradiction]) -> str:
    return json.dumps([c.to_dict() for c in contradictions], ensure_ascii=False, indent=2)
