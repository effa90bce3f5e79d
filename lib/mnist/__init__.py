"""MNIST and the trained generators of the papers.

- :mod:`lib.mnist.data`: the MNIST sources, tried in order;
- :mod:`lib.mnist.models`: the three papers' GAN architectures and the digit classifier, and
  their conversion to a :class:`~lib.core.generator.Generator` or
  :class:`~lib.core.convnet.ConvGenerator`;
- :mod:`lib.mnist.train`: training, and loading the committed weights.

Imports :mod:`lib.core`.
"""
