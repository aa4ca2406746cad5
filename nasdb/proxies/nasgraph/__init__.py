"""NASGraph (Huang et al., AutoML 2024): a network becomes a graph, its average degree is the proxy.

Reusable pieces, for any search space (NB201 and TransNAS-Bench-101 use them; NB101 can too):

* ``blocks``: describe a surrogate as data — ``Builder().add(Block(position, kind, c_in, c_out, size,
  kernel, stride, padding), parents=[...], shifts=[...])`` then ``.build()`` -> ``Surrogate``.
  ``shifts`` are the one-hot channel offsets of concatenated parents (0 for added parents).
* ``probe``: ``probe_reference(block, weights, n_inputs, shift)`` (the recipe as written) and
  ``probe_fast(block, weights)`` (same boolean edge matrix, all channel pairs at once);
  ``block_weights(block, seed | generator)``.
* ``reference.graph(surrogate, ...)`` -> networkx DiGraph; ``reference.graph_measures(g)``.
* ``fast.measures_of(surrogates, BlockCache(seed))`` -> every measure for many surrogates with array
  arithmetic (``fast.degrees`` for one wiring group); ``measures.from_degrees`` from any degree matrix.
* ``engine.compute(surrogates, mode, seed)`` picks the mode.
"""
