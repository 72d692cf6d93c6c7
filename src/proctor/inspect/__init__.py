"""Pure content checks: PII, terms, sensitive topics, claims vs evidence, prompt injection."""
