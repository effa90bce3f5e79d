"""The book's one figure style: every chapter draws with these sizes, fonts and helpers.

A figure is drawn at the width of the book's text column (:data:`COLUMN_WIDTH` inches at
:data:`DPI`), so that the browser shows it at the size it was drawn and its text keeps the font
sizes set here (at least 9 pt); a wider figure would be scaled down, and its text with it.
Legends go beside or below the axes (:func:`legend_below`), never over the data.
"""

from __future__ import annotations

import re
import textwrap
from html import escape

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

#: pixels per inch of the PNGs the notebooks store (what the browser shows, 1 px per px)
DPI = 100
#: the width of the book's figures in inches at :data:`DPI`: the text column of a 1280-pixel-wide
#: window is 688 px wide (jupyter-book 1.x, sphinx-book-theme), and the stored PNG adds the
#: inline backend's 0.1 in of padding on each side (6.8 in = 680 px), so a figure is never
#: scaled down (tests/test_browser.py fails on an image that is)
COLUMN_WIDTH = 6.6
#: smallest font size of any text in a figure, in points at :data:`COLUMN_WIDTH`
MIN_FONT = 9

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
    """Matplotlib defaults of the book: column-wide figures, fonts of 9-10 pt, no frame on
    legends (a fixed, font-independent look for the PNGs)."""
    mpl.rcParams.update(
        {
            "figure.figsize": (COLUMN_WIDTH, 3.0),
            "figure.dpi": DPI,
            "savefig.dpi": DPI,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.size": 10,
            "axes.titlesize": 10,
            "axes.labelsize": 10,
            "xtick.labelsize": MIN_FONT,
            "ytick.labelsize": MIN_FONT,
            "legend.fontsize": MIN_FONT,
            "legend.title_fontsize": MIN_FONT,
            "figure.titlesize": 10,
            "legend.frameon": False,
        }
    )


def subplots(nrows: int = 1, ncols: int = 1, *, height: float = 3.0, width: float = 1.0, **kw):
    """``plt.subplots`` for the book: ``width`` times the column wide, ``height`` inches high,
    with matplotlib's constrained layout (no ``tight_layout`` needed; :func:`legend_below` puts
    the legend under the axes)."""
    kw.setdefault("squeeze", True)
    return plt.subplots(
        nrows, ncols, figsize=(COLUMN_WIDTH * width, height), layout="constrained", **kw
    )


def legend_below(fig, ax=None, *, ncols: int | None = None, **kw):
    """One legend for the whole figure, centred below the axes (outside the data). Takes the
    labelled artists of ``ax`` (an axes or a list of axes; default: every axes of ``fig``),
    each label once. The figure needs a constrained layout (:func:`subplots`)."""
    axes = fig.axes if ax is None else np.atleast_1d(ax).ravel()
    handles, labels = [], []
    for a in axes:
        for h, lab in zip(*a.get_legend_handles_labels(), strict=True):
            if lab not in labels and not lab.startswith("_"):
                handles.append(h)
                labels.append(lab)
    ncols = ncols or min(len(labels), 4)
    return fig.legend(handles, labels, loc="outside lower center", ncols=ncols, **kw)


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
    """A grid of square images (e.g. MNIST digits as (N, 784) or (N, 28, 28)), each ``size``
    inches wide, or less, so that the grid fits the column's width."""
    imgs = np.asarray(images)
    if imgs.ndim == 2:
        side = int(round(imgs.shape[1] ** 0.5))
        imgs = imgs.reshape(len(imgs), side, side)
    cols = int(np.ceil(len(imgs) / rows))
    size = min(size, 0.98 * COLUMN_WIDTH / cols)
    high = titles is not None  # room for a title line above every image
    fig, axes = plt.subplots(
        rows, cols, figsize=(size * cols, (size + 0.2 * high) * rows), squeeze=False
    )
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(imgs):
            ax.imshow(imgs[i], cmap=cmap, vmin=vmin, vmax=vmax)
            if titles is not None:
                ax.set_title(titles[i], fontsize=MIN_FONT)
    return fig


#: the width, in characters, that printed output may use: it fits the book's text column
TEXT_WIDTH = 88


def wrap(text: str, width: int = TEXT_WIDTH) -> str:
    """``text`` with every line longer than ``width`` characters wrapped (shorter lines, e.g.
    the rows of a printed table, are kept as they are), for printed output."""
    return "\n".join(
        textwrap.fill(line, width, subsequent_indent="  ") if len(line) > width else line
        for line in text.split("\n")
    )


_NUMBER = re.compile(r"[-+]?[0-9.,]+(e[-+]?[0-9]+)?\s*%?")


def show_table(header: list[str], rows: list[list], *, caption: str | None = None) -> None:
    """Display a small table: an HTML table in the book (cells wrap to the text column) and
    aligned plain text elsewhere. Cells are shown with ``str``; round numbers before."""
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
