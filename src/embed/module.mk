# src/embed: (empty so far)
