from django.contrib import admin

from campaigns.models import Campaign, CampaignSkip


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "survey", "status", "send_at", "started_at", "finished_at")
    list_filter = ("status", "survey")
    search_fields = ("name",)
    list_select_related = ("survey",)
    readonly_fields = ("status", "started_at", "finished_at", "created_by", "created_at")


@admin.register(CampaignSkip)
class CampaignSkipAdmin(admin.ModelAdmin):
    list_display = ("campaign", "customer", "reason", "created_at")
    list_filter = ("reason",)
    list_select_related = ("campaign", "customer")
    raw_id_fields = ("campaign", "customer")
