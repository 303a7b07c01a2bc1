"""JSON API blueprints under /api/v1."""
