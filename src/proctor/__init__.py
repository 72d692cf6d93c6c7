"""Proctor: the control plane for AI sales agents."""

from proctor.domain.errors import PolicyError, ProctorError, RequestError

__all__ = ["PolicyError", "ProctorError", "RequestError"]
__version__ = "0.1.0"
