"""Demo data: a believable company, built only through the real services."""
