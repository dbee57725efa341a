// Harbour Analytics SDK (a local stand-in). Rendered inert by consent_script("analytics", ...) and run only
// once analytics is allowed. It posts one page-view beacon; the server answers with its HttpOnly visitor
// cookie (_shop_analytics) and refuses without consent.
(() => {
  const me = document.currentScript;
  const token = document.querySelector('meta[name="csrf-token"]');
  window.harbourAnalytics = { loaded: true, beacons: 0 };
  fetch(me.dataset.endpoint, {
    method: "POST",
    credentials: "same-origin",
    keepalive: true,
    headers: { "Content-Type": "application/json", "X-CSRFToken": token ? token.content : "" },
    body: JSON.stringify({ path: location.pathname }),
  }).then((res) => {
    if (res.ok) window.harbourAnalytics.beacons += 1;
  });
})();
