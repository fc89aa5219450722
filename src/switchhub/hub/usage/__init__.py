"""Usage passwords (type 08), the T&D review queue and the usage inquiry at the hub (P2)."""
