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
        # A complete result: nothing of this operation runs any more. (An incremental one still
        # delivers through the helpers; FlowSchema never asks for one.) Resolve infos hold the
        # helpers themselves, so a resolver still finishing keeps them, without the cycle.
        if isinstance(response, ExecutionResult):
            del self.async_helpers
        return response
