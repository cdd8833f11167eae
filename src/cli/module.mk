# src/cli: (empty so far)
