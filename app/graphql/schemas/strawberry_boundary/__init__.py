"""Where we leave Strawberry's and graphql-core's public road, each place with its measured gain,
its guard test and the versions checked in docs/departures.md ("Strawberry and graphql-core").
Everything else under app/graphql/schemas/ uses their public API and documented extension points."""
