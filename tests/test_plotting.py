"""The book's figure style (lib.book.plotting): column-wide figures, fonts >= 9 pt, legends off the
data, image grids that fit the column."""

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lib.book import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def book_style():
    with matplotlib.rc_context():
        plotting.use_book_style()
        yield
    plt.close("all")


def png_width(fig) -> int:
    """Width in pixels of the PNG the notebooks store (the inline backend: tight bounding box)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    buf.seek(0)
    return plt.imread(buf).shape[1]


def all_text(fig):
    return [t for t in fig.findobj(matplotlib.text.Text) if t.get_text() and t.get_visible()]


def test_fonts_are_at_least_the_minimum():
    fig, axes = plotting.subplots(1, 3, sharey=True)
    for ax in axes:
        ax.plot([1, 2, 3], [1, 4, 9], label="a curve")
        ax.set(title="a title", xlabel="x label", ylabel="y label")
    plotting.legend_below(fig)
    fig.canvas.draw()
    sizes = [t.get_fontsize() for t in all_text(fig)]
    assert sizes and min(sizes) >= plotting.MIN_FONT


def test_a_book_figure_fits_the_column():
    fig, axes = plotting.subplots(2, 3, height=5.0)
    for ax in axes.flat:
        ax.plot(np.arange(10), label="curve")
        ax.set(title="a panel title", xlabel="hidden width", ylabel="SNR (dB)")
    plotting.legend_below(fig, axes[0, 0])
    # the inline backend's tight bounding box pads 0.1 in on each side
    assert png_width(fig) <= (plotting.COLUMN_WIDTH + 0.2) * plotting.DPI
    # a figure drawn wider than the column would be scaled down in the browser: caught here
    wide, ax = plt.subplots(figsize=(13, 3))
    ax.plot([0, 1])
    assert png_width(wide) > plotting.COLUMN_WIDTH * plotting.DPI


def test_the_legend_is_below_the_axes_not_over_the_data():
    fig, ax = plotting.subplots()
    ax.plot(np.linspace(0, 1, 50), np.linspace(0, 1, 50) ** 2, label="data")
    ax.plot([0, 1], [1, 0], label="more data")
    leg = plotting.legend_below(fig, ax)
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    assert leg.get_window_extent(r).y1 <= ax.get_window_extent(r).y0
    assert [t.get_text() for t in leg.get_texts()] == ["data", "more data"]


def test_an_image_grid_fits_the_column():
    fig = plotting.image_grid(np.zeros((60, 784)), rows=6, size=1.2, titles=["0.12"] * 60)
    w, _ = fig.get_size_inches()
    assert w <= plotting.COLUMN_WIDTH
    assert min(t.get_fontsize() for t in all_text(fig)) >= plotting.MIN_FONT
