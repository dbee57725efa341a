"""Take the example shop's screenshots for the issue's "done" list: the home page with the first-visit
banner and the privacy centre (of the signed-in demo member), at 1280×800 and 390×844, in English and
繁體中文.

Run from the repository root: ``python docs/screenshots/make.py`` (Debian's Chromium at /usr/bin/chromium, or
set CONSENT_CHROMIUM). It serves a freshly seeded shop on a loopback port and writes ``shop-*.png`` here.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from example_shop import create_app  # noqa: E402
from example_shop.seed import DEMO_MEMBER, demo_logins  # noqa: E402

OUT = Path(__file__).resolve().parent
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
LANGUAGES = {"en": "en-GB", "zh-HK": "zh-HK"}


def open_page(browser: Browser, size: str, locale: str) -> Page:
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale,
                                  reduced_motion="reduce")
    return context.new_page()


def sign_in(page: Page, url: str, password: str) -> None:
    """The demo member, signed in after turning everything down (the banner out of the way)."""
    page.goto(url + "account/login")
    page.locator("#consent-banner button[value=reject_all]").click()
    page.fill("#email", DEMO_MEMBER)
    page.fill("#password", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(url)


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log on the console
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"INSTANCE_PATH": tmp, "SECRET_KEY": "screenshot-secret-0123456789abcdef"})
        password = demo_logins(app)[DEMO_MEMBER]
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}/"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=os.environ.get("CONSENT_CHROMIUM", "/usr/bin/chromium"),
                                        args=["--no-sandbox", "--disable-gpu"])
            for lang, locale in LANGUAGES.items():
                for size in SIZES:
                    page = open_page(browser, size, locale)
                    page.goto(url)
                    page.evaluate("flaskConsent.state()")
                    shot = OUT / f"shop-home-{size}-{lang}.png"
                    page.screenshot(path=str(shot))
                    print("wrote", shot)
                    sign_in(page, url, password)
                    page.goto(url + "privacy")
                    shot = OUT / f"shop-privacy-centre-{size}-{lang}.png"
                    page.screenshot(path=str(shot), full_page=size == "phone")
                    print("wrote", shot)
                    page.context.close()
            browser.close()
        server.shutdown()


if __name__ == "__main__":
    main()
