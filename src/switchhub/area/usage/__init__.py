"""Usage password requests (type 08), their review by the T&D, and the usage inquiry (P2)."""
