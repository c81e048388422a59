"""Celery tasks of the clinic app: thin wrappers around plain functions that are tested without Celery."""

from celery import shared_task

from clinic.api.idempotency import idempotency_keys_prune


@shared_task
def prune_expired_idempotency_keys() -> int:
    """Beat, daily: delete expired Idempotency-Key rows (requests no longer prune them); returns how many."""
    return idempotency_keys_prune()
