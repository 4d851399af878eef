"""All HTTP to portals goes through one polite client (harvester.http.client.PoliteClient)."""

from harvester.http.client import PoliteClient, Response

__all__ = ["PoliteClient", "Response"]
