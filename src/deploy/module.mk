# src/deploy: (empty so far)
