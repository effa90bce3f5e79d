"""The ground floor: what every method and chapter shares.

- :mod:`lib.core.generator`: the dense layered generator G(z) = phi_L(W_L ... phi(W_1 z + b_1) ...)
  of the three papers, its activations and their inverses;
- :mod:`lib.core.convnet`: P3's convolutional generator and its transposed convolutions as
  matrices;
- :mod:`lib.core.observation`: what is observed of G(z): masks (True = observed) and noise, and
  the one check of an observation;
- :mod:`lib.core.result`: :class:`~lib.core.result.InversionResult`, the one result type, and its
  status words;
- :mod:`lib.core.checks`: the parameter checks every public function runs at its boundary;
- :mod:`lib.core.metrics`: error measures and interval estimates;
- :mod:`lib.core.device`: the device and the CPU threads.

Imports nothing else from ``lib``.
"""
