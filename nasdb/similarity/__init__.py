"""Architecture similarity: Weisfeiler-Lehman features of cell graphs, nearest cells, landscape smoothness."""
