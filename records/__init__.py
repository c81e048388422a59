"""A patient's whole record across every app (GDPR access request): the one app that may import all the others."""
