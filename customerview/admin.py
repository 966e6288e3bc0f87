from django.contrib import admin

from customerview.models import AtRiskPolicy


@admin.register(AtRiskPolicy)
class AtRiskPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "inactivity_factor",
        "min_purchases_for_interval",
        "cart_abandoned_days",
        "unsubscribed_days",
        "detractor_days",
    )

    def has_add_permission(self, request):
        # One row is used (the first): a second one would be silently ignored.
        return super().has_add_permission(request) and not AtRiskPolicy.objects.exists()
