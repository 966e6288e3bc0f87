"""Every write to customers, their purchases and their behaviour events, by sub-domain.

Import the module you need; nothing is re-exported here.

- parsing: plain values checked without the database (text, email, yes/no, dates, numbers, amounts).
- rows: one customer, purchase or event row checked against its rules (CustomerRules, RowError).
- customers: customers upserted by external id, one or many, refusing erased customers.
- writes: how a batch of checked customer rows reaches the table (COPY on PostgreSQL).
- activity: purchases and behaviour events, and the customers' stored total spend.
- email_failures: addresses a mail server refused for good.
"""
