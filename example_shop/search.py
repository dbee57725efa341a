"""Voice and photo search, each behind the ``voice_photo_search`` purpose and its just-in-time prompt (C25).

Speech is turned into text by the browser's own speech recognition; the shop only ever sees the text. A
photo is read into memory (``InMemoryUploadRequest``), reduced to its average colour and forgotten.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _

from flask_consent import consent_required

from .extensions import db
from .forms import PhotoForm
from .images import MAX_PIXELS, ImageTooLarge, NotAnImage, average_colour, closest
from .models import Product

bp = Blueprint("search", __name__, url_prefix="/search")


@bp.get("/voice")
@consent_required("voice_photo_search")
def voice() -> str:
    return render_template("search/voice.html")


@bp.route("/photo", methods=["GET", "POST"])
@consent_required("voice_photo_search")
def photo() -> str | tuple[str, int]:
    form = PhotoForm()
    if form.validate_on_submit():
        try:
            colour = average_colour(form.photo.data.stream)
        except ImageTooLarge:
            form.photo.errors = [*form.photo.errors, _(
                "That picture is too large: photo search takes pictures of up to %(megapixels)d megapixels.",
                megapixels=MAX_PIXELS // 1_000_000)]
            return render_template("search/photo.html", form=form, results=None, colour=None), 413
        except NotAnImage:
            form.photo.errors = [*form.photo.errors, _("That file is not an image we can read (try PNG or JPEG).")]
            return render_template("search/photo.html", form=form, results=None, colour=None), 400
        products = list(db.session.scalars(db.select(Product)))
        return render_template("search/photo.html", form=form, results=closest(colour, products),
                               colour="#{:02x}{:02x}{:02x}".format(*colour))
    return render_template("search/photo.html", form=form, results=None, colour=None)
