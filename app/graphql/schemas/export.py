"""`python -m app.graphql.schemas.export`: print the SDL that `schema.graphql` must hold."""

from app.core.config import GraphQLSettings
from app.graphql.schemas.schema import create_schema


def main() -> None:
    # The SDL does not depend on extensions or settings; these only let the schema build.
    print(create_schema(GraphQLSettings(app_env="development")).as_str())


if __name__ == "__main__":
    main()
