"""Authentication, permissions, CSRF and response headers."""
