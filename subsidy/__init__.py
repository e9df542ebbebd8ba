"""Faces of the standardization-subsidy assistant: the `subsidy` CLI and the web service."""
