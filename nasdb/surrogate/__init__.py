"""Surrogate-network primitives (plain data, no torch): below spaces/, which describe networks with them."""
