"""Signals the CRM sends for the rooms above it, which it never imports.

A receiver that writes should do so once the transaction commits (transaction.on_commit).
"""

from django.dispatch import Signal

# Sent inside an import's transaction, once per import: `actor` (a user or None) and
# `details` (the source, the counts of created/updated/unchanged/invalid rows, the file name):
# no personal data. The privacy room records it in its log.
customers_imported = Signal()

# Sent by the bulk writes that bypass the models' post_save (COPY and bulk upserts of customers,
# bulk inserts of purchases and events), with `customer_ids`: the customers written. Single saves
# need no signal of their own: post_save says as much. The customer view refreshes their flags.
customers_changed = Signal()  # customer_ids: a collection of Customer ids
