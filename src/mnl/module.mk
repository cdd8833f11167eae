# src/mnl: (empty so far)
