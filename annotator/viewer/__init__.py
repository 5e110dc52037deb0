"""The HTML view: one self-contained page per article, an index, and a gold-against-prediction view.

Folders are read by :mod:`annotator.documents` (shared with the exports). Modules here,
in the order data flows: :mod:`comparison` (``eval --details`` lines, from the viewed
folder's side), :mod:`segments` (cutting a text at every span boundary: reusable by any
page that highlights spans), :mod:`pages` (what each page shows), :mod:`render` (Jinja2
templates in ``templates/``, writing the site, the notebook view).
"""
