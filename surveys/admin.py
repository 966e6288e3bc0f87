from django.contrib import admin

from surveys.models import Brand, Invitation, Response, Survey


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ("name", "colour")


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ("name", "brand", "first_contact_hours", "is_anonymous", "is_active")
    list_filter = ("brand", "is_active", "is_anonymous")
    search_fields = ("name",)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("survey", "customer", "channel", "created_at", "expires_at")
    list_filter = ("survey", "channel")
    raw_id_fields = ("customer",)
    list_select_related = ("survey", "customer")
    readonly_fields = ("token",)
    search_fields = ("customer__email", "customer__last_name")


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    """Responses are what customers said: staff read them, nobody edits them here."""

    list_display = ("submitted_at", "survey", "customer", "score", "channel")
    list_filter = ("survey", "channel", "score")
    date_hierarchy = "submitted_at"
    search_fields = ("comment", "customer__email", "customer__last_name")
    list_select_related = ("survey", "customer")
    readonly_fields = [f.name for f in Response._meta.fields]

    def has_add_permission(self, request):
        return False
