"""Shared figure styles: one look for every chapter (labelled axes, units, settings in titles)."""

from __future__ import annotations

import re

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

#: one colour per method, the same in every chapter
METHOD_COLORS = {
    "oracle": "#000000",
    "latent_pursuit": "#d62728",
    "layered_bp": "#1f77b4",
    "gd": "#2ca02c",
    "linf_lp": "#1f77b4",
    "l1_lp": "#ff7f0e",
    "relaxation": "#9467bd",
    "adam": "#8c564b",
}


def use_book_style() -> None:
    """Matplotlib defaults of the book (a fixed, font-independent look for the PNGs)."""
    mpl.rcParams.update(
        {
            "figure.figsize": (6.4, 4.0),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.size": 10,
            "axes.titlesize": 10,
            "legend.fontsize": 9,
            "legend.frameon": False,
        }
    )


def quantile_ribbon(ax, x, values, *, color, label, quantiles=(10, 25, 75, 90), clip=None):
    """Median line with two shaded ribbons (P1 Fig. 4 style: 10-90 % light, 25-75 % darker).

    Args:
        x: (m,) grid; values: (m, trials) measurements per grid point.
        clip: (lo, hi) to clip values to before taking quantiles (e.g. inf SNR of exact recovery).
    """
    v = np.asarray(values, dtype=float)
    if clip is not None:
        v = np.clip(v, *clip)
    q = np.nanpercentile(v, [50, *quantiles], axis=1)
    ax.plot(x, q[0], color=color, label=label, lw=1.8)
    lo1, lo2, hi2, hi1 = q[1:]
    ax.fill_between(x, lo1, hi1, color=color, alpha=0.12, lw=0)
    ax.fill_between(x, lo2, hi2, color=color, alpha=0.25, lw=0)
    return ax


def image_grid(images, *, rows: int, titles=None, cmap="gray", vmin=None, vmax=None, size=1.2):
    """A grid of square images (e.g. MNIST digits as (N, 784) or (N, 28, 28))."""
    imgs = np.asarray(images)
    if imgs.ndim == 2:
        side = int(round(imgs.shape[1] ** 0.5))
        imgs = imgs.reshape(len(imgs), side, side)
    cols = int(np.ceil(len(imgs) / rows))
    fig, axes = plt.subplots(rows, cols, figsize=(size * cols, size * rows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(imgs):
            ax.imshow(imgs[i], cmap=cmap, vmin=vmin, vmax=vmax)
            if titles is not None:
                ax.set_title(titles[i], fontsize=8)
    return fig


#: the width, in characters, that printed output may use: it fits the book's text column
TEXT_WIDTH = 88


def wrap(text: str, width: int = TEXT_WIDTH) -> str:
    """``text`` with every line longer than ``width`` characters wrapped (shorter lines, e.g.
    the rows of a printed table, are kept as they are), for printed output."""
    import textwrap

    return "\n".join(
        textwrap.fill(line, width, subsequent_indent="  ") if len(line) > width else line
        for line in text.split("\n")
    )


_NUMBER = re.compile(r"[-+]?[0-9.,]+(e[-+]?[0-9]+)?\s*%?")


def show_table(header: list[str], rows: list[list], *, caption: str | None = None) -> None:
    """Display a small table: an HTML table in the book (cells wrap to the text column) and
    aligned plain text elsewhere. Cells are shown with ``str``; round numbers before."""
    from html import escape

    from IPython.display import display

    cells = [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in [header, *cells]) for i in range(len(header))]
    # numbers (and empty cells) right-aligned, text left-aligned, per column
    numeric = [all(_NUMBER.fullmatch(r[i]) or not r[i] for r in cells) for i in range(len(header))]
    plain = "\n".join(
        "  ".join(
            c.rjust(w) if num else c.ljust(w) for c, w, num in zip(r, widths, numeric, strict=True)
        ).rstrip()
        for r in [header, *cells]
    )

    def style(i: int) -> str:
        align = "right" if numeric[i] else "left"
        return f"padding:2px 8px;text-align:{align};overflow-wrap:break-word"

    head = "".join(f'<th style="{style(i)}">{escape(h)}</th>' for i, h in enumerate(header))
    body = "".join(
        "<tr>"
        + "".join(f'<td style="{style(i)}">{escape(c)}</td>' for i, c in enumerate(r))
        + "</tr>"
        for r in cells
    )
    cap = f'<caption style="caption-side:top">{escape(caption)}</caption>' if caption else ""
    html = (
        '<table class="book-table" style="border-collapse:collapse;font-size:0.85em;'
        f'max-width:100%">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    )
    if caption:
        plain = caption + "\n" + plain
    display({"text/plain": plain, "text/html": html}, raw=True)
