# src/exec: (empty so far)
