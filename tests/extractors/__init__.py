"""Tests of the extractors package."""
