"""A run's report: metric tables with 95% intervals, quality-diversity curves, samples side by side.

    write_report(store, run_id, Path("report"))  # report.md, report.html, img/quality-diversity.png

The HTML file is self-contained (the plot is embedded as a base64 PNG); the Markdown file links
the PNG beside it. Every file is written atomically. Sample text is HTML-escaped in both (Markdown
renders HTML, so a sample holding `<script>` must not become one).
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass
from pathlib import Path

from fabula.atomic import write_bytes_atomic, write_text_atomic
from fabula.eval.compare import bootstrap_mean_ci
from fabula.eval.runs import EvalRun, Sample, get_run, run_samples, run_values
from fabula.eval.suite_metrics import METRICS
from fabula.store import Store

__all__ = ["Cell", "Report", "build_report", "html_report", "markdown_report", "plot_png", "write_report"]

PLOT = "img/quality-diversity.png"
_DIVERSITY = ("distinct_n", "self_bleu")  # x axis: the first of these the suite measures
_QUALITY = {"poem": ("form_compliance", "perplexity"), "*": ("perplexity",)}  # y axis, by task kind


@dataclass(frozen=True)
class Cell:
    mean: float
    low: float
    high: float
    n: int

    def __str__(self) -> str:
        return f"{self.mean:.3g} [{self.low:.3g}, {self.high:.3g}]"


@dataclass(frozen=True)
class Report:
    run: EvalRun
    temperatures: list[float]
    # task -> metric label -> temperature -> Cell
    tables: dict[str, dict[str, dict[float, Cell]]]
    samples: list[Sample]
    curves: dict[str, tuple[str, str]]  # task -> (x metric label, y metric label)


def build_report(store: Store, run_id: int) -> Report:
    run = get_run(store, run_id)
    groups: dict[tuple[str, str, float], list[float]] = {}
    for v in run_values(store, run_id):
        if v.value is not None:
            groups.setdefault((v.task, v.metric, v.temperature), []).append(v.value)
    order = {t["name"]: i for i, t in enumerate(run.config.get("tasks", []))}  # the suite's task order
    tables: dict[str, dict[str, dict[float, Cell]]] = {}
    for (task, metric, t), xs in sorted(groups.items(), key=lambda kv: (order.get(kv[0][0], len(order)), kv[0])):
        mean, low, high = bootstrap_mean_ci(xs)
        tables.setdefault(task, {}).setdefault(metric, {})[t] = Cell(mean, low, high, len(xs))
    return Report(run, list(run.config.get("temperatures", [])), tables, run_samples(store, run_id),
                  _curves(run, tables))


def _curves(run: EvalRun, tables: dict[str, dict[str, dict[float, Cell]]]) -> dict[str, tuple[str, str]]:
    kinds = {t["name"]: t["kind"] for t in run.config.get("tasks", [])}
    metric_of = {m["label"]: m["metric"] for m in run.config.get("metrics", [])}

    def first(task: str, wanted: tuple[str, ...]) -> str | None:
        for name in wanted:
            for label in tables.get(task, {}):
                if metric_of.get(label) == name:
                    return label
        return None

    chosen = run.config.get("curve", {})
    own_y = {t["name"]: t.get("curve_y") for t in run.config.get("tasks", [])}
    curves = {}
    for task, measured in tables.items():
        x = chosen.get("x") or first(task, _DIVERSITY)
        y = own_y.get(task) or chosen.get("y") or first(task, _QUALITY.get(kinds.get(task, ""), _QUALITY["*"]))
        if y not in measured:  # the suite's y is not measured on this task (a prose metric on poems)
            y = first(task, _QUALITY.get(kinds.get(task, ""), _QUALITY["*"]))
        if x in measured and y and len(measured[x]) >= 2:
            curves[task] = (x, y)
    return curves


def plot_png(report: Report) -> bytes | None:
    """One panel per task: quality against diversity, a point per temperature (None: nothing to plot)."""
    if not report.curves:
        return None
    import matplotlib

    matplotlib.use("Agg")  # no display; must precede pyplot
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(report.curves), figsize=(4.2 * len(report.curves), 3.6), squeeze=False)
    for ax, (task, (x, y)) in zip(axes[0], report.curves.items(), strict=True):
        cells = report.tables[task]
        ts = sorted(set(cells[x]) & set(cells[y]))
        xs, ys = [cells[x][t].mean for t in ts], [cells[y][t].mean for t in ts]
        yerr = [[cells[y][t].mean - cells[y][t].low for t in ts], [cells[y][t].high - cells[y][t].mean for t in ts]]
        ax.errorbar(xs, ys, yerr=yerr, marker="o", capsize=3)
        for t, px, py in zip(ts, xs, ys, strict=True):
            ax.annotate(f"T={t:g}", (px, py), textcoords="offset points", xytext=(5, 5), fontsize=8)
        if _metric(report, y) == "perplexity":  # it grows about exponentially with temperature
            ax.set_yscale("log")
        ax.set_title(task)
        ax.set_xlabel(f"{x} ({_better(report, x)})")
        ax.set_ylabel(f"{y} ({_better(report, y)})")
        ax.grid(alpha=0.3)
    fig.suptitle(f"{report.run.suite} run {report.run.id}: quality vs diversity over temperature", fontsize=10)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, metadata={"Software": None})  # no version stamp: stable bytes
    plt.close(fig)
    return buffer.getvalue()


def _metric(report: Report, label: str) -> str:
    return next((m["metric"] for m in report.run.config.get("metrics", []) if m["label"] == label), label)


def _better(report: Report, label: str) -> str:
    direction = METRICS[_metric(report, label)].direction if _metric(report, label) in METRICS else None
    return {"higher": "higher is better", "lower": "lower is better"}.get(direction or "", "no direction")


def _header(report: Report) -> list[tuple[str, str]]:
    r = report.run
    return [("suite", f"{r.suite} (file hash {r.suite_hash[:12]})"), ("model", r.model),
            ("Fabula", f"{r.fabula_version}" + (f", commit {r.git_commit[:10]}" if r.git_commit else "")),
            ("started", r.created_at), ("finished", r.finished_at or "not finished"),
            ("samples", f"{r.config.get('samples')} per prompt, seeds {r.config.get('seeds')}")]


def _side_by_side(report: Report) -> dict[str, list[tuple[str, dict[float, str]]]]:
    """task -> [(prompt, temperature -> the first sample of the first seed)]."""
    first_seed = (report.run.config.get("seeds") or [0])[0]
    out: dict[str, dict[int, tuple[str, dict[float, str]]]] = {}
    for s in report.samples:
        if s.sample_index == 0 and s.seed == first_seed:
            out.setdefault(s.task, {}).setdefault(s.prompt_index, (s.prompt, {}))[1][s.temperature] = s.output
    return {task: [rows[i] for i in sorted(rows)] for task, rows in out.items()}


def _md_cell(text: str) -> str:
    return html.escape(text.strip()).replace("|", "&#124;").replace("\n", "<br>") or "*(empty)*"


def markdown_report(report: Report, plot: str | None = PLOT) -> str:
    lines = [f"# Eval run {report.run.id}: suite {report.run.suite}", ""]
    lines += [f"- **{k}**: {html.escape(v)}" for k, v in _header(report)] + [""]
    lines += [("Each cell: mean [95% bootstrap interval] over the run's units (samples, or groups of samples "
               "for distinct-n and self-BLEU)."), ""]
    temps = report.temperatures
    for task, metrics in report.tables.items():
        lines += [f"## {task}", "", "| metric | better is | " + " | ".join(f"T={t:g}" for t in temps) + " |",
                  "|---|---|" + "---|" * len(temps)]
        for label, cells in metrics.items():
            direction = METRICS[_metric(report, label)].direction if _metric(report, label) in METRICS else None
            lines.append(f"| {label} | {direction or '-'} | " + " | ".join(str(cells[t]) if t in cells else "-"
                                                                          for t in temps) + " |")
        lines.append("")
    if plot and report.curves:
        lines += ["## Quality against diversity", "", f"![quality-diversity curves]({plot})", ""]
    lines += ["## Samples side by side", "", "The first sample of the first seed at each temperature.", ""]
    for task, rows in _side_by_side(report).items():
        lines += [f"### {task}", "", "| prompt | " + " | ".join(f"T={t:g}" for t in temps) + " |",
                  "|---|" + "---|" * len(temps)]
        for prompt, by_t in rows:
            lines.append(f"| {_md_cell(prompt)} | " + " | ".join(_md_cell(by_t.get(t, "")) for t in temps) + " |")
        lines.append("")
    return "\n".join(lines)


_CSS = """body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.35em .6em;vertical-align:top}
th{background:#f4f4f4}td.sample{white-space:pre-wrap;font-family:Georgia,serif;min-width:14em}
img{max-width:100%}"""


def html_report(report: Report, png: bytes | None) -> str:
    e = html.escape
    temps = report.temperatures
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>Eval run {report.run.id}</title>",
             f"<style>{_CSS}</style></head><body>", f"<h1>Eval run {report.run.id}: suite {e(report.run.suite)}</h1><ul>"]
    parts += [f"<li><b>{e(k)}</b>: {e(v)}</li>" for k, v in _header(report)] + ["</ul>"]
    heads = "".join(f"<th>T={t:g}</th>" for t in temps)
    for task, metrics in report.tables.items():
        parts.append(f"<h2>{e(task)}</h2><table><tr><th>metric</th><th>better is</th>{heads}</tr>")
        for label, cells in metrics.items():
            direction = METRICS[_metric(report, label)].direction if _metric(report, label) in METRICS else None
            row = "".join(f"<td>{e(str(cells[t])) if t in cells else '-'}</td>" for t in temps)
            parts.append(f"<tr><td>{e(label)}</td><td>{direction or '-'}</td>{row}</tr>")
        parts.append("</table>")
    if png:
        data = base64.b64encode(png).decode("ascii")
        parts.append(f"<h2>Quality against diversity</h2><img alt='quality-diversity curves' src='data:image/png;base64,{data}'>")
    parts.append("<h2>Samples side by side</h2><p>The first sample of the first seed at each temperature.</p>")
    for task, rows in _side_by_side(report).items():
        parts.append(f"<h3>{e(task)}</h3><table><tr><th>prompt</th>{heads}</tr>")
        for prompt, by_t in rows:
            cells = "".join(f"<td class='sample'>{e(by_t.get(t, ''))}</td>" for t in temps)
            parts.append(f"<tr><td class='sample'>{e(prompt)}</td>{cells}</tr>")
        parts.append("</table>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_report(store: Store, run_id: int, out: Path) -> list[Path]:
    """Write report.md, report.html and the plot PNG into `out`; returns the paths written."""
    report = build_report(store, run_id)
    png = plot_png(report)
    written = []
    if png:
        write_bytes_atomic(out / PLOT, png)
        written.append(out / PLOT)
    write_text_atomic(out / "report.md", markdown_report(report, PLOT if png else None))
    write_text_atomic(out / "report.html", html_report(report, png))
    return [out / "report.md", out / "report.html", *written]
