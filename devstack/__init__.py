"""Local stand-ins for WorkOS and Flow Connect, for `make run` and the tests. Never imported by `app/`."""
