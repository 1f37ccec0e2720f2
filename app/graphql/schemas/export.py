"""`python -m app.graphql.schemas.export`: print the SDL that `schema.graphql` must hold."""

import aioinject

from app.graphql.schemas.schema import create_schema


def main() -> None:
    print(create_schema(aioinject.Container()).as_str())


if __name__ == "__main__":
    main()
