"""State shared by every worker and replica: idempotency records and rate-limit counters.

In Redis when REDIS_URL is set, in this process otherwise. Every Redis call is bounded by
REDIS_TIMEOUT; a failing Redis raises `SharedStateUnavailableError`, and each caller decides
whether that fails open (limits) or closed (idempotency keys).
"""
