// Harbour Analytics SDK (a local stand-in). Rendered inert by consent_script("analytics", ...) and run only
// once analytics is allowed. It posts one page-view beacon; the server answers with its HttpOnly visitor
// cookie (_shop_analytics) and refuses without consent.
// The shop's pages carry no CSRF token (a page view sets no session cookie), so the SDK fetches one first.
(() => {
  const me = document.currentScript;
  window.harbourAnalytics = { loaded: true, beacons: 0 };
  fetch(me.dataset.csrf, { credentials: "same-origin" })
    .then((res) => res.json())
    .then(({ csrf_token: token }) => fetch(me.dataset.endpoint, {
      method: "POST",
      credentials: "same-origin",
      keepalive: true,
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify({ path: location.pathname }),
    }))
    .then((res) => {
      if (res.ok) window.harbourAnalytics.beacons += 1;
    });
})();
