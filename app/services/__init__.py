"""Business operations: each runs in one transaction and is called by thin views."""
