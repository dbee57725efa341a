"""Real-Chromium tests of the banner: JavaScript on and off, accessibility, CSP, GCM and GPC."""
