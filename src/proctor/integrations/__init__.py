"""Integrations for agents: the HTTP SDK (`sdk`) with the `@governed` decorator."""
