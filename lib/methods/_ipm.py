"""P2 Alg. 1's l_inf LP for a whole batch of signals at once: an interior-point method in torch.

Alg. 1 (P2) solves, for one layer x = ReLU(W z + b) + e and a threshold eps, the LP

    min_{z, delta} delta   s.t.   -delta <= w_j^T z + b_j - x_j <= delta   if x_j > eps (on rows)
                                           w_j^T z + b_j - x_j <= delta   otherwise  (off rows)
                                  delta >= 0,   and, for a hidden layer (nonneg): z >= 0

(the cap delta <= eps is checked afterwards, see :class:`lib.methods.lp.LayerLP`). All signals of an
experiment share W; only x and the split into on and off rows differ. A simplex solver (HiGHS)
solves them one after the other; here one primal-dual interior-point method (Mehrotra's
predictor-corrector) runs on all of them together, so every iteration is a few batched matrix
products, and the expensive one, W^T D W for every signal, is a single matrix product with the
precomputed products w_j w_j^T.

An interior point only approaches the optimum. Each result is therefore turned into an *exact*
optimal vertex and checked (the "crossover"): the k + 1 constraints the interior point marks as
active are solved as equations, which gives a vertex v and multipliers lam; v is optimal when it
satisfies every constraint (primal feasible) and lam >= 0 (dual feasible): complementary slackness
holds by construction, so the two together are the LP's optimality conditions, verified directly
and independently of how v was found. A signal whose check fails is reported as not certified and
solved by the simplex instead (:meth:`lib.methods.lp.LayerLP.solve_batch`); nothing unverified is
returned.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class BatchLinfResult:
    """The l_inf LP solved for B signals.

    Attributes:
        z: (B, k) an optimal z (the certified vertex); rows of uncertified signals are NaN.
        delta: (B,) the optimal value delta* (NaN where not certified).
        ok: (B,) bool, the vertex passed the optimality check.
        iterations: (B,) interior-point iterations used per signal.
    """

    z: torch.Tensor
    delta: torch.Tensor
    ok: torch.Tensor
    iterations: torch.Tensor


class BatchLinfLP:
    """P2 Alg. 1's LP (above) for one layer's W, solved for many signals per call.

    Rows of the LP (m = 2n + 1, + k with ``nonneg``): U_j: w_j^T z - delta <= a_j (observed
    rows), L_j: -w_j^T z - delta <= -a_j (on rows), -delta <= 0, and with ``nonneg`` the rows
    Z_i: -z_i <= 0 (the unknown of a hidden layer is a ReLU output, so it is >= 0; the latent z
    of the first layer is free), with a = x - b. In the notation
    min c^T v s.t. G v <= h (v = (z, delta), c = e_delta) the dual is max -h^T lam s.t.
    G^T lam = -c, lam >= 0.

    Args:
        W: (n, k) weights (float64 is used throughout, on W's device: the solver runs where
            the generator lives).
        nonneg: constrain the unknown to z >= 0 (a hidden layer's values, outputs of a ReLU).
        tol: the interior point stops once its residuals and duality gap are below tol
            (relative); the crossover then gives the exact vertex.
        max_iter: cap on interior-point iterations.
        feas_tol: the vertex check's tolerance on constraint violation (absolute, scaled by
            1 + max|a|) and on negative multipliers.
        max_pivots: simplex pivots the crossover may take from a feasible, not yet optimal
            vertex (see :meth:`_finish`).
    """

    def __init__(
        self,
        W: torch.Tensor,
        *,
        tol: float = 1e-5,
        max_iter: int = 60,
        feas_tol: float = 1e-9,
        max_pivots: int = 10,
        nonneg: bool = False,
    ) -> None:
        W = torch.as_tensor(W).detach().to(torch.float64)
        if W.ndim != 2:
            raise ValueError(f"W must be a matrix, got shape {tuple(W.shape)}")
        self.W = W
        self.n, self.k = W.shape
        self.nonneg = bool(nonneg)
        self.m = 2 * self.n + 1 + (self.k if self.nonneg else 0)  # rows of G
        self.tol, self.max_iter, self.feas_tol = tol, max_iter, feas_tol
        self.max_pivots = max_pivots
        # w_j w_j^T, upper triangle, one row per j: W^T diag(d) W for B signals is d @ P
        # (kept only while P is small: n k (k + 1) / 2 entries, at most 200 MB)
        k, self.P = self.k, None
        if self.n * k * (k + 1) // 2 <= 25_000_000:
            iu = torch.triu_indices(k, k, device=W.device)
            self.P = W[:, iu[0]] * W[:, iu[1]]
            pos = torch.empty(k, k, dtype=torch.long, device=W.device)  # (p, q) -> column of P
            pos[iu[0], iu[1]] = torch.arange(iu.shape[1], device=W.device)
            pos[iu[1], iu[0]] = pos[iu[0], iu[1]]
            self._sym = pos.reshape(-1)

    # ---- the operators of G (rows U_1..U_n, L_1..L_n, the row -delta <= 0, [Z_1..Z_k])
    def _G(self, z: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
        Wz = z @ self.W.T
        d = delta[:, None]
        parts = [Wz - d, -Wz - d, -d] + ([-z] if self.nonneg else [])
        return torch.cat(parts, 1)

    def _Gt(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n = self.n
        gz = (u[:, :n] - u[:, n : 2 * n]) @ self.W
        if self.nonneg:
            gz = gz - u[:, 2 * n + 1 :]
        return gz, -u[:, : 2 * n + 1].sum(1)

    def _normal(self, d: torch.Tensor) -> torch.Tensor:
        """G^T diag(d) G for every signal: the (k+1) x (k+1) normal matrices, (B, k+1, k+1)."""
        n, k = self.n, self.k
        dU, dL = d[:, :n], d[:, n : 2 * n]
        B = d.shape[0]
        M = d.new_empty(B, k + 1, k + 1)
        if B >= 16 and self.P is not None:  # one product with the w_j w_j^T (half the flops)
            M[:, :k, :k] = ((dU + dL) @ self.P).index_select(1, self._sym).view(B, k, k)
        else:  # few signals: reading P would cost more than the products themselves
            M[:, :k, :k] = (self.W.T * (dU + dL)[:, None, :]) @ self.W
        if self.nonneg:
            M[:, :k, :k].diagonal(dim1=1, dim2=2).add_(d[:, 2 * n + 1 :])
        M[:, :k, k] = M[:, k, :k] = (dL - dU) @ self.W  # the delta column and row
        M[:, k, k] = d[:, : 2 * n + 1].sum(1)
        return M

    def solve(self, a: torch.Tensor, on: torch.Tensor, obs: torch.Tensor) -> BatchLinfResult:
        """Solve the LP for B signals: a = x - b (B, n), on rows (B, n) and observed rows (B, n)
        as booleans (on implies observed)."""
        W = self.W
        a = torch.as_tensor(a, dtype=W.dtype, device=W.device)
        if a.ndim != 2 or a.shape[1] != self.n:
            raise ValueError(f"a must have shape (B, {self.n}), got {tuple(a.shape)}")
        B, n, k = a.shape[0], self.n, self.k
        obs = torch.as_tensor(obs, dtype=torch.bool, device=W.device).expand(B, n)
        on = torch.as_tensor(on, dtype=torch.bool, device=W.device).expand(B, n) & obs
        extra = self.m - 2 * n  # the delta row and the Z rows
        h = torch.cat([a, -a, a.new_zeros(B, extra)], 1)
        mask = torch.cat([obs, on, obs.new_ones(B, extra)], 1).to(W.dtype)
        z_out = a.new_full((B, k), torch.nan)
        d_out = a.new_full((B,), torch.nan)
        ok_out = torch.zeros(B, dtype=torch.bool, device=W.device)
        it_out = torch.zeros(B, dtype=torch.long, device=W.device)

        # start: z the least-squares fit of the on rows, delta 10 % above its worst violation
        # (so every slack is positive); lam sums to 1 (the delta row of G^T lam = -c) and is
        # spread over the rows present. (Measured: ~20 % fewer iterations than z = 0.)
        cnt = mask.sum(1)
        on_f = mask[:, n : 2 * n]
        d0 = torch.cat([torch.zeros_like(on_f), on_f, on_f.new_zeros(B, extra)], 1)
        M = self._normal(d0)[:, :k, :k]
        M.diagonal(dim1=1, dim2=2).add_(1e-8)
        z = torch.linalg.solve_ex(M, ((a * on_f) @ W)[..., None])[0][..., 0]
        if self.nonneg:  # strictly inside z > 0 (every slack must be positive)
            z = z.clamp(min=0) + 1e-2 * (1 + a.abs().amax(1, keepdim=True))
        r = z @ W.T - a
        viol = (torch.cat([r, -r], 1) * mask[:, : 2 * n]).amax(1).clamp(min=0)
        delta = 1.1 * viol + 1e-3 * (1 + a.abs().amax(1))
        s = (h - self._G(z, delta)) * mask + (1 - mask)
        lam = mask / cnt[:, None]
        idx = torch.arange(B, device=W.device)
        tries = torch.zeros(B, dtype=torch.long, device=W.device)  # crossovers tried
        stuck = torch.zeros(B, dtype=torch.bool, device=W.device)  # singular normal matrix
        for it in range(self.max_iter + 1):
            rp = self._G(z, delta).add_(s).sub_(h).mul_(mask)  # primal residual
            gz, gd = self._Gt(lam)
            rd = torch.cat([gz, (gd + 1)[:, None]], 1)  # dual residual G^T lam + c
            mu = (s * lam).sum(1) / cnt
            gap = (delta + (h * lam).sum(1)).abs()
            scale = 1 + delta.abs()
            res = torch.maximum(rp.abs().amax(1), rd.abs().amax(1))
            done = (res <= self.tol * scale) & (gap <= self.tol * scale) & ~stuck
            last = it == self.max_iter
            if done.any():  # crossover for these; a failed check goes on iterating
                sel = done.nonzero()[:, 0]
                certified = self._finish(
                    *(t.index_select(0, sel) for t in (idx, z, delta, lam, s, a, h, mask)),
                    z_out,
                    d_out,
                    ok_out,
                )
                tries[sel] += 1
                done[sel] = certified | last | (tries[sel] >= 5)
            done |= stuck  # left to the simplex
            if last:
                done = torch.ones_like(done)
            if done.any():  # drop the finished signals from the batch
                it_out[idx[done]] = it
                keep = ~done
                if not keep.any():
                    break
                sel = keep.nonzero()[:, 0]
                idx, z, delta, s, lam, h, mask, cnt, a, tries, rp, rd, mu = (
                    t.index_select(0, sel)
                    for t in (idx, z, delta, s, lam, h, mask, cnt, a, tries, rp, rd, mu)
                )
            dz, dd, ds, dlam, ap, ad, stuck = self._newton(z, delta, s, lam, mask, rp, rd, mu, cnt)
            z = torch.addcmul(z, ap[:, None], dz)
            delta = torch.addcmul(delta, ap, dd)
            s = torch.addcmul(s, ap[:, None], ds)
            lam = torch.addcmul(lam, ad[:, None], dlam)
        return BatchLinfResult(z_out, d_out, ok_out, it_out)

    def _newton(self, z, delta, s, lam, mask, rp, rd, mu, cnt):
        """One Mehrotra predictor-corrector step (separate primal and dual step lengths)."""
        k = self.k
        d = lam / s * mask
        M = self._normal(d)
        M.diagonal(dim1=1, dim2=2).add_(1e-14 * M.diagonal(dim1=1, dim2=2).amax(1, keepdim=True))
        Lc, info = torch.linalg.cholesky_ex(M)
        stuck = info != 0  # these take no step, and are then handed to the simplex
        if bool(stuck.any()):
            Lc[stuck] = torch.eye(k + 1, dtype=M.dtype, device=M.device)

        # rows not present: rp, rc, lam, d and so g, dlam are 0 there, s is 1 (no mask needed)
        nmask = -mask

        def direction(rc):
            g = torch.addcmul(-rc, lam, rp).div_(s)
            gz, gd = self._Gt(g)
            rhs = torch.cat([-rd[:, :k] - gz, (-rd[:, k] - gd)[:, None]], 1)
            dv = torch.cholesky_solve(rhs[..., None], Lc)[..., 0]
            dz, dd = dv[:, :k], dv[:, k]
            Gdv = self._G(dz, dd)
            ds = (rp + Gdv).mul_(nmask)
            dlam = torch.addcmul(g, d, Gdv)
            return dz, dd, ds, dlam

        def max_iter(ds, dlam):
            """Longest steps (at most 1) keeping s >= 0 and lam >= 0; rows not present have
            ds = dlam = 0 and never limit them."""
            # the step to the nearest bound is 1 / max_i(-dx_i / x_i) (rows with dx_i < 0);
            # absent rows: s = 1, ds = 0 give 0; lam = dlam = 0 give 0/0, set to 0
            ap = (ds / s).amin(1).neg().clamp(min=1.0).reciprocal()
            ad = (dlam / lam).nan_to_num_(nan=0.0).amin(1).neg().clamp(min=1.0).reciprocal()
            return ap, ad

        sl = s * lam * mask
        dz, dd, ds, dlam = direction(sl)
        ap, ad = max_iter(ds, dlam)
        s_aff = torch.addcmul(s, ap[:, None], ds)
        mu_aff = s_aff.mul_(torch.addcmul(lam, ad[:, None], dlam)).sum(1) / cnt
        sigma = (mu_aff / mu).clamp(0, 1) ** 3
        dz, dd, ds, dlam = direction(torch.addcmul(sl, ds, dlam).sub_((sigma * mu)[:, None] * mask))
        ap, ad = max_iter(ds, dlam)
        ap, ad = torch.where(stuck, 0.0, 0.99 * ap), torch.where(stuck, 0.0, 0.99 * ad)
        return dz, dd, ds, dlam, ap, ad, stuck

    def _finish(self, where, z, delta, lam, s, a, h, mask, z_out, d_out, ok_out) -> torch.Tensor:
        """Crossover for the signals ``where``: an exact optimal vertex, checked; returns ok.

        The k + 1 constraints with the largest lam_i / s_i (tight, with a positive multiplier)
        are solved as equations (:meth:`_vertex`). When the optimum is not a single point (only
        k constraints carry a multiplier, e.g. z can slide along off rows without changing
        delta*), the interior point sits inside the optimal face; :meth:`_purify` then walks
        along that face to one of its vertices. A feasible vertex that is not yet optimal (a
        multiplier below zero: a near-degenerate optimum the interior point could not resolve)
        is improved by a few primal simplex pivots (:meth:`_pivot`).
        """
        k = self.k
        act = torch.where(mask > 0, lam / s, torch.full_like(s, -1.0))
        rows = act.topk(k + 1, dim=1).indices  # (B, k+1) indices into the 2n + 1 rows
        zv, dv, lamA, feas, ok = self._vertex(rows, h, mask, a)
        f = ~ok
        if bool(f.any()):
            rows[f] = self._purify(rows[f, :k], z[f], delta[f], h[f], mask[f])
            zv[f], dv[f], lamA[f], feas[f], ok[f] = self._vertex(rows[f], h[f], mask[f], a[f])
        for _ in range(self.max_pivots):
            f = ~ok & feas
            if not bool(f.any()):
                break
            rows[f] = self._pivot(rows[f], lamA[f], zv[f], dv[f], h[f], mask[f])
            zv[f], dv[f], lamA[f], feas[f], ok[f] = self._vertex(rows[f], h[f], mask[f], a[f])
        z_out[where[ok]] = zv[ok]
        d_out[where[ok]] = dv[ok]
        ok_out[where] = ok
        return ok

    def _rows(self, rows: torch.Tensor) -> torch.Tensor:
        """The rows ``rows`` (B, r) of G (indices into U_1..U_n, L_1..L_n, -delta <= 0,
        Z_1..Z_k)."""
        n, k, W = self.n, self.k, self.W
        j = rows.clamp(max=2 * n - 1) % n
        sign = torch.where(rows < n, 1.0, -1.0).to(W.dtype)
        GA = torch.cat([sign[..., None] * W[j], -torch.ones_like(sign)[..., None]], 2)
        last = rows == 2 * n  # the row -delta <= 0
        GA[last] = 0.0
        GA[..., k][last] = -1.0
        if self.nonneg:  # the rows -z_i <= 0
            zr = rows > 2 * n
            i = (rows - 2 * n - 1).clamp(min=0)
            GZ = -torch.nn.functional.one_hot(i, k + 1).to(W.dtype)
            GA = torch.where(zr[..., None], GZ, GA)
        return GA

    def _vertex(self, rows, h, mask, a):
        """Solve the k + 1 rows ``rows`` as equations G_A v = h_A and G_A^T lam_A = -c, and
        check: primal feasible, G v <= h on every row (tolerance feas_tol (1 + max|a|)), and
        dual feasible, lam_A >= -feas_tol; both together: optimal.
        Returns (z, delta, lam_A, primal feasible, optimal)."""
        k, W = self.k, self.W
        B = rows.shape[0]
        LU, piv, info = torch.linalg.lu_factor_ex(self._rows(rows))
        v = torch.linalg.lu_solve(LU, piv, torch.gather(h, 1, rows)[..., None])[..., 0]
        c = torch.zeros(B, k + 1, 1, dtype=W.dtype, device=W.device)
        c[:, k] = -1.0
        lamA = torch.linalg.lu_solve(LU, piv, c, adjoint=True)[..., 0]  # G_A^T lam_A = -c
        zv, dv = v[:, :k], v[:, k]
        viol = ((self._G(zv, dv) - h) * mask).amax(1)
        solved = (info == 0) & torch.isfinite(v).all(1) & torch.isfinite(lamA).all(1)
        feas = solved & (viol <= self.feas_tol * (1 + a.abs().amax(1)))
        return zv, dv, lamA, feas, feas & (lamA.amin(1) >= -self.feas_tol)

    def _pivot(self, rows, lamA, z, delta, h, mask):
        """One primal simplex pivot from a feasible vertex: the row with the most negative
        multiplier leaves (moving off it lowers delta at the rate lam_r), the first row that
        becomes tight along that edge enters. Returns the new k + 1 rows."""
        k = self.k
        GA = self._rows(rows)
        r = lamA.argmin(1)
        e = torch.zeros_like(lamA).scatter(1, r[:, None], -1.0)
        d = torch.linalg.solve(GA, e[..., None])[..., 0]  # G_A d = -e_r: leave row r
        slack = h - self._G(z, delta)
        enter = self._steps(slack.clamp(min=0), self._G(d[:, :k], d[:, k]), rows, mask).argmin(1)
        return rows.scatter(1, r[:, None], enter[:, None])

    def _steps(self, slack, g, rows, mask):
        """How far one moves along a direction whose rows of G change at the rates g (B, m)
        until each other present row becomes tight, slack_i / g_i (inf where g does not
        approach the row, and for the rows ``rows``)."""
        free = (mask > 0).scatter(1, rows, False)
        tiny = 1e-12 * g.abs().amax(1, keepdim=True)
        return torch.where(free & (g > tiny), slack / g, torch.full_like(g, torch.inf))

    def _purify(self, rows, z, delta, h, mask):
        """From an interior point of a 1-dimensional optimal face (k tight rows ``rows``) to a
        vertex: move along the face's direction u (G_K u = 0, so delta is unchanged) until the
        first other constraint is tight; returns the k + 1 rows of that vertex."""
        k = self.k
        GK = self._rows(rows)  # (B, k, k+1)
        Q, _ = torch.linalg.qr(GK.transpose(1, 2), mode="complete")
        u = Q[:, :, k]  # spans the null space of G_K
        v = torch.cat([z, delta[:, None]], 1)
        r = torch.gather(h, 1, rows) - (GK @ v[..., None])[..., 0]
        y, _ = torch.linalg.solve_ex(GK @ GK.transpose(1, 2), r[..., None])
        v = v + (GK.transpose(1, 2) @ y)[..., 0]  # on the k rows exactly
        slack = h - self._G(v[:, :k], v[:, k])
        gu = self._G(u[:, :k], u[:, k])
        (tp, ip), (tm, im) = (self._steps(slack, sgn * gu, rows, mask).min(1) for sgn in (1, -1))
        hit = torch.where(tp <= tm, ip, im)  # the nearer vertex of the face
        return torch.cat([rows, hit[:, None]], 1)
