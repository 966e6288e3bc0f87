from django.contrib import admin

from crm.models import CustomAttribute, Customer, CustomerEvent, Purchase


class PurchaseInline(admin.TabularInline):
    model = Purchase
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("external_id", "first_name", "last_name", "email", "language", "plan", "region", "customer_since")
    list_filter = ("language", "plan", "region", "age_band", "gender", "newsletter_subscribed")
    search_fields = ("external_id", "first_name", "last_name", "email")
    raw_id_fields = ("account_owner",)
    readonly_fields = ("erased_at", "email_failed_at", "email_failed_address", "email_failure_reason")
    inlines = [PurchaseInline]

    def has_delete_permission(self, request, obj=None):
        # Erasure is the one way to remove a customer's personal data: it keeps the rows (and so
        # the statistics and the cases' history) and is recorded in the privacy log.
        return False


@admin.register(Purchase)
class PurchaseAdmin(admin.ModelAdmin):
    list_display = ("customer", "purchased_at", "amount", "currency", "product_category", "channel")
    list_filter = ("product_category", "channel", "currency")
    date_hierarchy = "purchased_at"
    raw_id_fields = ("customer",)
    list_select_related = ("customer",)


@admin.register(CustomerEvent)
class CustomerEventAdmin(admin.ModelAdmin):
    list_display = ("customer", "kind", "occurred_at")
    list_filter = ("kind",)
    date_hierarchy = "occurred_at"
    raw_id_fields = ("customer",)
    list_select_related = ("customer",)
    search_fields = ("customer__external_id", "customer__email", "customer__last_name")


@admin.register(CustomAttribute)
class CustomAttributeAdmin(admin.ModelAdmin):
    list_display = ("label", "key", "type")
    list_filter = ("type",)
    search_fields = ("label", "key")
