"""Approval channels: signed single-use links, a Slack-compatible webhook and email."""
