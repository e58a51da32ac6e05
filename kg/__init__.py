"""The graph layer: store, namespaces, SPARQL query library, reasoning, validation."""
