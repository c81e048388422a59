"""Webhooks: the clinic's events, signed (Standard Webhooks) and delivered through the one outbox to endpoints the
clinic admin manages."""
