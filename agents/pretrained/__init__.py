"""Shipped weights; each file comes with the config (.yaml) and the metadata (.json) that made it."""
