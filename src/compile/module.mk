# src/compile: (empty so far)
