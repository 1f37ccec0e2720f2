from app.graphql.ide.page import ASSETS_PATH, GraphiQLPage, asset_routes

__all__ = ["ASSETS_PATH", "GraphiQLPage", "asset_routes"]
