"""Training house models: tokenizers, the one training loop, export."""
