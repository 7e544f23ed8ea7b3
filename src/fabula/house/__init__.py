"""House models: checkpoints trained by this project and shipped inside it."""
