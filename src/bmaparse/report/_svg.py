"""Charts as inline SVG, drawn here: horizontal bars, grouped bars, columns, a heat
map and lines.

Strategy: each function takes a few dozen values and returns one ``<svg>`` element
as text. Text stays text (``<text>``), so the browser lays out Thai labels with
its own fonts; labels are anchored (right-aligned before a bar, centred under a
column), never measured here, and cut to a length with the whole label in a
``<title>`` tooltip. Every mark carries ``data-label`` and ``data-value`` (the
exact number), which the page's tests read back. No script draws anything: the
file opens with scripts off, and nothing is fetched.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

PALETTE = ("#3b6fb6", "#e08a2c", "#5aa469", "#c8553d", "#8e6bb8", "#7f7f7f")
SEVERITY_COLOURS = {"error": "#c8553d", "warning": "#e0a42c", "info": "#3b6fb6"}
_ROW = 22
_LABEL_W = 300
_FONT = 12


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _short(text: str, width: int = 42) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def number(value: float, digits: int | None = None) -> str:
    """A value as the page shows it: with ``digits`` decimals when given, else whole
    numbers as such and others with 1 decimal; thousands separated."""
    if digits is not None:
        return f"{value:,.{digits}f}"
    if abs(value - round(value)) < 1e-9:
        return f"{round(value):,}"
    return f"{value:,.1f}"


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}"'
            f' width="{width}" height="{height}" role="img" aria-label="{_e(title)}">'
            f'<title>{_e(title)}</title>{"".join(body)}</svg>')


def _empty(title: str) -> str:
    return _svg(400, 40, title, [
        '<rect x="0" y="0" width="400" height="40" fill="#f4f4f4"/>',
        f'<text x="10" y="25" font-size="{_FONT}">nothing to show: {_e(title)}</text>'])


def _label(x: float, y: float, text: str, anchor: str = "end") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{_FONT}">'
            f'<title>{_e(text)}</title>{_e(_short(text))}</text>')


def bars(items: Sequence[tuple[str, float]], title: str, *, colours: Sequence[str] = (),
         unit: str = "", digits: int | None = None, width: int = 760) -> str:
    """Horizontal bars, one per (label, value), drawn top to bottom; ``colours`` per bar."""
    if not items:
        return _empty(title)
    top = max(value for _, value in items) or 1.0
    plot = width - _LABEL_W - 90
    body = []
    for i, (label, value) in enumerate(items):
        y = 8 + i * _ROW
        length = max(1.0, plot * value / top)
        colour = colours[i] if i < len(colours) else PALETTE[0]
        body.append(
            f'<g class="mark" data-label="{_e(label)}" data-value="{value!r}">'
            f'{_label(_LABEL_W - 8, y + 14, label)}'
            f'<rect x="{_LABEL_W}" y="{y}" width="{length:.1f}" height="{_ROW - 6}" fill="{colour}">'
            f'<title>{_e(label)}: {number(value, digits)}{unit}</title></rect>'
            f'<text x="{_LABEL_W + length + 4:.1f}" y="{y + 14}" font-size="{_FONT}">'
            f'{number(value, digits)}{unit}</text></g>')
    return _svg(width, 16 + len(items) * _ROW, title, body)


def grouped(categories: Sequence[str], series: Sequence[tuple[str, Sequence[float]]],
            title: str, *, unit: str = "", digits: int | None = None, width: int = 760) -> str:
    """Horizontal bars grouped per category, one bar per series, with a legend."""
    if not categories:
        return _empty(title)
    top = max((v for _, values in series for v in values), default=0.0) or 1.0
    plot = width - _LABEL_W - 110
    bar = 12
    group_h = bar * len(series) + 10
    body = [_legend([name for name, _ in series], 8)]
    for i, category in enumerate(categories):
        y0 = 30 + i * group_h
        body.append(_label(_LABEL_W - 8, y0 + group_h / 2 + 2, category))
        for s, (name, values) in enumerate(series):
            value = values[i]
            length = max(1.0, plot * value / top) if value else 0.0
            y = y0 + s * bar
            body.append(
                f'<g class="mark" data-label="{_e(category)}" data-series="{_e(name)}"'
                f' data-value="{value!r}"><rect x="{_LABEL_W}" y="{y}" width="{length:.1f}"'
                f' height="{bar - 2}" fill="{PALETTE[s % len(PALETTE)]}"><title>{_e(category)},'
                f' {_e(name)}: {number(value, digits)}{unit}</title></rect>'
                f'<text x="{_LABEL_W + length + 4:.1f}" y="{y + bar - 3}" font-size="10">'
                f'{number(value, digits)}</text></g>')
    return _svg(width, 40 + len(categories) * group_h, title, body)


def _legend(names: Sequence[str], y: int) -> str:
    parts = []
    for s, name in enumerate(names):
        x = _LABEL_W + s * 150
        parts.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{PALETTE[s % len(PALETTE)]}"/>'
                     f'<text x="{x + 16}" y="{y + 11}" font-size="{_FONT}">{_e(name)}</text>')
    return "".join(parts)


def columns(items: Sequence[tuple[str, float]], title: str, *, width: int = 760,
            height: int = 220) -> str:
    """Vertical columns (a distribution), one per (label, value), left to right."""
    if not items:
        return _empty(title)
    top = max(value for _, value in items) or 1.0
    left, bottom = 50, 40
    step = (width - left - 10) / len(items)
    plot = height - bottom - 20
    body = [f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}"'
            ' stroke="#999"/>']
    for i, (label, value) in enumerate(items):
        h = plot * value / top
        x = left + i * step
        body.append(
            f'<g class="mark" data-label="{_e(label)}" data-value="{value!r}">'
            f'<rect x="{x + 2:.1f}" y="{height - bottom - h:.1f}" width="{step - 4:.1f}"'
            f' height="{max(h, 0.5):.1f}" fill="{PALETTE[0]}"><title>{_e(label)}: {number(value)}'
            f'</title></rect><text x="{x + step / 2:.1f}" y="{height - bottom - h - 4:.1f}"'
            f' text-anchor="middle" font-size="10">{number(value)}</text>'
            f'<text x="{x + step / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle"'
            f' font-size="11">{_e(label)}</text></g>')
    return _svg(width, height, title, body)


def heatmap(rows: Sequence[str], cols: Sequence[str], values: Sequence[Sequence[float]],
            title: str) -> str:
    """A share (0-1) per row and column: a cell's colour from red (0) to green (1),
    its percentage written in it; column labels slanted above."""
    if not rows or not cols:
        return _empty(title)
    cell_w, cell_h, left = 46, 18, 180
    head = 30 + 5 * max(len(_short(c, 24)) for c in cols)  # slanted labels above
    width = left + cell_w * len(cols) + head  # room for the last slanted label
    height = head + cell_h * len(rows) + 10
    body = []
    for c, col in enumerate(cols):
        x = left + c * cell_w + cell_w / 2
        body.append(f'<text transform="translate({x:.1f},{head - 6}) rotate(-45)" font-size="11">'
                    f'<title>{_e(col)}</title>{_e(_short(col, 24))}</text>')
    for r, row in enumerate(rows):
        y = head + r * cell_h
        body.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end" font-size="11">'
                    f'{_e(row)}</text>')
        for c, col in enumerate(cols):
            share = values[r][c]
            x = left + c * cell_w
            body.append(
                f'<g class="mark" data-label="{_e(row)} / {_e(col)}" data-value="{share!r}">'
                f'<rect x="{x}" y="{y}" width="{cell_w - 1}" height="{cell_h - 1}"'
                f' fill="{_ramp(share)}"><title>{_e(row)}, {_e(col)}: {share:.1%}</title></rect>'
                f'<text x="{x + cell_w / 2:.1f}" y="{y + 13}" text-anchor="middle" font-size="10">'
                f'{share * 100:.0f}</text></g>')
    return _svg(width, height, title, body)


def _ramp(share: float) -> str:
    """Red (0) through yellow to green (1)."""
    share = min(1.0, max(0.0, share))
    if share < 0.5:
        r, g = 230, int(90 + 2 * share * 130)
    else:
        r, g = int(230 - (share - 0.5) * 2 * 150), 200
    return f"rgb({r},{g},110)"


def lines(points: Sequence[tuple[str, float, int]], title: str, *, width: int = 760,
          height: int = 240, top: float = 100.0) -> str:
    """One line over (x label, value, count) points, x in order; the count in each
    point's tooltip, every few x labels written."""
    if not points:
        return _empty(title)
    left, bottom = 50, 40
    plot_w, plot_h = width - left - 20, height - bottom - 20
    step = plot_w / max(1, len(points) - 1)
    coords = [(left + i * step, height - bottom - plot_h * min(v, top) / top)
              for i, (_, v, _) in enumerate(points)]
    body = [f'<line x1="{left}" y1="{height - bottom}" x2="{width - 20}" y2="{height - bottom}"'
            ' stroke="#999"/>']
    for tick in (0, 25, 50, 75, 100):
        y = height - bottom - plot_h * tick / top
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 20}" y2="{y:.1f}" stroke="#eee"/>'
                    f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="10">'
                    f'{tick}</text>')
    path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(coords))
    body.append(f'<path d="{path}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>')
    every = max(1, len(points) // 8)
    for i, ((label, value, n), (x, y)) in enumerate(zip(points, coords, strict=True)):
        body.append(f'<g class="mark" data-label="{_e(label)}" data-value="{value!r}">'
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{PALETTE[0]}">'
                    f'<title>{_e(label)}: {value:.1f}% ({n:,} projects)</title></circle></g>')
        if i % every == 0 or i == len(points) - 1:
            body.append(f'<text x="{x:.1f}" y="{height - bottom + 16}" text-anchor="middle"'
                        f' font-size="10">{_e(label)}</text>')
    return _svg(width, height, title, body)
