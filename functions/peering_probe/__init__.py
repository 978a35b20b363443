"""Peering probe Lambda: from the peer VPC, times TCP connections to private endpoints at home."""
