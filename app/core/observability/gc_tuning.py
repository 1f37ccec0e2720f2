"""Garbage-collector settings for a request-serving process.

Each GraphQL request leaves objects in reference cycles (Strawberry's and graphql-core's
execution contexts, aioinject's request scope, Starlette's request) that only the cyclic
collector frees. What start-up built (modules, schema, pools) would otherwise be re-scanned by
every full collection; frozen, it never is. The thresholds stay CPython's: young collections
then run often over few objects, and each pause stays short (docs/performance.md).
"""

import gc

# CPython's defaults: a larger young generation makes fewer collections but each one, and the
# older generations' that follow, stops every request in flight for longer.
GEN0_THRESHOLD = 700
GEN1_THRESHOLD = 10
GEN2_THRESHOLD = 10


def tune_for_serving() -> None:
    """Call once start-up is done: what exists then lives as long as the process, so it moves
    to the permanent generation and is never scanned again."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GEN0_THRESHOLD, GEN1_THRESHOLD, GEN2_THRESHOLD)
