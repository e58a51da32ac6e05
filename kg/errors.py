"""The project's error classes.

Every error raised on purpose derives from ``StudioError``; its message names the input (file,
store URL, query name, IRI, line and column) and says what to do about it. Lower-level errors are
wrapped with ``raise ... from exc`` so the cause stays visible with ``--debug``.
"""


class StudioError(Exception):
    """Root of every error the project raises on purpose; messages name the input and the fix."""


class StoreError(StudioError):
    """The policy store could not be opened, read or written."""


class QueryError(StudioError):
    """A SPARQL query or update is malformed, unknown, refused or took too long."""


class QueryTimeout(QueryError):
    """A query ran past its time limit.

    ``pending`` is the future of the work that may still be evaluating it (None when nothing is
    left running), so that a server can hold the query's slot until it really ends.
    """

    pending = None


class ParseError(StudioError):
    """An input file (RDF, policy, regulation) could not be parsed."""


class ReasoningError(StudioError):
    """OWL reasoning could not run or the ontology could not be read."""


class ValidationError(StudioError):
    """SHACL validation could not run."""
