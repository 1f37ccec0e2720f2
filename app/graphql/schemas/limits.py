"""Limits on a document's shape, measured in one pass whose work is linear in the document.

Each fragment definition is measured once and its measure reused at every spread, so a fragment
spread twice by a fragment spread twice ... costs one visit per node however far it would expand
(Strawberry's QueryDepthLimiter and MaxAliasesLimiter walk it again per spread: exponential, see
docs/strawberry-limiters.md). Counts through fragments are still what execution would meet
(`expanded` selections, as Apollo Router's `max_recursive_selections`), so a fragment bomb is
refused by its expanded size without being expanded. Unknown fragments and spreads that close a
cycle count as nothing: graphql-core's own rules answer for them.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import cast

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from app.core.config import GraphQLSettings

# Counts through fragments grow exponentially with nesting; past this they are all alike (refused).
CEILING = 2**31


@dataclass(frozen=True, slots=True)
class Shape:
    """A selection set with its fragments expanded."""

    # Field nesting below it; introspection fields (`__schema`, ...) do not count, as in Strawberry.
    depth: int = 0
    aliases: int = 0
    # Fields at its own level: an operation's root fields.
    fields: int = 0
    # The most directives on any one location (a field, a spread, a definition, ...).
    directives: int = 0
    # What execution would visit: every field, spread and inline fragment, each time it is reached.
    selections: int = 0


@dataclass(frozen=True, slots=True)
class Measured:
    """Each operation's shape, and the nodes visited to measure them (the work done)."""

    operations: tuple[tuple[OperationDefinitionNode, Shape], ...]
    visits: int


@dataclass(frozen=True, slots=True)
class Limits:
    max_depth: int
    max_aliases: int
    max_root_fields: int
    max_directives: int
    max_selections: int
    max_field_comparisons: int

    @classmethod
    def of(cls, settings: GraphQLSettings) -> "Limits":
        return cls(
            max_depth=settings.graphql_max_depth,
            max_aliases=settings.graphql_max_aliases,
            max_root_fields=settings.graphql_max_root_fields,
            max_directives=settings.graphql_max_directives,
            max_selections=settings.graphql_max_selections,
            max_field_comparisons=settings.graphql_max_field_comparisons,
        )

    def refusals(self, measured: Measured) -> list[GraphQLError]:
        """One error per limit an operation exceeds; none: graphql-core's rules may run."""
        errors = []
        for operation, shape in measured.operations:
            name = f"'{operation.name.value if operation.name else 'anonymous'}'"
            exceeded = [
                (shape.selections > self.max_selections, f"{self.max_selections} selections with fragments expanded"),
                (shape.fields > self.max_root_fields, f"{self.max_root_fields} root fields"),
                (shape.aliases > self.max_aliases, f"{self.max_aliases} aliases"),
                (shape.directives > self.max_directives, f"{self.max_directives} directives on one location"),
            ]
            if shape.depth > self.max_depth:  # graphql-depth-limit's message, as Strawberry's limiter wrote it
                errors.append(GraphQLError(f"{name} exceeds maximum operation depth of {self.max_depth}", operation))
            errors += [GraphQLError(f"{name} exceeds maximum of {what}", operation) for over, what in exceeded if over]
        return errors


def measure(document: DocumentNode) -> Measured:
    fragments: dict[str, FragmentDefinitionNode] = {}
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            fragments.setdefault(definition.name.value, definition)  # graphql-core reports a duplicate
    walk = _Walk(fragments)
    for name in walk.dependencies_first():
        fragment = fragments[name]
        walk.measured[name] = walk.selection_set(fragment.selection_set, directives=len(fragment.directives or ()))
    operations = []
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            walk.visits += 1
            on_definition = [len(definition.directives or ())]
            on_definition += (len(v.directives or ()) for v in definition.variable_definitions or ())
            operations.append((definition, walk.selection_set(definition.selection_set, directives=max(on_definition))))
    return Measured(tuple(operations), walk.visits)


class _Walk:
    def __init__(self, fragments: Mapping[str, FragmentDefinitionNode]) -> None:
        self._fragments = fragments
        self.measured: dict[str, Shape] = {}
        self.visits = 0

    def dependencies_first(self) -> list[str]:
        """Every fragment after the fragments it spreads (depth first, on an explicit stack: a
        chain of fragments is as long as the token limit allows, deeper than Python's recursion).
        A spread back to a fragment still on the stack closes a cycle and is not followed."""
        order: list[str] = []
        seen: set[str] = set()
        for root in self._fragments:
            if root in seen:
                continue
            seen.add(root)
            stack = [(root, self._spreads(self._fragments[root].selection_set))]
            while stack:
                name, pending = stack[-1]
                spread = next(pending, None)
                if spread is None:
                    stack.pop()
                    order.append(name)
                elif spread in self._fragments and spread not in seen:
                    seen.add(spread)
                    stack.append((spread, self._spreads(self._fragments[spread].selection_set)))
        return order

    def _spreads(self, selection_set: SelectionSetNode) -> Iterator[str]:
        pending = [selection_set]
        while pending:
            for selection in pending.pop().selections:
                self.visits += 1
                if isinstance(selection, FragmentSpreadNode):
                    yield selection.name.value
                elif isinstance(selection, (FieldNode, InlineFragmentNode)) and selection.selection_set is not None:
                    pending.append(selection.selection_set)

    def selection_set(self, selection_set: SelectionSetNode, *, directives: int = 0) -> Shape:
        """Recursive in nesting only, which the parser bounds (graphql-core's MAX_NESTING_DEPTH);
        a spread reuses its fragment's measure, taken before (nothing yet within a cycle)."""
        depth = aliases = fields = selections = 0
        for selection in selection_set.selections:
            self.visits += 1
            selections += 1
            directives = max(directives, len(selection.directives or ()))
            if isinstance(selection, FieldNode):
                inner = self._below(selection.selection_set)
                fields += 1
                aliases += selection.alias is not None
                if selection.selection_set is not None and not selection.name.value.startswith("__"):
                    depth = max(depth, 1 + inner.depth)
            else:
                if isinstance(selection, FragmentSpreadNode):
                    inner = self.measured.get(selection.name.value, _NOTHING)
                else:  # the only other selection
                    inner = self.selection_set(cast("InlineFragmentNode", selection).selection_set)
                depth = max(depth, inner.depth)
                fields += inner.fields
            aliases += inner.aliases
            directives = max(directives, inner.directives)
            selections += inner.selections
        return Shape(
            depth=depth,
            aliases=min(aliases, CEILING),
            fields=min(fields, CEILING),
            directives=directives,
            selections=min(selections, CEILING),
        )

    def _below(self, selection_set: SelectionSetNode | None) -> Shape:
        return _NOTHING if selection_set is None else self.selection_set(selection_set)


_NOTHING = Shape()
