"""Model code for local checkpoints: a lean Llama forward pass and tokenizers."""
