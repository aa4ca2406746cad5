"""One module per search space: encodings, parsing with named errors, canonical forms."""
