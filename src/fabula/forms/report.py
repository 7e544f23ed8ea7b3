"""What a form check finds: per line, per poem, as text for people and JSON for programs."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

__all__ = ["Violation", "LineReport", "PoemReport"]


@dataclass(frozen=True)
class Violation:
    """One broken rule: `rule` is a short stable name (`length`, `tone`, `rhyme`, `nian`, `gu-ping`,
    `san-ping-wei`, `metre`, `syllables`, `acrostic`, ...), `position` the 0-based character or
    syllable index in the line when the rule is about one position (None otherwise)."""

    rule: str
    message: str
    position: int | None = None


@dataclass
class LineReport:
    index: int  # 0-based line number in the poem
    text: str
    units: int  # characters (Chinese) or syllables (English) counted
    expected_units: int | None = None
    pattern: str = ""  # what was found, e.g. 平仄 as "平平仄仄平" or stresses as "0101010101"
    expected: str = ""  # the template, with "中" / "x" where either is allowed
    rhyme: str | None = None  # rhyme group (平水韵 group, CMU rhyming part) of the last unit
    violations: list[Violation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. "多音字 看: accepted as 平"

    @property
    def ok(self) -> bool:
        return not self.violations

    def marks(self) -> str:
        """A caret line under the pattern: `^` at each violating position."""
        positions = {v.position for v in self.violations if v.position is not None}
        width = max(len(self.expected), len(self.pattern))
        return "".join("^" if i in positions else " " for i in range(width)).rstrip()


@dataclass
class PoemReport:
    form: str
    lines: list[LineReport]
    violations: list[Violation] = field(default_factory=list)  # poem-level: line count, rhyme scheme
    notes: list[str] = field(default_factory=list)  # e.g. which template matched

    @property
    def ok(self) -> bool:
        return not self.violations and all(line.ok for line in self.lines)

    def broken_rules(self) -> list[str]:
        """Every rule broken anywhere, each once, in the order first met."""
        seen: dict[str, None] = {}
        for v in [*self.violations, *(v for line in self.lines for v in line.violations)]:
            seen.setdefault(v.rule, None)
        return list(seen)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["ok"] = self.ok
        for line, obj in zip(data["lines"], self.lines, strict=True):
            line["ok"] = obj.ok
        return data

    def render(self) -> str:
        """Readable report: each line with its pattern, template, marks and problems, then the verdict."""
        out: list[str] = []
        for line in self.lines:
            count = f"{line.units}" + (f"/{line.expected_units}" if line.expected_units is not None else "")
            status = "ok" if line.ok else "FAIL"
            out.append(f"{line.index + 1:>2}. {line.text}  [{count}] {status}")
            if line.pattern or line.expected:
                out.append(f"    found    {line.pattern}")
                if line.expected:
                    out.append(f"    expected {line.expected}")
                marks = line.marks()
                if marks.strip():
                    out.append(f"             {marks}")
            if line.rhyme:
                out.append(f"    rhyme    {line.rhyme}")
            out += [f"    - {v.rule}: {v.message}" for v in line.violations]
            out += [f"    note: {n}" for n in line.notes]
        out += [f"- {v.rule}: {v.message}" for v in self.violations]
        out += [f"note: {n}" for n in self.notes]
        out.append(f"{self.form}: {'PASS' if self.ok else 'FAIL (' + ', '.join(self.broken_rules()) + ')'}")
        return "\n".join(out)
