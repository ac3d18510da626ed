"""Keep the page cache honest: any change to what the public sees makes it stale."""

from django.db.models.signals import post_delete, post_save
from wagtail.models import Locale, Page, PageViewRestriction, Site
from wagtail.signals import page_published, page_unpublished, post_page_move

from cms.models import OrganisationSettings
from cms.page_cache import page_cache_clear_on_signal as clear

page_published.connect(clear, dispatch_uid="cms-page-cache-published")
page_unpublished.connect(clear, dispatch_uid="cms-page-cache-unpublished")
post_page_move.connect(clear, dispatch_uid="cms-page-cache-moved")
post_delete.connect(clear, sender=Page, dispatch_uid="cms-page-cache-page-deleted")
for model in (OrganisationSettings, Site, Locale, PageViewRestriction):
    post_save.connect(clear, sender=model, dispatch_uid=f"cms-page-cache-{model.__name__}-saved")
    post_delete.connect(clear, sender=model, dispatch_uid=f"cms-page-cache-{model.__name__}-deleted")
