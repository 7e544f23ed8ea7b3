"""How chat messages become one prompt for a (base) model.

The template is deliberately plain, because house models and most local
checkpoints are base models with no chat format of their own:

- a conversation that is a single user message is sent verbatim, so
  `/v1/chat/completions` and `/v1/completions` agree on plain prompts (this
  is what Fabula's own `openai:` backend sends);
- otherwise each message becomes a paragraph `Role: content` (System, User,
  Assistant, Tool; `developer` counts as System), paragraphs are separated by
  a blank line, and the prompt ends with `Assistant:` for the model to
  continue. If the last message is the assistant's, the model continues that
  message instead. Generation also stops at the next `\\n\\nUser:`.
"""

from __future__ import annotations

__all__ = ["NEXT_TURN_STOP", "TURN_SEPARATOR", "render_chat"]

ROLE_NAMES = {"system": "System", "developer": "System", "user": "User", "assistant": "Assistant", "tool": "Tool"}
TURN_SEPARATOR = "\n\n"
NEXT_TURN_STOP = "\n\nUser:"


def render_chat(messages: list[tuple[str, str]]) -> tuple[str, tuple[str, ...]]:
    """The prompt for `(role, text)` messages, and the stop strings it adds."""
    if len(messages) == 1 and messages[0][0] == "user":
        return messages[0][1], ()
    turns = [f"{ROLE_NAMES.get(role, role.capitalize())}: {text}" for role, text in messages]
    if not messages or messages[-1][0] != "assistant":
        turns.append("Assistant:")
    return TURN_SEPARATOR.join(turns), (NEXT_TURN_STOP,)
