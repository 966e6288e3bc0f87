"""What campaigns hold about a customer: which campaigns skipped them, and why (a reason code).

The privacy room (privacy.registry) finds this module through CampaignsConfig.personal_data.
A skip row holds the customer link and a reason, nothing that says who the person is: there
is nothing to export or erase, and the rows stay so that a campaign's counts do not move.
"""

ORDER = 40
