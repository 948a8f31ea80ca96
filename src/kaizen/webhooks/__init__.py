"""Outbound webhooks: domain events POSTed, signed, to administrator-configured endpoints."""
