"""What the chapters need and nothing else in ``lib`` imports.

- :mod:`lib.book.notebook`: the chapters' first cell (:func:`setup_notebook`);
- :mod:`lib.book.experiments`: every experiment's sizes at the two scales, and the sweep runners;
- :mod:`lib.book.bench`: the cross-paper benchmark (every method on every generator);
- :mod:`lib.book.scorecard`: the claims cells and the scorecard;
- :mod:`lib.book.stored`: the stored benchmark runs the chapters quote;
- :mod:`lib.book.plotting`: the book's figure style.

May import every other layer.
"""

from lib.book.notebook import setup_notebook

__all__ = ["setup_notebook"]
