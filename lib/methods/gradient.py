"""Gradient-based latent recovery: the baseline every paper compares against.

    min_z  f(z) = 1/2 || M (G(z) - y) ||_2^2

with M the diagonal 0/1 mask of observed entries (identity when nothing is hidden). P1 runs plain
gradient descent with a searched step size and a momentum variant, P2 plain gradient descent with
learning rate 1 (random nets) or 1e-3 (MNIST), P3 gradient descent and Adam under a sub-sampling
mask.

One engine: :func:`gradient_descent` (plain, momentum or Adam, a decaying step, a start point,
stopping on the gradient or on the fit), P1's step-size rule over it (:func:`gd_step_search`),
one restart rule (:func:`restart`: random restarts and P3's negation restart, used by
:func:`gd_restarts` and :func:`lib.methods.recovery.recover`), and each paper's prescription as a
named preset (:data:`PRESETS`).

All signals of a batch are optimised together but independently: the loss is a sum over signals,
so its gradient row b is the gradient of signal b's own loss. Every signal stops on its own
gradient-norm tolerance (its rows are frozen from then on), so no signal runs longer than it needs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import torch

from lib.core.checks import check_count, check_positive
from lib.core.generator import Generator
from lib.core.observation import check_observation, undetermined
from lib.core.result import InversionResult, demote_undetermined

OPTIMIZERS = ("gd", "momentum", "adam")
#: host syncs: the loop tests "has every signal stopped?" only every this many steps (a signal
#: that stops is frozen at once on the device, so this changes no result, only the wall time)
SYNC_EVERY = 16
#: below this fraction of signals still running, gradient descent computes only those (a frozen
#: signal's loss and gradient do not change, so this changes the time, never the answer)
COMPACT_AT = 0.75


@dataclass
class GDResult(InversionResult):
    """Result of a batched gradient-based inversion (:class:`lib.core.result.InversionResult`).

    ``iterations`` counts the gradient steps each signal took; ``layers`` are the hidden layers
    of G(z_hat) (gradient descent estimates only z). Per signal ``status`` is 'converged'
    (||grad f|| <= ``tol`` and a live network), 'fitted' (stopped early because the relative
    residual reached ``stop_fit_tol``), 'budget' (``max_iter`` steps ran out),
    'diverged' (the loss or z became inf/NaN: z is the last finite iterate) or 'dead' (a hidden
    layer of G(z_hat) has no active unit: G is locally constant, the gradient vanishes, yet z is
    not determined).

    Extra attributes: loss (B,) final f(z); grad_norm (B,) final ||grad f||_2; converged (B,)
    bool, a stopping tolerance was reached (whatever the status).
    """

    loss: torch.Tensor | None = None
    grad_norm: torch.Tensor | None = None
    converged: torch.Tensor | None = None


def hidden_layers(G, z: torch.Tensor) -> list[torch.Tensor]:
    """The hidden layers [x_1, ..., x_L] of G(z), each flattened to (B, n_i): a dense
    :class:`lib.core.generator.Generator` or a :class:`lib.core.convnet.ConvGenerator` (no
    autograd graph)."""
    with torch.no_grad():
        if isinstance(G, Generator):
            return G.forward(z).x
        return [x.reshape(x.shape[0], -1) for x in G.layers(z)[:-1]]


def _status(G, z, stopped, diverged, mask, fitted=None) -> tuple[list[torch.Tensor], list[str]]:
    """Per-signal status of a gradient run (see :class:`GDResult`) and the layers of G(z):
    'converged' where ``stopped``, 'fitted' where the stop was the data fit (``fitted``); a
    signal observing fewer entries than n_0 is 'not_unique' instead."""
    layers = hidden_layers(G, z)
    dead = torch.zeros(z.shape[0], dtype=torch.bool, device=z.device)
    if G.hidden == "relu":
        for x in layers:
            dead |= ~(x > 0).any(dim=1)
    if fitted is None:
        fitted = torch.zeros_like(stopped)
    words = []
    for d, dd, c, f in zip(
        diverged.tolist(), dead.tolist(), stopped.tolist(), fitted.tolist(), strict=True
    ):
        words.append(
            "diverged" if d else "dead" if dd else "fitted" if f else "converged" if c else "budget"
        )
    return layers, demote_undetermined(words, undetermined(G, mask, z.shape[0]))


def latent_loss(G: Generator, z: torch.Tensor, y: torch.Tensor, mask=None) -> torch.Tensor:
    """f(z) = 1/2 ||M (G(z) - y)||^2 per signal, shape (B,)."""
    return _loss(G, G.check_latent(z), y, mask)


def _derivative(name: str, a: torch.Tensor, x: torch.Tensor, slope: float) -> torch.Tensor:
    """phi'(a) of the activation ``name`` at pre-activation a with x = phi(a) (as autograd
    takes it: ReLU and LeakyReLU switch at a > 0; PLU with alpha 0.1, c 1)."""
    if name == "relu":
        return (a > 0).to(a.dtype)
    if name == "leaky_relu":
        return torch.where(a > 0, torch.ones_like(a), torch.full_like(a, slope))
    if name == "identity":
        return torch.ones_like(a)
    if name == "tanh":
        return 1 - x * x
    if name == "sigmoid":
        return x * (1 - x)
    if name == "plu":
        return torch.where(a.abs() <= 1.0, torch.ones_like(a), torch.full_like(a, 0.1))
    raise ValueError(f"unknown activation {name!r}")


def _loss_and_grad(G, z, y, mask) -> tuple[torch.Tensor, torch.Tensor]:
    """f(z) = 1/2 ||M (G(z) - y)||^2 and its gradient for a latent already checked. A dense
    :class:`lib.core.generator.Generator` is differentiated by hand (one pass forward, one back:
    grad = J^T M r, the chain rule through each layer), which saves autograd's bookkeeping on
    these small networks; any other generator (convolutional) goes through autograd."""
    if not isinstance(G, Generator):
        zz = z.detach().requires_grad_(True)
        f = _loss(G, zz, y, mask)
        (gz,) = torch.autograd.grad(f.sum(), zz)
        return f.detach(), gz
    pre, outs = G.run(z)
    r = outs[-1] - y
    if mask is not None:
        r = r * mask
    f = 0.5 * (r * r).sum(dim=1)
    d = r  # M r: M is 0/1, so M (M r) = M r
    for i in range(G.L, -1, -1):
        d = _times_derivative(G.hidden if i < G.L else G.output, d, pre[i], outs[i], G.slope)
        d = d @ G.weights[i]
    return f, d


def _times_derivative(name: str, d, a, x, slope: float) -> torch.Tensor:
    """d * phi'(a), the chain rule's product, in one fused kernel where torch has one (the
    kernels autograd itself uses for ReLU and LeakyReLU: the same values as the product, up to
    the sign of a zero)."""
    if name == "relu":
        return torch.ops.aten.threshold_backward(d, a, 0)
    if name == "leaky_relu":
        return torch.ops.aten.leaky_relu_backward(d, a, slope, False)
    return d * _derivative(name, a, x, slope)


def _loss(G, z, y, mask) -> torch.Tensor:
    """:func:`latent_loss` of a latent already checked (the inner loop: no per-step checks)."""
    r = G.apply(z) - y
    if mask is not None:
        r = r * mask
    return 0.5 * (r * r).sum(dim=1)


def gradient_descent(
    G: Generator,
    y: torch.Tensor,
    *,
    mask: torch.Tensor | None = None,
    z0: torch.Tensor | None = None,
    seed: int = 0,
    lr: float | torch.Tensor = 1.0,
    max_iter: int = 1000,
    optimizer: str = "gd",
    momentum: float = 0.9,
    decay: float = 1.0,
    decay_every: int = 1000,
    betas: tuple[float, float] = (0.9, 0.999),
    tol: float = 1e-9,
    stop_fit_tol: float = 0.0,
) -> GDResult:
    """Minimise f(z) = 1/2 ||M (G(z) - y)||^2 over z, batched over the rows of y.

    Args:
        G: the generator; y: (B, n) observations; mask: 1 = observed pixel, (n,) or (B, n).
        z0: initial latents (B, n_0); default z0 ~ N(0, I) drawn from ``seed``.
        lr: step size, a number or a (B,) tensor of per-signal step sizes.
        max_iter: the budget, in gradient steps per signal.
        optimizer: 'gd' (z -= lr g), 'momentum' (heavy ball, v = momentum v + g; z -= lr v; P1's
            trained-net baseline) or 'adam' (P3 Sec. 4.3).
        decay, decay_every: multiply lr by ``decay`` every ``decay_every`` steps (P1's decaying
            step).
        tol: a signal stops once ||grad f||_2 <= tol (P1 uses 1e-9, P2 1e-9).
        stop_fit_tol: a signal also stops once its relative residual
            ||M (G(z) - y)|| / ||M y|| is at most this (default 0: never;
            :func:`lib.methods.recovery.recover` sets it far below its success test).
    A stopped signal is frozen; once fewer than :data:`COMPACT_AT` of them run, only the
    running ones are computed.
    """
    y, mask = check_observation(G, y, mask)
    stop_fit_tol = check_positive("stop_fit_tol", stop_fit_tol, allow_zero=True)
    options = dict(lr=lr, max_iter=max_iter, optimizer=optimizer, momentum=momentum, decay=decay)
    options |= dict(decay_every=decay_every, betas=betas, tol=tol)
    return _descend(G, y, mask, z0, seed, loss_tol=_fit_loss(y, mask, stop_fit_tol), **options)


def _fit_loss(y: torch.Tensor, mask, fit_tol: float) -> torch.Tensor:
    """(B,) the loss f = 1/2 ||M (G(z) - y)||^2 at which the relative residual
    ||M (G(z) - y)|| / ||M y|| equals ``fit_tol``: 1/2 fit_tol^2 ||M y||^2."""
    My = y if mask is None else y * mask.to(y.dtype)
    return 0.5 * fit_tol**2 * (My * My).sum(1)


def _check_options(max_iter, optimizer, momentum, decay, decay_every, betas, tol):
    """The options of :func:`gradient_descent`, checked (ValueError naming the argument)."""
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer={optimizer!r}: choose one of {OPTIMIZERS}")
    max_iter = check_count("max_iter", max_iter)
    decay_every = check_count("decay_every", decay_every, minimum=1)
    tol = check_positive("tol", tol, allow_zero=True)
    decay = check_positive("decay", decay)
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum={momentum!r}: expected a number in [0, 1)")
    if len(betas) != 2 or not all(0 <= b < 1 for b in betas):
        raise ValueError(f"betas={betas!r}: expected two numbers in [0, 1)")
    return max_iter, decay_every, tol, decay


def _per_signal(name: str, v, G, B: int, *, allow_zero: bool) -> torch.Tensor:
    """``v`` (a number or one value per signal) as a (B,) tensor on G's dtype and device,
    checked finite and > 0 (>= 0 with ``allow_zero``); ValueError naming ``name``."""
    t = torch.as_tensor(v, dtype=G.dtype, device=G.device)
    if t.ndim > 1 or (t.ndim == 1 and t.shape[0] != B):
        raise ValueError(f"{name}: a number or one per signal ({B},), got {tuple(t.shape)}")
    low = (t >= 0) if allow_zero else (t > 0)
    if not bool((torch.isfinite(t) & low).all()):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name}={v!r}: expected finite numbers {bound}")
    return t.expand(B).clone()


def _start(G, B: int, z0, seed: int) -> torch.Tensor:
    """The start point: ``z0`` checked, or z0 ~ N(0, I) drawn from ``seed``."""
    if z0 is None:
        gen = torch.Generator().manual_seed(seed)
        return torch.randn(B, G.dims[0], generator=gen, dtype=G.dtype).to(G.device)
    z = G.check_latent(z0).clone()
    if z.shape[0] != B:
        raise ValueError(f"z0 has {z.shape[0]} rows but y has {B}")
    if not bool(torch.isfinite(z).all()):
        raise ValueError("z0 contains inf")
    return z


def _descend(
    G,
    y,
    mask,
    z0,
    seed,
    *,
    lr=1.0,
    max_iter=1000,
    optimizer="gd",
    momentum=0.9,
    decay=1.0,
    decay_every=1000,
    betas=(0.9, 0.999),
    tol=1e-9,
    loss_tol=0.0,
) -> GDResult:
    """:func:`gradient_descent` on an observation already checked (y, mask as
    :func:`lib.core.observation.check_observation` returns them), with its defaults;
    ``loss_tol``: the early stop as a loss, a number or one per signal (``_fit_loss``)."""
    max_iter, decay_every, tol, decay = _check_options(
        max_iter, optimizer, momentum, decay, decay_every, betas, tol
    )
    B = y.shape[0]
    z = _start(G, B, z0, seed)
    lr_b = _per_signal("lr", lr, G, B, allow_zero=False)[:, None]
    loss_tol_b = _per_signal("loss_tol", loss_tol, G, B, allow_zero=True)
    m1 = torch.zeros_like(z)
    m2 = torch.zeros_like(z)
    active = torch.ones(B, dtype=torch.bool, device=G.device)
    diverged = torch.zeros(B, dtype=torch.bool, device=G.device)
    n_steps = torch.zeros(B, dtype=torch.long, device=G.device)
    t0 = time.perf_counter()
    # the mask as 0/1 numbers of G's dtype, converted once (not at every product)
    mask_x = None if mask is None else mask.to(G.dtype)

    def grad_of(z, rows=None):
        """f and its gradient at z; with ``rows``, only those signals' (the others' entries
        are returned unchanged from the current ``loss`` and ``g``)."""
        if rows is None:
            return _loss_and_grad(G, z, y, mask_x)
        m = mask_x if mask_x is None or mask_x.ndim == 1 else mask_x[rows]
        Gs = G.select(rows) if hasattr(G, "select") else G
        f, gz = _loss_and_grad(Gs, z[rows], y[rows], m)
        f_all, g_all = loss.clone(), g.clone()
        f_all[rows], g_all[rows] = f.detach(), gz
        return f_all, g_all

    loss, g = grad_of(z)
    gnorm = torch.linalg.vector_norm(g, dim=1)
    rows = None  # the signals still computed (None: all); updated every SYNC_EVERY steps
    for t in range(1, max_iter + 1):
        active &= (gnorm > tol) & (loss > loss_tol_b)
        if t % SYNC_EVERY == 1:
            n_active = int(active.sum())
            if n_active == 0:
                break
            # stopped signals are frozen: compute only the others once few enough remain
            rows = None if n_active > COMPACT_AT * B else active.nonzero().flatten()
        step_lr = lr_b if decay == 1.0 else lr_b * decay ** ((t - 1) // decay_every)
        if optimizer == "gd":
            upd = step_lr * g
        elif optimizer == "momentum":
            m1 = torch.where(active[:, None], momentum * m1 + g, m1)
            upd = step_lr * m1
        else:  # adam, with per-signal step counts so frozen signals keep their state
            b1, b2 = betas
            m1 = torch.where(active[:, None], b1 * m1 + (1 - b1) * g, m1)
            m2 = torch.where(active[:, None], b2 * m2 + (1 - b2) * g * g, m2)
            k = (n_steps + 1).to(G.dtype)[:, None]
            upd = step_lr * (m1 / (1 - b1**k)) / ((m2 / (1 - b2**k)).sqrt() + 1e-8)
        z_new = torch.where(active[:, None], z - upd, z)
        loss_new, g_new = grad_of(z_new, rows)
        # divergence: a non-finite iterate, loss or gradient freezes the signal at its last
        # finite iterate and marks it (no host sync: all on the device)
        bad = active & ~torch.isfinite(torch.cat([z_new, g_new, loss_new[:, None]], 1)).all(1)
        diverged |= bad
        active &= ~bad
        keep = bad[:, None]
        z = torch.where(keep, z, z_new)
        loss = torch.where(bad, loss, loss_new)
        g = torch.where(keep, g, g_new)
        n_steps += active.long()
        gnorm = torch.linalg.vector_norm(g, dim=1)
    converged = gnorm <= tol
    stopped = converged | (loss <= loss_tol_b)
    layers, status = _status(G, z.detach(), stopped, diverged, mask, fitted=stopped & ~converged)
    return GDResult(
        z.detach(),
        layers,
        status,
        n_steps.cpu(),
        time.perf_counter() - t0,
        f"gradient descent ({optimizer})",
        loss=loss,
        grad_norm=gnorm,
        converged=stopped.cpu(),
    )


#: P1 Sec. 6.1: the step sizes tried for gradient descent on random networks
P1_STEP_SIZES = (1e-1, 1e0, 1e1, 1e2, 1e3, 1e4)


@dataclass
class StepSearchResult(GDResult):
    """A :class:`GDResult` plus the step size chosen for each signal (``lr``, (B,))."""

    lr: torch.Tensor | None = None


def gd_step_search(
    G: Generator,
    y: torch.Tensor,
    *,
    mask: torch.Tensor | None = None,
    lrs: tuple[float, ...] = P1_STEP_SIZES,
    max_iter: int = 10_000,
    tol: float = 1e-9,
    seed: int = 0,
    z0: torch.Tensor | None = None,
    optimizer: str = "gd",
    **kwargs,
) -> StepSearchResult:
    """P1 Sec. 6.1's gradient-descent rule: per signal, the *smallest* step size of ``lrs`` whose
    run of ``max_iter`` steps reaches ||grad f|| <= ``tol``.

    The step sizes are tried in increasing order, each only on the signals that no smaller step
    size brought to the tolerance (the same start for every try: ``z0``, or z0 ~ N(0, I) from
    ``seed``), so the rule costs one run for the signals the smallest step size already solves.
    A signal that no step size brings to the tolerance keeps the run with the smallest final
    loss (``converged`` False). ``iterations`` counts every step of every try. P1 applies the
    rule per network; per signal is the same rule at a finer grain (stated in the book). Other
    keyword arguments go to :func:`gradient_descent`.
    """
    y, mask = check_observation(G, y, mask)
    return _step_search(G, y, mask, lrs, max_iter, tol, seed, z0, optimizer, **kwargs)


def _step_search(G, y, mask, lrs, max_iter, tol, seed, z0, optimizer="gd", **kwargs):
    """:func:`gd_step_search` on an observation already checked."""
    if not lrs:
        raise ValueError("lrs: give at least one step size")
    lrs = tuple(sorted(check_positive(f"lrs[{i}]", v) for i, v in enumerate(lrs)))
    B = y.shape[0]
    z0 = _start(G, B, z0, seed)
    t0 = time.perf_counter()
    best: GDResult | None = None
    diverged = torch.zeros(B, dtype=torch.bool)
    lr_b = torch.full((B,), lrs[0], dtype=G.dtype)
    todo = torch.arange(B)
    run = dict(max_iter=max_iter, optimizer=optimizer, tol=tol, **kwargs)
    for lr in lrs:
        idx = todo.to(G.device)
        m = mask if mask is None or mask.ndim == 1 else mask[idx]
        # a batched ConvGenerator holds one network per row: take the same rows of it
        Gt = G.select(idx) if getattr(G, "batched", False) else G
        r = _descend(Gt, y[idx], m, z0[idx], seed, lr=lr, **run)
        r_div = torch.tensor([w == "diverged" for w in r.status], dtype=torch.bool)
        if best is None:
            best = r
            diverged = r_div
            lr_b[:] = lr
        else:
            better = r.converged | (~best.converged[todo] & (r.loss.cpu() < best.loss[idx].cpu()))
            sel = todo[better]
            bi = better.to(G.device)
            best.z[sel.to(G.device)] = r.z[bi]
            best.loss[sel.to(G.device)] = r.loss[bi]
            best.grad_norm[sel.to(G.device)] = r.grad_norm[bi]
            best.iterations[todo] += r.iterations  # every try's steps count
            best.converged[sel] = r.converged[better]
            diverged[sel] = r_div[better]
            lr_b[sel] = lr
        todo = torch.arange(B)[~best.converged]
        if len(todo) == 0:
            break
    assert best is not None
    stopped = best.converged.to(G.device)
    layers, status = _status(G, best.z, stopped, diverged.to(G.device), mask)
    seconds, method = time.perf_counter() - t0, f"gradient descent ({optimizer}), P1 step-size rule"
    new = dict(layers=layers, status=status, seconds=seconds, method=method, lr=lr_b)
    return StepSearchResult(**(vars(best) | new))  # the kept runs' z, iterations, loss, ...


def gd_restarts(
    G: Generator,
    y: torch.Tensor,
    *,
    mask: torch.Tensor | None = None,
    lrs: tuple[float, ...] = P1_STEP_SIZES,
    max_iter: int = 10_000,
    restarts: int = 1,
    fit_tol: float = 1e-6,
    tol: float = 1e-9,
    seed: int = 0,
    first: StepSearchResult | None = None,
) -> StepSearchResult:
    """GD with P1's step rule (:func:`gd_step_search`) from ``restarts`` random starts and, after
    the first, from the negation of its end point (P3's restart, after Hand and Voroninski), by
    the engine's restart rule (:func:`restart`): a later run is made only for the signals whose
    relative residual ||M (G(z) - y)|| / ||M y|| is still above ``fit_tol``, and per signal the
    run with the lowest loss is kept. ``status``: the kept run's own word; ``iterations``: the
    gradient steps of every run.

    ``first``: the first run, when the caller has already made it (the result of
    ``gd_step_search(G, y, mask=mask, lrs=lrs, max_iter=max_iter, tol=tol, seed=seed)``, the
    same call the first restart makes): it is copied, not run again, and its seconds count.
    """
    y, mask = check_observation(G, y, mask)
    restarts = check_count("restarts", restarts, minimum=1)
    fit_tol = check_positive("fit_tol", fit_tol)
    t0 = time.perf_counter()
    run = dict(max_iter=max_iter, tol=tol)
    if first is not None:
        if first.z.shape != (y.shape[0], G.dims[0]):
            raise ValueError(f"first: a run on these {y.shape[0]} signals, got {first.z.shape}")
        t0 -= first.seconds  # its time is part of this method's
        copies = {f: getattr(first, f).clone() for f in (*_ROW_FIELDS, "iterations")}
        first = replace(first, status=list(first.status), **copies)  # the caller's run untouched
    else:
        first = _step_search(G, y, mask, lrs, seed=seed, z0=None, **run)

    def again(idx, z0, k):
        if z0 is not None:  # the negation restart, with the smallest step size
            return _step_search(G, y[idx], _rows(mask, idx), (min(lrs),), seed=0, z0=z0, **run)
        return _step_search(
            G, y[idx], _rows(mask, idx), lrs, seed=seed + 101 * (k - 1), z0=None, **run
        )

    starts = ("negation",) + ("random",) * (restarts - 1)
    best, _ = restart(G, y, mask, first, again, starts, fit_tol)
    best.layers = hidden_layers(G, best.z)
    best.seconds = time.perf_counter() - t0
    best.method = "gradient descent, P1 step rule, random and negation restarts"
    best.status = demote_undetermined(best.status, undetermined(G, mask, y.shape[0]))
    return best


def _rows(mask, idx: torch.Tensor):
    """The mask of rows ``idx`` (a shared (n,) mask is the same for all rows)."""
    return mask if mask is None or mask.ndim == 1 else mask[idx.to(mask.device)]


#: the per-signal fields a restart copies from the run it keeps
_ROW_FIELDS = ("z", "loss", "grad_norm", "converged", "lr")


def restart(G, y, mask, first: GDResult, again, starts, fit_tol: float):
    """The engine's restart rule, shared by :func:`gd_restarts` and
    :func:`lib.methods.recovery.recover`.

    ``first`` is a run on every signal; ``starts`` the later runs in order, each "negation" (from
    minus the first run's end point: P3 Thm 1's second stationary point sits near -rho z*, Hand
    and Voroninski's restart) or "random"; ``again(idx, z0, k)`` makes the k-th later run on the
    signals ``idx`` (CPU indices) from ``z0`` (None: a fresh random start). Each later run covers
    only the signals whose loss is still above the fit ``fit_tol`` (relative residual, see
    ``_fit_loss``); per signal the run with the lowest loss is kept (its z, loss, status and
    the other per-signal fields), and ``iterations`` add up over every run.

    Returns ``first`` updated in place, and the (B,) bool of the signals given a second run.
    """
    B = y.shape[0]
    thresh = _fit_loss(y, mask, fit_tol).cpu()
    z_first = first.z.clone()
    first.status = list(first.status)
    restarted = torch.zeros(B, dtype=torch.bool)
    for k, kind in enumerate(starts, 1):
        todo = (first.loss.cpu() > thresh).nonzero().flatten()
        if len(todo) == 0:
            break
        if k == 1:
            restarted[todo] = True
        z0 = -z_first[todo.to(z_first.device)] if kind == "negation" else None
        r = again(todo.to(y.device), z0, k)
        first.iterations[todo] += r.iterations.cpu()
        better = (r.loss.cpu() < first.loss.cpu()[todo]).nonzero().flatten()
        rows = todo[better]
        for name in _ROW_FIELDS:
            dst, src = getattr(first, name, None), getattr(r, name, None)
            if dst is not None and src is not None:
                dst[rows.to(dst.device)] = src[better.to(src.device)].to(dst.dtype)
        for j, b in zip(better.tolist(), rows.tolist(), strict=True):
            first.status[b] = r.status[j]
    return first, restarted


#: What each paper prescribes for its gradient baseline, as options of this module's functions
#: (the chapters take them at the papers' scale from :mod:`lib.book.experiments`, which states
#: where the book's scale is smaller):
#:
#: - ``p1_random``: P1 Sec. 6.1 on random nets, :func:`gd_step_search`: the smallest step size of
#:   {1e-1, ..., 1e4} that reaches ||grad f|| <= 1e-9 within 10,000 steps;
#: - ``p1_trained``: P1 Sec. 6.2 on the trained net, :func:`gradient_descent`: momentum 0.9,
#:   step 0.1 halved every 2,000 of 10,000 steps ("gradually decays");
#: - ``p2_random`` / ``p2_mnist``: P2 Sec. 5, :func:`gradient_descent`: step 1 (random nets) or
#:   1e-3 (MNIST), until ||grad f|| <= 1e-9 or the budget (1,000 / 10,000 steps);
#: - ``p3``: P3 Sec. 4.3, :func:`lib.methods.recovery.recover`: Adam, step 0.1, 500 steps, with the
#:   negation restart.
PRESETS: dict[str, dict] = {
    "p1_random": dict(lrs=P1_STEP_SIZES, max_iter=10_000, tol=1e-9),
    "p1_trained": dict(
        optimizer="momentum", momentum=0.9, lr=0.1, decay=0.5, decay_every=2_000,
        max_iter=10_000, tol=1e-9,
    ),
    "p2_random": dict(lr=1.0, max_iter=1_000, tol=1e-9),
    "p2_mnist": dict(lr=1e-3, max_iter=10_000, tol=1e-9),
    "p3": dict(optimizer="adam", lr=0.1, max_iter=500, negation_restart=True),
}  # fmt: skip
