"""Helpers shared by the app, migration and end-to-end tests."""
