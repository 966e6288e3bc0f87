"""Reporting: the figures read across surveys and cases.

The dashboard, the daily NPS roll-up, the digest, the exports and the follow-up metrics. It reads
`surveys`, `followups` and `crm` and writes nothing of theirs.
"""
