from django.contrib import admin

from insights.models import DiscoveryRun, ThemeMatcher, ThemeProposal


@admin.register(DiscoveryRun)
class DiscoveryRunAdmin(admin.ModelAdmin):
    """The log of discovery runs: read only (they are made by the beat and the review page)."""

    list_display = ("started_at", "pipeline", "status", "comments_read", "since", "until", "survey")
    list_filter = ("status", "pipeline")
    fields = ("started_at", "finished_at", "pipeline", "status", "comments_read", "since", "until", "survey", "error")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ThemeProposal)
class ThemeProposalAdmin(admin.ModelAdmin):
    """Proposals are reviewed on the review page, which records who decided: read only here."""

    list_display = ("label", "status", "size", "detractor_share", "theme", "decided_by", "decided_at")
    list_filter = ("status",)
    fields = ("label", "language", "key_phrases", "size", "detractor_share", "status", "theme", "decided_by")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ThemeMatcher)
class ThemeMatcherAdmin(admin.ModelAdmin):
    """Per accepted theme, how surely an answer must match it; the centre itself comes from discovery."""

    list_display = ("theme", "threshold", "is_complaint", "updated_at")
    fields = ("theme", "threshold", "is_complaint")
    readonly_fields = ("theme",)

    def has_add_permission(self, request):
        return False
