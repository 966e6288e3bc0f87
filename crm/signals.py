"""Signals the CRM sends for the rooms above it, which it never imports."""

from django.dispatch import Signal

# Sent inside an import's transaction, once per import: `actor` (a user or None) and
# `details` (the source, the counts of created/updated/unchanged/invalid rows, the file name):
# no personal data. The privacy room records it in its log.
customers_imported = Signal()
