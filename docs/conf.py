"""Sphinx configuration of the flask_consent documentation (``sphinx-build -W -b html docs docs/_build``)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_consent  # noqa: E402

project = "flask_consent"
author = "flask_consent developers"
copyright = "flask_consent developers"
release = flask_consent.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "screenshots/*.py", "Thumbs.db", ".DS_Store"]
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_preserve_defaults = True
autodoc_default_options = {"members": True, "show-inheritance": True}
autoclass_content = "class"
# Private helpers named in docstrings (and the app's own objects) are not all documented here.
nitpicky = False

html_theme = "alabaster"
html_title = f"flask_consent {release}"
html_theme_options = {
    "description": "Consent banner, signed consent cookie and consent log for Flask",
    "fixed_sidebar": True,
    "show_powered_by": False,
    "page_width": "1100px",
    "sidebar_width": "230px",
}
html_sidebars = {"**": ["about.html", "navigation.html", "relations.html", "searchbox.html"]}
html_static_path: list[str] = []
html_show_sourcelink = False
