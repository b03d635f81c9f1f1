"""Tools for testing code that uses finlink: realistic data generators and, later, sandboxes."""
