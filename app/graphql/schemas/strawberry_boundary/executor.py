"""graphql-core's executor, made to leave no reference cycle behind.

The executor refers to itself through its async helpers (bound methods of its own), so every
operation left it, its context and everything the context holds (the request, the response, the
DI scope) to the cyclic collector. With nothing cyclic left per request, young collections run
only when objects of requests in flight pass the threshold (app.core.observability.gc_tuning):
at 32 requests at once, none at all (docs/performance.md).
"""

from typing import Any

from graphql import ExecutionResult, ExperimentalIncrementalExecutionResults
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class AcyclicExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, which drops its async helpers once the response is built."""

    def build_response(self, data: dict[str, Any] | None) -> ExecutionResult | ExperimentalIncrementalExecutionResults:
        response = super().build_response(data)
        # Dropped only when nothing of the operation runs any more: not for an incremental result
        # (it still delivers through the helpers; FlowSchema never asks for one), nor while a
        # sibling of a field that failed still settles in the background (it resolves its
        # sub-fields through them). That rare operation waits for the cyclic collector, as before.
        if isinstance(response, ExecutionResult) and not self.background_futures:
            del self.async_helpers
        return response
