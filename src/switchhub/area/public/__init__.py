"""The T&D's public page: a customer requests its own usage password (P2, low voltage).

A separate small ASGI app (`switchhub area-public`), since the area app accepts only the hub's
client certificate: TLS with the area server certificate and no client certificate.
"""
