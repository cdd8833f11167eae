# spank: (empty so far)
