"""Training house models: one loop for pre-training now and fine-tuning later.

    config.py      the typed run config (TOML/YAML), validated on load
    formatting.py  documents → sequences: control tokens, titles, fill-in-the-middle
    tokenizer.py   byte-level BPE (English), one token per character (Chinese)
    dataset.py     cached token memmaps and the seeded window sampler
    trainable.py   the hook deciding which parameters train and how they are saved
    checkpoint.py  atomic, exactly resumable checkpoints
    loop.py        the training loop and the export of the best model
    evaluate.py    held-out perplexity of a saved checkpoint

See docs/training.md. Modules are imported on use: importing this package loads no torch.
"""
