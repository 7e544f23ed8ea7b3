"""Chinese forms: the 平水韵 lexicon and the regulated-verse (近体诗) checker."""
