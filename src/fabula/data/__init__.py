"""Corpus preparation: one module per corpus, each writing split JSONL files and a data card."""
