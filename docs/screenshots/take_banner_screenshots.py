"""Take the banner screenshots shown in the README: the example shop's first visit, desktop (1280×800)
and mobile (390×844), light and dark, plus the second layer on desktop.

Run from the repository root: ``python docs/screenshots/take_banner_screenshots.py`` (Debian's Chromium at
/usr/bin/chromium, or set CONSENT_CHROMIUM).
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from example_shop import create_app  # noqa: E402

OUT = Path(__file__).resolve().parent
SHOTS = [
    ("banner-desktop-light.png", 1280, 800, "light", False),
    ("banner-desktop-dark.png", 1280, 800, "dark", False),
    ("banner-mobile-light.png", 390, 844, "light", False),
    ("banner-mobile-dark.png", 390, 844, "dark", False),
    ("banner-desktop-customise.png", 1280, 800, "light", True),
]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"INSTANCE_PATH": tmp, "SECRET_KEY": "screenshot-secret-0123456789abcdef"})
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}/"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=os.environ.get("CONSENT_CHROMIUM", "/usr/bin/chromium"),
                                        args=["--no-sandbox", "--disable-gpu"])
            for name, width, height, scheme, second_layer in SHOTS:
                context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme,
                                              reduced_motion="reduce")
                page = context.new_page()
                page.goto(url)
                page.evaluate("flaskConsent.state()")
                if second_layer:
                    page.locator("#consent-banner summary").click()
                page.screenshot(path=str(OUT / name))
                context.close()
                print("wrote", OUT / name)
            browser.close()
        server.shutdown()


if __name__ == "__main__":
    main()
