"""Privacy: export, erase and retention of a customer's personal data.

Each app that holds personal data registers its own erase and export functions
(`privacy.registry`); this room calls every registered one, so a new app cannot be forgotten.
"""
