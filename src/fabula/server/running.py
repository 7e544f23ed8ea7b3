"""Running the app under uvicorn: in the foreground (`fabula serve`) or on a background thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import FastAPI

from fabula.errors import BackendUnavailable

__all__ = ["base_url", "serve", "serve_in_background"]


def base_url(host: str, port: int) -> str:
    """The URL OpenAI clients take as `base_url`."""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return f"http://{host}:{port}/v1"


def serve(app: FastAPI, host: str = "127.0.0.1", port: int = 8000, log_level: str = "info") -> None:
    """Serve until interrupted (Ctrl-C)."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level=log_level)


@contextmanager
def serve_in_background(
    app: FastAPI, host: str = "127.0.0.1", port: int = 0, *, startup_timeout: float = 60.0, log_level: str = "warning"
) -> Iterator[str]:
    """Serve `app` on a daemon thread while the block runs; yields its base URL.

    Port 0 (the default) lets the OS pick a free port; the URL carries the
    port actually bound. For notebooks, scripts and tests:

        with serve_in_background(create_app("house:en")) as url:
            openai.OpenAI(base_url=url, api_key="none").completions.create(...)
    """
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level=log_level, lifespan="on"))
    thread = threading.Thread(target=server.run, name="fabula-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    try:
        while not server.started:
            if not thread.is_alive():
                raise BackendUnavailable("The server stopped while starting (the model failed to load?); see the log above.")
            if time.monotonic() > deadline:
                raise BackendUnavailable(f"The server did not start within {startup_timeout:g} s.")
            time.sleep(0.01)
        bound_port = server.servers[0].sockets[0].getsockname()[1]
        yield base_url(host, bound_port)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
