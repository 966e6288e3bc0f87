"""The customer view: one customer seen across every app.

The customer page and its timeline, the CRM panel beside a case, and the at-risk list. It reads
`crm`, `surveys`, `followups` and `conversations`; it owns only what it computes from them.
"""
