from django.contrib import admin

from crm.models import Customer, Purchase


class PurchaseInline(admin.TabularInline):
    model = Purchase
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("external_id", "first_name", "last_name", "email", "language", "plan", "region", "customer_since")
    list_filter = ("language", "plan", "region", "age_band", "gender", "newsletter_subscribed")
    search_fields = ("external_id", "first_name", "last_name", "email")
    raw_id_fields = ("account_owner",)
    inlines = [PurchaseInline]


@admin.register(Purchase)
class PurchaseAdmin(admin.ModelAdmin):
    list_display = ("customer", "purchased_at", "amount", "currency", "product_category", "channel")
    list_filter = ("product_category", "channel", "currency")
    date_hierarchy = "purchased_at"
    raw_id_fields = ("customer",)
    list_select_related = ("customer",)
