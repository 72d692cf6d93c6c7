"""The domain: standard library and pydantic models only, no I/O."""
