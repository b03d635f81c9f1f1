"""Tests of ``finlink.http``."""
# ruff: noqa: A005 -- the package is tests.http; ruff counts tests/ as a source root
