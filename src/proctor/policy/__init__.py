"""The pure policy engine: load, compile once, evaluate."""
