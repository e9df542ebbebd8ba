"""Readers of one message that need no clause structure: places, dates, counts and cue words.

Each takes the normalised message text and returns what it read; none knows the clause-grouping
core (assistant/extraction.py), which calls them.
"""
