import json

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from crm import privacy
from crm.models import CustomAttribute, Customer, CustomerEvent, PrivacyEvent, Purchase


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
    actions = ("export_personal_data", "erase_selected")

    def has_erase_permission(self, request) -> bool:
        # Erasure cannot be undone: the same right as deleting a customer.
        return request.user.has_perm("crm.delete_customer")

    def has_delete_permission(self, request, obj=None):
        # Erasure is the one way to remove a customer's personal data: it keeps the rows (and so
        # the statistics and the cases' history) and is recorded in the privacy log.
        return False

    @admin.action(description=_("Export personal data (JSON)"), permissions=["view"])
    def export_personal_data(self, request, queryset):
        customers = list(queryset[:2])
        if len(customers) != 1:
            self.message_user(request, _("Select exactly one customer to export their personal data."), messages.ERROR)
            return None
        customer = customers[0]
        data = privacy.customer_export(customer=customer, actor=request.user)
        response = HttpResponse(
            json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="customer-{customer.public_id}.json"'
        return response

    @admin.action(description=_("Erase selected customers"), permissions=["erase"])
    def erase_selected(self, request, queryset):
        """Ask first (like deleting), then erase each selected customer's identity."""
        if request.POST.get("post") == "yes":
            erased = 0
            for customer in queryset:
                privacy.customer_erase(customer=customer, actor=request.user)
                erased += 1
            self.message_user(
                request,
                ngettext(
                    "The personal data of %(count)d customer was erased.",
                    "The personal data of %(count)d customers was erased.",
                    erased,
                )
                % {"count": erased},
                messages.SUCCESS,
            )
            return None
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "title": _("Erase the personal data of these customers?"),
            "opts": opts,
            "queryset": queryset,
            "customers": list(queryset),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        return TemplateResponse(request, "admin/crm/customer/erase_selected_confirmation.html", context)


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


@admin.register(PrivacyEvent)
class PrivacyEventAdmin(admin.ModelAdmin):
    """The audit log of staff actions on personal data: read only, for everyone."""

    list_display = ("created_at", "action", "actor", "customer", "details")
    list_filter = ("action",)
    date_hierarchy = "created_at"
    list_select_related = ("actor", "customer")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
