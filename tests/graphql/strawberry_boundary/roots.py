"""Small root types, to build FlowSchema and a stock `strawberry.Schema` side by side."""

from collections.abc import Callable, Iterator
from typing import Any

import strawberry
from strawberry.directive import DirectiveLocation, DirectiveValue
from strawberry.extensions import SchemaExtension


@strawberry.input(one_of=True)
class Target:
    org: str | None = strawberry.UNSET
    user: str | None = strawberry.UNSET


@strawberry.type
class Query:
    @strawberry.field
    def hello(self, name: str = "world") -> str:
        return f"hello {name}"

    @strawberry.field
    def sent_extensions(self, info: strawberry.Info) -> str:
        return repr(info.input_extensions)

    @strawberry.field
    def target(self, target: Target) -> str:
        return target.org or target.user or ""

    @strawberry.field
    def maybe(self, value: strawberry.Maybe[str]) -> str:
        return "set" if value is not None else "absent"


@strawberry.type
class Mutation:
    @strawberry.mutation
    def ping(self) -> bool:
        return True


@strawberry.directive(locations=[DirectiveLocation.FIELD], description="The field's value in capitals.")
def upper(value: DirectiveValue[str]) -> str:
    return value.upper()


class Recorder(SchemaExtension):
    """Records every hook Strawberry runs, in order, in the class-wide `seen`."""

    seen: list[str] = []  # noqa: RUF012 - one list for the fresh instance of every operation

    def on_operation(self) -> Iterator[None]:
        self.seen.append("operation")
        yield
        self.seen.append("operation done")

    def on_parse(self) -> Iterator[None]:
        self.seen.append("parse")
        yield

    def on_validate(self) -> Iterator[None]:
        self.seen.append("validate")
        yield

    def on_execute(self) -> Iterator[None]:
        self.seen.append("execute")
        yield

    def resolve(self, _next: Callable[..., Any], root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        self.seen.append(f"resolve {info.field_name}")
        return _next(root, info, *args, **kwargs)

    def get_results(self) -> dict[str, Any]:
        return {"hooks": len(self.seen)}
