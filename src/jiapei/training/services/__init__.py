"""Writes of training data. Every function is one transaction with an audit-log row."""
