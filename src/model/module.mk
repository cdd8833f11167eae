# src/model: (empty so far)
