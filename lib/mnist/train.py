"""Training of the three papers' MNIST generators and of the digit classifier that scores them.

One command retrains any of them and writes its weights and metadata under ``data/``::

    python -m lib.mnist.train p1          # P1 Sec. 6.2: 20-128-392-784, BN + ReLU, PLU
    python -m lib.mnist.train p2          # P2 Sec. 5.2: 20-60-784, ReLU; original GAN loss
    python -m lib.mnist.train p3          # P3 Sec. 4.3: conditional DCGAN, 32x32, latent 10
    python -m lib.mnist.train p2vae       # P2's code: VAE, decoder 20-60-784 without biases
    python -m lib.mnist.train classifier  # the digit classifier used to score the samples

(P1 and P2 with a spectral-norm discriminator; ``--plain-discriminator`` trains without it.)

Training is seeded and deterministic on a given machine and thread count: module initialisation
runs under a forked global RNG seeded with ``seed`` (the caller's global state is untouched), and
the data order and every latent are drawn from a private ``torch.Generator``.

GAN loss (all three): the discriminator minimises the binary cross-entropy of real vs generated
digits; the generator minimises -log D(G(z)), the "non-saturating" form that Goodfellow et al.
(2014) recommend in the paper that introduced the original GAN objective (the minimax form
log(1 - D(G(z))) has vanishing gradients early in training). Adam for both networks: P3 uses the
DCGAN settings of Radford et al. (2016), lr 2e-4, betas (0.5, 0.999); the fully connected P1 and
P2 GANs use a faster discriminator than generator (the "two time-scale" rule of Heusel et al.
2017), which a sweep over 32 settings found to give clearly better digits (``DEFAULTS``).

P2's public code inverts a VAE decoder, not a GAN (:class:`lib.mnist.models.P2VAE`); ``p2vae``
trains it as that code's PyTorch VAE example does: the negative evidence lower bound (binary
cross-entropy of the sigmoid output, summed over pixels, plus the KL divergence of q(z|x) from
N(0, I); Kingma & Welling 2014), Adam with lr 1e-3, batches of 128 (:func:`train_vae`).

While a GAN trains, the committed digit classifier (if present) scores 1,000 samples every
``QUALITY_EVERY`` epochs; the curve is stored in the metadata (``history["quality"]``). Scoring
draws from its own seeded generator and does not change the training run.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch
from torch import nn

from lib.core.device import torch_threads
from lib.mnist import data as mdata
from lib.mnist.models import (
    LATENT,
    P2VAE,
    DenseDiscriminator,
    DigitClassifier,
    P1Generator,
    P2Generator,
    P3Discriminator,
    P3Generator,
)

DATA_DIR = mdata.DATA_DIR
KINDS = ("p1", "p2", "p3")
QUALITY_EVERY = 25  #: epochs between two quality scores during training
EPOCHS_VAE = 120  #: ~ the PyTorch VAE example's 4,690 steps (10 epochs of 60,000) on 5,000 digits
#: the settings of the committed weights (``python -m lib.mnist.train <kind>`` reproduces them)
DEFAULTS: dict[str, dict] = {
    # P1, P2: spectral-norm discriminator, two time-scale learning rates (Heusel et al. 2017);
    # chosen by a sweep of 32 settings scored with the classifier (README, "MNIST generators")
    "p1": dict(
        spectral=True, epochs=400, seed=1, batch_size=64, lr=1e-4, lr_D=4e-4, betas=(0.0, 0.9)
    ),
    "p2": dict(
        spectral=True, epochs=600, seed=2, batch_size=64, lr=5e-4, lr_D=2e-3, betas=(0.5, 0.999)
    ),
    "p3": {"epochs": 20, "seed": 3, "batch_size": 64, "lr": 2e-4, "betas": (0.5, 0.999)},
    "classifier": {"epochs": 15, "seed": 4, "batch_size": 64, "lr": 1e-3, "n_test": 1000},
    # P2's code: the PyTorch VAE example's optimiser and batch size
    "p2vae": {"epochs": EPOCHS_VAE, "seed": 5, "batch_size": 128, "lr": 1e-3},
}
ARCHITECTURES = {
    "p1": "P1 Sec. 6.2: Linear 20-128, BN, ReLU, Linear 128-392, BN, ReLU, Linear 392-784, PLU "
    "(alpha 0.1, c 1); images in [-1, 1]. Discriminator: spectral-norm Linear 784-256-128-1, "
    "LeakyReLU 0.2.",
    "p2": "P2 Sec. 5.2: Linear 20-60, ReLU, Linear 60-784, ReLU; images in [0, 1]. "
    "Discriminator: Linear 784-256-128-1, LeakyReLU 0.2, spectral norm when "
    "'spectral_norm_discriminator' is true.",
    "p3": "P3 Sec. 4.3: conditional DCGAN, [z (10), one-hot label (10)] -> ConvT 20-64 k4 s1 "
    "(4x4), BN, LeakyReLU 0.2 -> ConvT 64-32 k4 s2 p1 (8x8), BN, LReLU -> ConvT 32-16 (16x16), "
    "BN, LReLU -> ConvT 16-1 (32x32), tanh; images in [-1, 1] (MNIST resized to 32x32). "
    "Discriminator: [image, 10 label maps] -> Conv 11-16-32-64 k4 s2 p1, each BN + LReLU 0.2, "
    "-> Conv 64-1 k4 (logit).",
    "p2vae": "P2's public code: VAE without biases; encoder Linear 784-60 (fc1), ReLU, Linear "
    "60-20 (fc21: mean; fc22: log-variance); decoder Linear 20-60 (fc3), ReLU, Linear 60-784 "
    "(fc4), sigmoid; trained on digits in [0, 1]. The network inverted is ReLU(fc4 ReLU(fc3 z)), "
    "the ReLU of the decoder's pre-sigmoid logits (a bias-free 20-60-784 ReLU net).",
    "classifier": "CNN: Conv 1-16 k5, ReLU, maxpool 2, Conv 16-32 k5, ReLU, maxpool 2, "
    "Linear 1568-128, ReLU, dropout 0.25, Linear 128-10; input 28x28 in [0, 1].",
}
#: a GAN's losses in its history, and their formats in the progress line
_GAN_LOSSES = {"loss_D": "loss_D {:.3f}", "loss_G": "loss_G {:.3f}", "D_real": "D(x) {:.2f}"}
_GAN_LOSSES["D_fake"] = "D(G(z)) {:.2f}"


# ----------------------------------------------------------------------------- helpers
def _seeded(seed: int, build):
    """Build modules under a forked global RNG seeded with ``seed`` (torch's layer initialisers
    read the global RNG; forking keeps the caller's state untouched)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def _dcgan_init(m: nn.Module) -> None:
    """DCGAN initialisation (Radford et al. 2016): conv weights N(0, 0.02), BN scale N(1, 0.02)."""
    if isinstance(m, nn.Conv2d | nn.ConvTranspose2d):
        nn.init.normal_(m.weight, 0.0, 0.02)
        nn.init.zeros_(m.bias)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def training_images(kind: str, ds: mdata.MNIST) -> torch.Tensor:
    """The digits in the range and shape of ``kind``'s generator output: P1 (N, 784) in
    [-1, 1]; P2 (N, 784) in [0, 1]; P3 (N, 1, 32, 32) in [-1, 1] (resized, P3 Sec. 4.3)."""
    if kind == "p1":
        return ds.images.reshape(len(ds), -1) * 2 - 1
    if kind == "p2":
        return ds.images.reshape(len(ds), -1)
    if kind == "p3":
        return mdata.resize(ds.images, 32) * 2 - 1
    raise ValueError(f"kind={kind!r}: choose one of {KINDS}")


def to_digits(kind: str, x: torch.Tensor) -> torch.Tensor:
    """Generator outputs of ``kind`` as (N, 28, 28) digits in [0, 1] (what the classifier reads;
    P3's 32x32 outputs are resized back to 28x28)."""
    if kind == "p1":
        return ((x + 1) / 2).clamp(0, 1).reshape(len(x), 28, 28)
    if kind == "p2":
        return x.clamp(0, 1).reshape(len(x), 28, 28)
    if kind == "p3":
        return ((mdata.resize(x, 28)[:, 0] + 1) / 2).clamp(0, 1)
    raise ValueError(f"kind={kind!r}: choose one of {KINDS}")


def build(
    kind: str, seed: int, spectral: bool | None = None, hidden_D: tuple[int, ...] = (256, 128)
) -> tuple[nn.Module, nn.Module]:
    """(generator, discriminator) of ``kind``, initialised from ``seed``. ``spectral``: spectral
    normalization in the dense discriminator (default: as in ``DEFAULTS``); ``hidden_D``: its
    hidden widths."""
    if kind == "p3":
        G = _seeded(seed, P3Generator)
        D = _seeded(seed + 1000, P3Discriminator)
        _seeded(seed, lambda: G.apply(_dcgan_init))
        _seeded(seed + 1000, lambda: D.apply(_dcgan_init))
        return G, D
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r}: choose one of {KINDS}")
    spectral = DEFAULTS[kind]["spectral"] if spectral is None else spectral
    G = _seeded(seed, P1Generator if kind == "p1" else P2Generator)
    D = _seeded(seed + 1000, lambda: DenseDiscriminator(spectral=spectral, hidden=hidden_D))
    return G, D


def sample(kind: str, G: nn.Module, n: int, seed: int, labels=None) -> tuple[torch.Tensor, ...]:
    """n samples of the generator in eval mode: (outputs, z, labels). z ~ N(0, I) seeded; for P3
    the labels default to 0..9 repeated (a balanced set)."""
    gen = torch.Generator().manual_seed(seed)
    p = next(G.parameters())
    z = torch.randn(n, LATENT[kind], generator=gen).to(device=p.device, dtype=p.dtype)
    G.eval()
    with torch.no_grad():
        if kind == "p3":
            y = torch.arange(n) % 10 if labels is None else torch.as_tensor(labels)
            y = y.to(p.device)
            return G(z, y), z, y
        return G(z), z, None


def _epochs(train_step, losses, digits, n, n_batches, gen, label, run, on_epoch=None) -> dict:
    """The epoch loop of every training here: per epoch a permutation of the n items drawn from
    ``gen``, then ``n_batches`` batches of ``run["batch_size"]`` items, ``train_step(idx)``
    training on the items ``idx`` and returning the values of ``losses`` (name -> its format in
    the progress line). ``run``: ``epochs``, ``batch_size``, ``max_steps`` (stop after this many
    steps; None: all epochs), ``log_every`` (print ``label`` and the epoch's mean losses every
    this many epochs and at the last; 0: never). Stops early after an epoch where
    ``on_epoch(epoch, means, history)`` returns True. Returns the history: per epoch its number,
    the steps so far and each loss's mean (rounded to ``digits``), and the CPU/wall seconds."""
    epochs, batch_size = run["epochs"], run["batch_size"]
    max_steps, log_every = run["max_steps"], run["log_every"]
    names = tuple(losses)
    hist = {k: [] for k in ("epoch", "step", *names)}
    cpu0, wall0, step = time.process_time(), time.perf_counter(), 0
    for epoch in range(1, epochs + 1):
        perm = torch.randperm(n, generator=gen)
        sums, count, done = torch.zeros(len(names), dtype=torch.float64), 0, False
        for b in range(n_batches):
            values = train_step(perm[b * batch_size : (b + 1) * batch_size])
            sums += torch.tensor(values, dtype=torch.float64)
            count, step = count + 1, step + 1
            if max_steps is not None and step >= max_steps:
                done = True
                break
        m = (sums / max(count, 1)).tolist()
        hist["epoch"].append(epoch)
        hist["step"].append(step)
        for k, v in zip(names, m, strict=True):
            hist[k].append(round(v, digits))
        if log_every and (epoch % log_every == 0 or epoch == epochs or done):
            print(
                f"{label} epoch {epoch:4d} step {step:6d}: "
                + " ".join(f.format(v) for f, v in zip(losses.values(), m, strict=True))
                + f" ({time.perf_counter() - wall0:.0f} s)",
                flush=True,
            )
        if (on_epoch is not None and on_epoch(epoch, m, hist)) or done:
            break
    hist["cpu_seconds"] = round(time.process_time() - cpu0, 1)
    hist["wall_seconds"] = round(time.perf_counter() - wall0, 1)
    return hist


# ----------------------------------------------------------------------------- GAN training
def train_gan(
    kind: str,
    ds: mdata.MNIST,
    *,
    epochs: int,
    seed: int,
    batch_size: int = 64,
    lr: float = 2e-4,
    betas: tuple[float, float] = (0.5, 0.999),
    spectral: bool | None = None,
    max_steps: int | None = None,
    log_every: int = 0,
    threads: int | None = None,
    lr_D: float | None = None,
    loss: str = "bce",
    hidden_D: tuple[int, ...] = (256, 128),
    on_epoch=None,
) -> tuple[nn.Module, nn.Module, dict]:
    """Train ``kind``'s generator adversarially on ``ds`` (module doc: loss and optimiser).

    Args:
        epochs: passes over the data (the last incomplete batch of an epoch is dropped).
        seed: seeds initialisation (``seed``, discriminator ``seed + 1000``), data order and z.
        spectral: dense discriminator with spectral normalization (default: ``DEFAULTS``).
        lr_D: the discriminator's learning rate (default: ``lr``; a larger one is the "two
            time-scale" rule of Heusel et al. 2017).
        loss: 'bce' (the original GAN loss, non-saturating generator) or 'hinge' (the loss
            of Miyato et al. 2018's spectral-norm experiments).
        hidden_D: hidden widths of the dense discriminator (P1, P2).
        on_epoch: optional ``on_epoch(epoch, G)`` called after every epoch (G in train mode; it
            may switch modes but must restore ``G.train()``); returning True stops training.
        max_steps: stop after this many steps (a short demonstration run), else run all epochs.
        log_every: print the mean losses every ``log_every`` epochs (0: never).
        threads: torch CPU threads during training (restored afterwards); None keeps the
            current setting. One thread is fastest for these small nets on a shared machine.

    Returns (G in eval mode, D, history) with per-epoch means of the losses and of D's
    probabilities on real and generated digits, and the CPU/wall seconds of training.
    """
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs={epochs}, batch_size={batch_size}: must be positive")
    with torch_threads(threads):
        X = training_images(kind, ds)
        labels = ds.labels
        G, D = build(kind, seed, spectral, hidden_D)
        opt_G = torch.optim.Adam(G.parameters(), lr=lr, betas=betas)
        if loss not in ("bce", "hinge"):
            raise ValueError(f"loss={loss!r}: choose 'bce' or 'hinge'")
        opt_D = torch.optim.Adam(D.parameters(), lr=lr if lr_D is None else lr_D, betas=betas)
        bce = nn.BCEWithLogitsLoss()
        gen = torch.Generator().manual_seed(seed)

        def gan_step(idx):
            x = X[idx]
            z = torch.randn(batch_size, LATENT[kind], generator=gen)
            ones, zeros = torch.ones(batch_size), torch.zeros(batch_size)
            if kind == "p3":
                y = labels[idx]
                y_fake = torch.randint(0, 10, (batch_size,), generator=gen)
                fake = G(z, y_fake)
                d_real, d_fake = D(x, y), D(fake.detach(), y_fake)
            else:
                fake = G(z)
                d_real, d_fake = D(x), D(fake.detach())
            if loss == "bce":
                loss_D = bce(d_real, ones) + bce(d_fake, zeros)
            else:
                loss_D = torch.relu(1 - d_real).mean() + torch.relu(1 + d_fake).mean()
            opt_D.zero_grad(set_to_none=True)
            loss_D.backward()
            opt_D.step()
            d_gen = D(fake, y_fake) if kind == "p3" else D(fake)
            # non-saturating: minimise -log D(G(z)); hinge: minimise -D(G(z))
            loss_G = bce(d_gen, ones) if loss == "bce" else -d_gen.mean()
            opt_G.zero_grad(set_to_none=True)
            loss_G.backward()
            opt_G.step()
            p_real, p_fake = torch.sigmoid(d_real).mean(), torch.sigmoid(d_fake).mean()
            return [loss_D.item(), loss_G.item(), p_real.item(), p_fake.item()]

        G.train()
        D.train()
        run = dict(epochs=epochs, batch_size=batch_size, max_steps=max_steps, log_every=log_every)
        stop = None if on_epoch is None else lambda epoch, *_: on_epoch(epoch, G)
        hist = _epochs(gan_step, _GAN_LOSSES, 5, len(X), len(X) // batch_size, gen, kind, run, stop)
        G.eval()
        D.eval()
        return G, D, hist


# ----------------------------------------------------------------------------- VAE (P2's code)
def vae_loss(
    logits: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The two terms of the negative evidence lower bound per digit (Kingma & Welling 2014,
    Eq. 10 and Appendix B): the binary cross-entropy of sigmoid(logits) against the digit x,
    summed over pixels, and KL(N(mu, diag exp(logvar)) || N(0, I)) =
    -1/2 sum(1 + logvar - mu^2 - exp(logvar)); both averaged over the batch."""
    n = len(x)
    bce = nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="sum") / n
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / n
    return bce, kl


def train_vae(
    ds: mdata.MNIST,
    *,
    epochs: int,
    seed: int,
    batch_size: int = 128,
    lr: float = 1e-3,
    max_steps: int | None = None,
    log_every: int = 0,
    threads: int | None = None,
) -> tuple[P2VAE, dict]:
    """Train :class:`lib.mnist.models.P2VAE` on ``ds`` (digits in [0, 1]) by Adam on the negative
    evidence lower bound (:func:`vae_loss`), as P2's code's VAE was trained.

    Seeded like :func:`train_gan`: initialisation under a forked global RNG (``seed``), the data
    order and the reparametrisation noise from a private generator (``seed``). ``epochs``,
    ``max_steps``, ``log_every``, ``threads``: as in :func:`train_gan`.

    Returns (the VAE in eval mode, history): per-epoch means of the cross-entropy and the KL
    term (per digit), steps, and the CPU/wall seconds of training.
    """
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs={epochs}, batch_size={batch_size}: must be positive")
    with torch_threads(threads):
        X = training_images("p2", ds)
        vae = _seeded(seed, P2VAE)
        opt = torch.optim.Adam(vae.parameters(), lr=lr)
        gen = torch.Generator().manual_seed(seed)

        def vae_step(idx):
            x = X[idx]
            logits, mu, logvar = vae(x, generator=gen)
            bce, kl = vae_loss(logits, x, mu, logvar)
            opt.zero_grad(set_to_none=True)
            (bce + kl).backward()
            opt.step()
            return [bce.item(), kl.item()]

        vae.train()
        run = dict(epochs=epochs, batch_size=batch_size, max_steps=max_steps, log_every=log_every)
        losses = {"bce": "BCE {:.2f}", "kl": "KL {:.2f}"}
        hist = _epochs(vae_step, losses, 3, len(X), max(len(X) // batch_size, 1), gen, "p2vae", run)
    vae.eval()
    return vae, hist


def relu_logit_stats(vae: P2VAE, n: int = 1000, seed: int = 0) -> dict:
    """Lit pixels of the network P2's code inverts, ReLU of the decoder's logits, on n latents
    z ~ N(0, I) (seeded): mean and quartiles of the non-zero pixels per image, the mean of the
    lit pixels, and the mean and largest brightest pixel per image."""
    z = torch.randn(n, P2VAE.dims[0], generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        x = vae.relu_decoder()(z.to(vae.fc3.weight))
    lit = (x > 0).sum(1).double()
    q = torch.quantile(lit, torch.tensor([0.25, 0.5, 0.75], dtype=torch.float64)).tolist()
    top = x.max(1).values.double()
    return {
        "samples": n,
        "seed": seed,
        "nonzero_mean": round(lit.mean().item(), 1),
        "nonzero_quartiles": [round(v, 1) for v in q],
        "lit_pixel_mean": round(x[x > 0].double().mean().item(), 3),
        "brightest_mean": round(top.mean().item(), 2),
        "brightest_max": round(top.max().item(), 2),
    }


# ----------------------------------------------------------------------------- classifier
def train_classifier(
    train: mdata.MNIST,
    test: mdata.MNIST,
    *,
    epochs: int,
    seed: int,
    batch_size: int = 64,
    lr: float = 1e-3,
    log_every: int = 0,
) -> tuple[DigitClassifier, dict]:
    """Train the digit classifier (Adam, cross-entropy) on ``train``; report held-out accuracy on
    ``test``. Random shifts of up to 2 pixels augment the training digits (seeded). Dropout draws
    from torch's global RNG, so training runs under a forked global RNG seeded with ``seed``
    (the caller's state is restored afterwards)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed + 2000)
        return _train_classifier(train, test, epochs, seed, batch_size, lr, log_every)


def _train_classifier(train, test, epochs, seed, batch_size, lr, log_every):
    C = _seeded(seed, DigitClassifier)
    opt = torch.optim.Adam(C.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    X, y = train.images, train.labels

    def classifier_step(idx):
        shift = torch.randint(-2, 3, (2,), generator=gen).tolist()
        xb = torch.roll(X[idx], shifts=shift, dims=(1, 2))
        loss = nn.functional.cross_entropy(C(xb), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return [loss.item()]

    def test_accuracy(epoch, m, hist):
        acc = accuracy(C, test)
        C.train()
        hist.setdefault("test_accuracy", []).append(round(acc, 4))
        if log_every and epoch % log_every == 0:
            print(f"classifier epoch {epoch}: loss {m[0]:.4f} test acc {acc:.4f}")

    C.train()
    run = dict(epochs=epochs, batch_size=batch_size, max_steps=None, log_every=0)
    n = len(X)
    hist = _epochs(
        classifier_step, {"loss": ""}, 5, n, n // batch_size, gen, "", run, test_accuracy
    )
    del hist["step"]
    C.eval()
    return C, hist


def quality_score(kind: str, G: nn.Module, C: nn.Module, n: int = 1000, seed: int = 123) -> dict:
    """``score`` of n samples of ``kind``'s generator (z drawn from ``seed``; P3: balanced labels).
    Leaves G in eval mode."""
    x = sample(kind, G, n, seed)[0]
    return score(C, to_digits(kind, x.float()))


def accuracy(C: nn.Module, ds: mdata.MNIST) -> float:
    """Fraction of ``ds`` that the classifier labels correctly (eval mode)."""
    C.eval()
    with torch.no_grad():
        return (C(ds.images).argmax(1) == ds.labels).double().mean().item()


def score(C: nn.Module, digits: torch.Tensor, threshold: float = 0.9) -> dict:
    """Quality of generated digits (N, 28, 28) in [0, 1], scored by the classifier:

    - ``confident``: fraction of samples whose top class probability exceeds ``threshold``;
    - ``hist``: how many samples fall in each predicted class (mode collapse shows as classes
      with a tiny share);
    - ``pred``, ``conf``: per-sample predicted class and its probability.
    """
    C.eval()
    with torch.no_grad():
        p = torch.softmax(C(digits.float()), 1)
    conf, pred = p.max(1)
    return {
        "confident": (conf > threshold).double().mean().item(),
        "hist": torch.bincount(pred, minlength=10).tolist(),
        "pred": pred,
        "conf": conf,
    }


# ----------------------------------------------------------------------------- files
def paths(kind: str, data_dir: str | Path = DATA_DIR) -> tuple[Path, Path]:
    """(weights .pt, metadata .json) of ``kind`` in data_dir: 'p1', 'p2', 'p3', 'classifier',
    'p2vae' (P2's code's VAE), or 'p1_plain' / 'p2_plain' (trained with
    ``--plain-discriminator``, no spectral norm)."""
    stem = {"classifier": "mnist_classifier", "p2vae": "mnist_p2_vae"}.get(
        kind, f"mnist_{kind}_generator"
    )
    return Path(data_dir) / f"{stem}.pt", Path(data_dir) / f"{stem}.json"


def save(kind: str, module: nn.Module, meta: dict, data_dir: str | Path = DATA_DIR) -> None:
    """Write the float32 state_dict and the metadata (JSON) of ``kind``."""
    pt, js = paths(kind, data_dir)
    state = {k: (v.float() if v.is_floating_point() else v) for k, v in module.state_dict().items()}
    torch.save(state, pt)
    js.write_text(json.dumps(meta, indent=1) + "\n")


def load(kind: str, data_dir: str | Path = DATA_DIR) -> tuple[nn.Module, dict]:
    """The committed module of ``kind`` (eval mode, float32, on the CPU) and its metadata."""
    pt, js = paths(kind, data_dir)
    if not pt.exists():
        raise FileNotFoundError(f"{pt} not found: run `python -m lib.mnist.train {kind}`")
    module = {
        "p1": P1Generator,
        "p2": P2Generator,
        "p3": P3Generator,
        "p2vae": P2VAE,
        "classifier": DigitClassifier,
    }[kind.removesuffix("_plain")]()
    module.load_state_dict(torch.load(pt, map_location="cpu", weights_only=True))
    module.eval()
    return module, json.loads(js.read_text())


def _environment() -> dict:
    return {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "machine": platform.machine(),
    }


# ----------------------------------------------------------------------------- CLI
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Train a generator (p1, p2, p3) or the classifier.")
    ap.add_argument("kind", choices=(*KINDS, "p2vae", "classifier"))
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--seed", type=int)
    ap.add_argument(
        "--plain-discriminator",
        action="store_true",
        help="P1/P2: a discriminator without spectral normalization",
    )
    ap.add_argument("--out", default=str(DATA_DIR), help="folder for the .pt and .json files")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)  # one thread: fastest on a shared 2-core machine
    cfg = dict(DEFAULTS[args.kind])
    if args.epochs is not None:
        cfg["epochs"] = args.epochs
    if args.seed is not None:
        cfg["seed"] = args.seed
    command = "python -m lib.mnist.train " + " ".join(sys.argv[1:] if argv is None else argv)
    ds = mdata.load_mnist()
    meta = {
        "kind": args.kind,
        "architecture": ARCHITECTURES[args.kind],
        "data": {"source": ds.source, "detail": ds.detail, "count": len(ds)},
        "command": command.strip(),
        "environment": _environment(),
        "seed": cfg["seed"],
        "epochs": cfg["epochs"],
    }
    run = {k: cfg[k] for k in ("epochs", "seed", "batch_size", "lr")}  # every kind's options
    if args.kind == "classifier":
        train, test = mdata.split(ds, n_test=cfg["n_test"], seed=cfg["seed"])
        C, hist = train_classifier(train, test, log_every=1, **run)
        meta["data"].update(train=len(train), test=len(test), split_seed=cfg["seed"])
        meta.update(
            optimiser={"name": "Adam", "lr": cfg["lr"], "batch_size": cfg["batch_size"]},
            test_accuracy=hist["test_accuracy"][-1],
            history=hist,
            cpu_seconds=hist["cpu_seconds"],
            wall_seconds=hist["wall_seconds"],
        )
        save("classifier", C, meta, args.out)
        acc, pt = hist["test_accuracy"][-1], paths("classifier", args.out)[0]
        print(f"held-out accuracy {acc:.4f}; wrote {pt}")
        return 0
    if args.kind == "p2vae":
        return _main_vae(run, meta, ds, args.out)
    spectral = cfg.get("spectral", False) and not args.plain_discriminator
    quality = {"epoch": [], "confident": [], "min_class_share": []}
    C = load("classifier", args.out)[0] if paths("classifier", args.out)[0].exists() else None

    def on_epoch(epoch: int, G: nn.Module) -> bool:
        if C is not None and (epoch % QUALITY_EVERY == 0 or epoch == cfg["epochs"]):
            s = quality_score(args.kind, G, C)
            G.train()
            quality["epoch"].append(epoch)
            quality["confident"].append(round(s["confident"], 4))
            quality["min_class_share"].append(round(min(s["hist"]) / sum(s["hist"]), 4))
        return False

    gan = dict(betas=cfg["betas"], lr_D=cfg.get("lr_D"), spectral=spectral, on_epoch=on_epoch)
    G, D, hist = train_gan(args.kind, ds, log_every=5, **gan, **run)
    if C is not None:
        hist["quality"] = quality
    meta.update(
        steps=hist["step"][-1],
        spectral_norm_discriminator=bool(spectral),
        loss="non-saturating GAN loss (BCE; generator minimises -log D(G(z)))",
        optimiser={
            "name": "Adam",
            "lr": cfg["lr"],
            "lr_D": cfg.get("lr_D", cfg["lr"]),
            "betas": list(cfg["betas"]),
            "batch_size": cfg["batch_size"],
        },
        final_losses={k: hist[k][-1] for k in _GAN_LOSSES},
        cpu_seconds=hist["cpu_seconds"],
        wall_seconds=hist["wall_seconds"],
        history=hist,
    )
    name = args.kind + ("_plain" if args.plain_discriminator and args.kind != "p3" else "")
    save(name, G, meta, args.out)
    pt = paths(name, args.out)[0]
    print(f"trained {name} in {hist['cpu_seconds']} CPU s; wrote {pt}")
    return 0


def _main_vae(cfg: dict, meta: dict, ds: mdata.MNIST, out: str | Path) -> int:
    """Train, check and save P2's code's VAE (``python -m lib.mnist.train p2vae``); ``cfg``:
    epochs, seed, batch_size, lr."""
    vae, hist = train_vae(ds, log_every=10, **cfg)
    meta.update(
        steps=hist["step"][-1],
        loss="negative ELBO: binary cross-entropy of the sigmoid output (summed over pixels) + "
        "KL(q(z|x) || N(0, I)), per digit",
        optimiser={"name": "Adam", "lr": cfg["lr"], "batch_size": cfg["batch_size"]},
        final_losses={"bce": hist["bce"][-1], "kl": hist["kl"][-1]},
        relu_logits=relu_logit_stats(vae),
        cpu_seconds=hist["cpu_seconds"],
        wall_seconds=hist["wall_seconds"],
        history=hist,
    )
    if paths("classifier", out)[0].exists():
        C = load("classifier", out)[0]
        z = torch.randn(1000, P2VAE.dims[0], generator=torch.Generator().manual_seed(123))
        with torch.no_grad():
            s = score(C, vae.decode(z).reshape(-1, 28, 28))
        meta["quality"] = {
            "confident": round(s["confident"], 4),
            "min_class_share": round(min(s["hist"]) / sum(s["hist"]), 4),
            "of": "1,000 sigmoid decoder images, z ~ N(0, I) seed 123",
        }
    save("p2vae", vae, meta, out)
    st = meta["relu_logits"]
    print(
        f"trained p2vae in {hist['cpu_seconds']} CPU s; ReLU of the logits: "
        f"{st['nonzero_mean']} non-zero pixels per image, brightest {st['brightest_mean']} on "
        f"average; wrote {paths('p2vae', out)[0]}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
