"""The example on the API reference's first page (book/api.md) runs as printed, with the
registry's current names and call shape (it is what a reader copies first), and every method it
calls returns an estimate."""

import re
from pathlib import Path

PAGE = Path(__file__).resolve().parent.parent / "book" / "api.md"


def test_the_api_example_runs(capsys):
    code = re.search(r"```python\n(.*?)```", PAGE.read_text(), re.S).group(1)
    exec(compile(code, str(PAGE), "exec"), {})
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) >= 5, lines
    for line in lines:
        err = float(line.rsplit(" ", 1)[1])
        assert err == err, line  # not NaN: the method returned an estimate
