"""`lib`: every algorithm of the three papers the book reproduces.

- P1 Aberdam, Simon, Elad, *On the Inversion of Deep Generative Models* (arXiv 2020, ICLR 2021).
- P2 Lei, Jalal, Dhillon, Dimakis, *Inverting Deep Generative Models, One Layer at a Time* (2019).
- P3 Ma, Ayaz, Karaman, *Invertibility of Convolutional Generative Networks from Partial
  Measurements* (NeurIPS 2018).

Five layers, each a subpackage that imports only from the layers listed before it
(ARCHITECTURE.md in the repository, tested by ``tests/test_architecture.py``):

- :mod:`lib.core`: the generators, the observation, the result type, checks and metrics;
- :mod:`lib.methods`: every inversion method, one call shape, one registry;
- :mod:`lib.theory`: what the papers prove, computed (certificates, NP-hardness, landscapes);
- :mod:`lib.mnist`: MNIST, the papers' GAN architectures, training;
- :mod:`lib.book`: what the chapters need (sizes, benchmark, scorecard, figure style).
"""

__version__ = "0.2.0"
