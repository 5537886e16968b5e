"""Models of the blanks app."""
