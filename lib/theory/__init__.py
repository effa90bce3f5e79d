"""What the papers prove, computed.

- :mod:`lib.theory.sparsity`: P1's sparsity quantities (spark, mutual coherence) and its
  uniqueness certificate of an estimate;
- :mod:`lib.theory.hardness`: P2's NP-hardness constructions;
- :mod:`lib.theory.landscapes`: P3's cost landscapes and recovery transitions.

Imports :mod:`lib.core` and :mod:`lib.methods`.
"""
