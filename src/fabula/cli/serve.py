"""`fabula serve`: an OpenAI-compatible HTTP API over any Fabula model."""

from __future__ import annotations

import typer

app = typer.Typer(help="Serve a model over an OpenAI-compatible HTTP API (streaming included).")


@app.callback(invoke_without_command=True)
def serve(
    model: str = typer.Option(None, "--model", "-m", help="Model spec to serve (default house model)."),
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="TCP port."),
) -> None:
    """Start the server; point any OpenAI client at http://HOST:PORT/v1."""
    try:
        import uvicorn
    except ImportError as exc:
        from fabula.errors import BackendUnavailable

        raise BackendUnavailable("`fabula serve` needs the server extra: pip install 'fabula[server]'") from exc
    from fabula.server import create_app

    uvicorn.run(create_app(model), host=host, port=port, log_level="info")
