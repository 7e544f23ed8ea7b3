"""Turning token ids into text as they arrive, with stop strings.

Byte-level tokenizers can split one character over several tokens, so text
is released only once it decodes cleanly; text that could be the start of a
stop string is held back until it is clear it is not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fabula.backends.base import Tokenizer

REPLACEMENT_CHAR = "\ufffd"


@dataclass
class TextStream:
    """Incremental detokenizer for one alternative."""

    tokenizer: Tokenizer
    stop: tuple[str, ...] = ()
    ids: list[int] = field(default_factory=list)
    text: str = ""  # all text decoded so far
    emitted: int = 0  # characters of `text` already released
    _prefix: int = 0  # ids[_prefix:_read] decode to a stable suffix of `text`
    _read: int = 0

    def push(self, token_id: int) -> tuple[str, bool]:
        """Add a token; return (text safe to release now, stop string hit)."""
        self.ids.append(token_id)
        stable = self.tokenizer.decode(self.ids[self._prefix : self._read])
        fresh = self.tokenizer.decode(self.ids[self._prefix :])
        if len(fresh) > len(stable) and not fresh.endswith(REPLACEMENT_CHAR):
            self.text += fresh[len(stable) :]
            self._prefix, self._read = self._read, len(self.ids)
        return self._release()

    def flush(self) -> str:
        """Everything not yet released (at the end of the alternative)."""
        tail = self.tokenizer.decode(self.ids[self._prefix :])
        stable = self.tokenizer.decode(self.ids[self._prefix : self._read])
        self.text += tail[len(stable) :]
        self._read = len(self.ids)
        self._prefix = self._read
        out, _ = self._release(final=True)
        return out

    def _release(self, final: bool = False) -> tuple[str, bool]:
        hit = self._find_stop()
        if hit is not None:
            out = self.text[self.emitted : hit]
            self.text = self.text[:hit]
            self.emitted = hit
            return out, True
        end = len(self.text) if final else len(self.text) - self._held_back()
        end = max(end, self.emitted)
        out = self.text[self.emitted : end]
        self.emitted = end
        return out, False

    def _find_stop(self) -> int | None:
        if not self.stop:
            return None
        longest = max(len(s) for s in self.stop)
        start = max(0, self.emitted - longest)
        hits = [i for s in self.stop if (i := self.text.find(s, start)) != -1]
        return min(hits) if hits else None

    def _held_back(self) -> int:
        """Length of the longest text suffix that begins some stop string."""
        best = 0
        for s in self.stop:
            for k in range(min(len(s) - 1, len(self.text)), best, -1):
                if self.text.endswith(s[:k]):
                    best = k
                    break
        return best
