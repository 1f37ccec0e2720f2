"""Garbage-collector settings for a request-serving process.

Each GraphQL request leaves objects in reference cycles (Strawberry's and graphql-core's
execution contexts, aioinject's request scope, Starlette's request) that only the cyclic
collector frees. At CPython's default threshold the collector runs many times a second under
load, re-scanning the long-lived objects built at start-up each time (docs/performance.md).
"""

import gc

# Young-generation collections every 50,000 net allocations instead of 700: fewer, larger
# collections over short-lived objects; the older generations follow at the same rhythm.
GEN0_THRESHOLD = 50_000
GEN1_THRESHOLD = 20
GEN2_THRESHOLD = 20


def tune_for_serving() -> None:
    """Call once start-up is done: what exists then (modules, schema, pools) lives as long as
    the process, so it moves to the permanent generation and is never scanned again."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GEN0_THRESHOLD, GEN1_THRESHOLD, GEN2_THRESHOLD)
