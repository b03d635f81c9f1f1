"""Test doubles and helpers for code that uses finlink: vendor sandboxes, contract suites."""
