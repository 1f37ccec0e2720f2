"""Garbage-collector settings for a request-serving process.

A GraphQL request leaves no reference cycle behind (app.graphql.schemas.strawberry_boundary.executor
and `_free` in app.graphql.http_view; with this threshold, one departure: docs/departures.md,
"acyclic requests"): everything it made is freed by reference counting as it ends. The cyclic
collector's young generation then fills only with the objects of requests still in flight, so a
threshold above what those hold means young collections (each a pause for every request in flight)
all but never run. What does leave cycles (unparsable documents: graphql-core's tokens are linked
both ways) is collected once it passes the threshold. The figures: docs/performance.md.

What start-up built (modules, schema, pools) would otherwise be re-scanned by every full
collection; frozen, it never is.
"""

import gc

# CPython's default is 700: at 32 mutations in flight, a young collection every few requests.
GEN0_THRESHOLD = 10_000
GEN1_THRESHOLD = 10
GEN2_THRESHOLD = 10


def tune_for_serving() -> None:
    """Call once start-up is done: what exists then lives as long as the process, so it moves
    to the permanent generation and is never scanned again."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GEN0_THRESHOLD, GEN1_THRESHOLD, GEN2_THRESHOLD)
