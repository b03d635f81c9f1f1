"""Tests of the Exact Online sandbox."""
