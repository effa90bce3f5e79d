"""Every inversion method of the three papers, with one call shape and one registry.

``result = method(G, y, *, mask=None, **options)`` returns an
:class:`~lib.core.result.InversionResult`; :data:`lib.methods.registry.METHODS` names each
method once, with the rule (:mod:`lib.methods.rules`) that says on which generators it runs.

- :mod:`lib.methods.pursuit`: P1's Oracle, Layered Basis-Pursuit, Latent-Pursuit;
- :mod:`lib.methods.lp`: P2's layer-wise linear programs and PGD (engines in the private
  ``_lp_engine`` and ``_ipm``);
- :mod:`lib.methods.gradient`: gradient descent on the latent (P1 Sec. 6.1, P2, P3);
- :mod:`lib.methods.recovery`: P3's recovery with the negation restart;
- :mod:`lib.methods.hybrid`: the layered pursuit where it works, gradient descent elsewhere.

Imports only :mod:`lib.core`.
"""
