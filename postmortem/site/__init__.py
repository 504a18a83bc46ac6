"""The incident library as a static website: a home page with the headline figures and
charts, the list of post-mortems with a search that works from ``file://``, a page per
post-mortem, the open follow-ups and an Atom feed; for everybody who can read the
repository, or (``audience``) built only from the copies exported for a label and
leak-checked before anything is written.

Import :func:`build_site` from here; the modules load what they need when called.
"""

from postmortem.site.build import MANIFEST, BuiltSite, SiteLeakError, build_site, page_slug

__all__ = ["MANIFEST", "BuiltSite", "SiteLeakError", "build_site", "page_slug"]
