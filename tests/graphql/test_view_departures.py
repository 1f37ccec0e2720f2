"""Guards of the view's departures (docs/departures.md, "Strawberry's HTTP view"): each fails when
the library changes underneath, so the departure is looked at again."""

import aioinject


async def test_aioinjects_request_scope_still_refers_to_itself_which_the_view_undoes() -> None:
    # `_free` in app.graphql.http_view empties both; should aioinject stop holding itself (or
    # rename its map), this fails and the view's private access goes.
    container = aioinject.Container()
    async with container, container.context() as scope:
        assert scope._context[scope.scope] is scope  # noqa: SLF001 - the private map the view empties
        assert scope.cache[aioinject.Context] is scope
