"""Tests of the market feeds: frame parsing, the recorder format and recordings."""
