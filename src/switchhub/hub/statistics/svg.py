"""Charts as SVG rendered on the server (no script, no CDN): a bar chart and a line chart.

Accessible: each chart is `role="img"` with a `<title>` and a `<desc>`, every bar and point has its
own `<title>` (shown as a tooltip), and the page puts the same figures in a table next to it.
Colours are presentation attributes (the CSP allows no inline styles).
"""

from __future__ import annotations

from html import escape

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22")
W, H, LEFT, BOTTOM, TOP = 720, 300, 56, 40, 24


def _nice_max(value: int) -> int:
    if value <= 5:
        return 5
    step = 10 ** (len(str(value)) - 1)
    return ((value + step - 1) // step) * step


def _frame(chart_id: str, title: str, desc: str, top: int, body: list[str], height: int = H) -> str:
    plot_h = H - TOP - BOTTOM  # the plot keeps its size; a taller chart has room for a legend
    ticks = []
    for i in range(5):
        v = top * i // 4
        y = TOP + plot_h - plot_h * i / 4
        ticks.append(f'<line x1="{LEFT}" x2="{W - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{v}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" role="img"'
            f' viewBox="0 0 {W} {height}" width="{W}" height="{height}"'
            f' aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc">'
            f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
            f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>'
            + "".join(ticks) + "".join(body) + "</svg>")


def bar_chart(chart_id: str, title: str, bars: list[tuple[str, int]]) -> str:
    """One bar per label (e.g. per area), its value on top."""
    top = _nice_max(max((v for _, v in bars), default=0))
    plot_w, plot_h = W - LEFT - 10, H - TOP - BOTTOM
    slot = plot_w / max(len(bars), 1)
    body = []
    for i, (label, value) in enumerate(bars):
        h = plot_h * value / top
        x = LEFT + i * slot + slot * 0.15
        y = TOP + plot_h - h
        body.append(f'<g class="bar"><title>{escape(label)}: {value}</title>'
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}"'
                    f' fill="{COLOURS[i % len(COLOURS)]}"/>'
                    f'<text x="{x + slot * 0.35:.1f}" y="{y - 3:.1f}" text-anchor="middle" font-size="11">{value}</text>'
                    f'<text x="{x + slot * 0.35:.1f}" y="{H - BOTTOM + 16}" text-anchor="middle" font-size="11">'
                    f'{escape(label)}</text></g>')
    desc = "、".join(f"{label} {value}" for label, value in bars)
    return _frame(chart_id, title, desc, top, body)


def line_chart(chart_id: str, title: str, periods: list[str], series: list[tuple[str, list[int]]]) -> str:
    """One line per series (e.g. per area) over the periods, with a legend below."""
    top = _nice_max(max((v for _, values in series for v in values), default=0))
    legend_rows = (len(series) + 4) // 5
    height = H + 18 * legend_rows
    plot_w, plot_h = W - LEFT - 10, H - TOP - BOTTOM
    step = plot_w / max(len(periods) - 1, 1)

    def xy(i: int, v: int) -> tuple[float, float]:
        return LEFT + i * step, TOP + plot_h - plot_h * v / top

    body = []
    label_every = max(1, len(periods) // 8)
    for i, p in enumerate(periods):
        if i % label_every == 0:
            x, _ = xy(i, 0)
            body.append(f'<text x="{x:.1f}" y="{H - BOTTOM + 16}" text-anchor="middle" font-size="11">'
                        f'{escape(p)}</text>')
    for n, (label, values) in enumerate(series):
        colour = COLOURS[n % len(COLOURS)]
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in enumerate(values)))
        dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"><title>{escape(label)} '
                       f'{escape(periods[i])}: {values[i]}</title></circle>'
                       for i, (x, y) in enumerate(xy(i, v) for i, v in enumerate(values)))
        lx, ly = LEFT + (n % 5) * 130, H + 18 * (n // 5) - 4
        body.append(f'<g class="series"><polyline points="{points}" fill="none" stroke="{colour}"'
                    f' stroke-width="2"/>{dots}<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{colour}"/>'
                    f'<text x="{lx + 14}" y="{ly}" font-size="11">{escape(label)}</text></g>')
    desc = "; ".join(f"{label}: " + ", ".join(f"{p} {v}" for p, v in zip(periods, values)) for label, values in series)
    return _frame(chart_id, title, desc, top, body, height)
