"""Framers: loaders that turn policy documents (hand-written YAML, regulations) into policy graphs."""
