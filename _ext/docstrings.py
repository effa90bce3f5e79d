"""Sphinx extension for the API reference: lib's docstrings write norms and set sizes as |x|,
which reStructuredText would read as substitution references; escape those bars, except inside
inline literals and literal blocks."""

import re

_LITERAL = re.compile(r"(``.*?``)")
_BARS = re.compile(r"(?<![\\|])\|(?=\S)([^|`]*?\S)\|(?![|_])")


def _escape(text: str) -> str:
    parts = _LITERAL.split(text)
    return "".join(p if p.startswith("``") else _BARS.sub(r"\\|\1\\|", p) for p in parts)


def escape_bars(app, what, name, obj, options, lines):
    block_indent = None  # inside a literal block (after a line ending in "::")
    for i, line in enumerate(lines):
        indent = len(line) - len(line.lstrip())
        if block_indent is not None:
            if line.strip() and indent <= block_indent:
                block_indent = None
            else:
                continue
        lines[i] = _escape(line)
        if line.rstrip().endswith("::"):
            block_indent = indent


def setup(app):
    app.connect("autodoc-process-docstring", escape_bars)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
