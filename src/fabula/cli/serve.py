"""`fabula serve`: an OpenAI-compatible HTTP API over any Fabula model."""

from __future__ import annotations

import importlib.util

import typer

from fabula.errors import BackendUnavailable

app = typer.Typer(help="Serve a model over an OpenAI-compatible HTTP API (streaming included).")

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@app.callback(invoke_without_command=True)
def serve(
    model: str = typer.Option(None, "--model", "-m", help="Model spec to serve (default $FABULA_MODEL or house:en)."),
    host: str = typer.Option("127.0.0.1", help="Interface to listen on (0.0.0.0 for every interface)."),
    port: int = typer.Option(8000, help="TCP port (0 picks a free one)."),
    api_key: str = typer.Option(
        None, "--api-key", envvar="FABULA_SERVER_API_KEY",
        help="Require `Authorization: Bearer KEY` on every request.",
    ),
    log_level: str = typer.Option("info", help="uvicorn's log level (debug, info, warning, error)."),
) -> None:
    """Serve MODEL; point any OpenAI client (or -m openai:MODEL@URL) at http://HOST:PORT/v1."""
    missing = [name for name in ("fastapi", "uvicorn") if importlib.util.find_spec(name) is None]
    if missing:
        raise BackendUnavailable(f"`fabula serve` needs {' and '.join(missing)}: pip install 'fabula[server]'")
    from fabula.backends import resolve
    from fabula.server import create_app
    from fabula.server import serve as run
    from fabula.server.running import base_url

    backend = resolve(model)
    backend.load()  # fail here, with Fabula's message, rather than inside uvicorn's startup
    if host not in LOOPBACK and api_key is None:
        typer.echo(
            f"Warning: listening on {host} without --api-key: anyone who can reach port {port} can use the model.",
            err=True,
        )
    if port:
        url = base_url(host, port)
        typer.echo(f"Serving {backend.spec} at {url}; from Fabula: -m openai:{backend.spec}@{url}", err=True)
    run(create_app(backend, api_key=api_key), host=host, port=port, log_level=log_level)
