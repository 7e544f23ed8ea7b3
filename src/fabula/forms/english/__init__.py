"""English verse forms: a CMU-dictionary lexicon (`lexicon`) and the `en-verse` checker (`verse`)."""

from fabula.forms.english.verse import check, check_acrostic

__all__ = ["check", "check_acrostic"]
