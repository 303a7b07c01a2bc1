"""marshmallow schemas: the one place where JSON becomes Python and back."""
