"""What the CRM announces to the apps above it, which it does not know.

`customers_changed` is sent by the bulk writes that bypass the models' post_save (COPY and bulk
upserts of customers, bulk inserts of purchases and events), with `customer_ids`: the customers
written. Single saves need no signal of their own: post_save says as much. A receiver that
writes should do so once the transaction commits (transaction.on_commit).
"""

from django.dispatch import Signal

customers_changed = Signal()  # customer_ids: a collection of Customer ids
