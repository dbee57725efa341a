// flask_consent; the forms work without it.
const d = document, de = d.documentElement, $ = (i) => d.getElementById(i);
const el = (t, o) => Object.assign(d.createElement(t), o);
const url = (p) => new URL("../../" + p, import.meta.url).pathname; // <prefix>/static/consent/
// Scripts cannot send Sec-GPC: X-GPC instead.
const gpc = navigator.globalPrivacyControl === true;
const req = (p, o = {}) => fetch(p, { cache: "no-store", ...o, headers: { ...o.headers, ...(gpc && { "X-GPC": "1" }) } });
const ok = (e, g) => e.dataset.consent.split(" ").some((k) => g.includes(k));
let cur = null, chain = Promise.resolve();
// Banner first, after any skip links.
const b0 = $("consent-banner");
if (b0 && !b0.contains(d.activeElement)) {
  let n = d.body.firstElementChild;
  while (n && n.matches('a[href^="#"]')) n = n.nextElementSibling;
  d.body.insertBefore(b0, n);
}
let ready = req(url("state")).then((r) => r.json()).then((s) => {
  cur = s;
  // GPC decided it all.
  if (b0?.isConnected && !s.banner_due && !b0.contains(d.activeElement)) dock(b0);
  return s;
}, () => null);

// WCAG 2.4.11
const ro = new ResizeObserver(() => pad());
const pad = () => {
  const e = $("consent-banner") || $("consent-reopen");
  const h = e && !e.hidden ? de.clientHeight - e.getBoundingClientRect().top : 0;
  de.style.setProperty("--consent-h", Math.max(0, Math.ceil(h)) + "px");
  if (e) ro.observe(e);
};

const activate = (g) => {
  for (const o of d.querySelectorAll('script[type="text/plain"][data-consent]')) {
    if (!ok(o, g)) continue;
    const s = el("script"), src = o.dataset.src;
    for (const a of o.attributes) if (!/^(type|nonce|data-src)$/.test(a.name)) s.setAttribute(a.name, a.value);
    s.nonce = o.nonce;
    s.text = o.text;
    o.removeAttribute("data-consent");
    // In document order.
    chain = chain.then(() => new Promise((done) => {
      if (src) { s.onload = s.onerror = done; s.src = src; }
      o.replaceWith(s);
      if (!src) done();
    }));
  }
  for (const ph of d.querySelectorAll(".consent-placeholder[data-consent]")) {
    if (!ok(ph, g)) continue;
    const f = el("iframe", { src: ph.dataset.src, title: ph.dataset.title }), had = ph.contains(d.activeElement);
    // Never on* or srcdoc.
    for (const [k, v] of Object.entries(JSON.parse(ph.dataset.attrs || "{}")))
      if (/^(width|height|allow|allowfullscreen|loading|referrerpolicy|sandbox|class)$/.test(k)) f.setAttribute(k, v);
    f.dataset.consent = ph.dataset.consent;
    ph.replaceWith(f);
    if (had) f.focus();
  }
};

const dock = (p) => {
  if (!$("consent-reopen")) p.after(p.querySelector("template")?.content || "");
  const r = $("consent-reopen"), had = p.contains(d.activeElement);
  p.remove();
  if (r) {
    r.hidden = false;
    if (had) r.focus();
  }
  pad();
};

const decided = (s, f) => {
  const ran = d.querySelectorAll('script[data-consent]:not([type="text/plain"]),iframe[data-consent]');
  cur = s;
  ready = Promise.resolve(s);
  d.dispatchEvent(new CustomEvent("consent:change", { detail: { granted: s.granted, denied: s.denied } }));
  if (typeof gtag == "function") gtag("consent", "update", s.gcm);
  if (f.closest(".consent-page")) return location.assign(f.elements.next.value || "/");
  // Scripts that ran cannot be unloaded.
  if ([...ran].some((e) => !ok(e, s.granted))) return location.reload();
  const p = f.closest(".consent-banner") || (!s.banner_due && $("consent-banner"));
  if (p) dock(p);
  activate(s.granted);
};

d.addEventListener("submit", async (e) => {
  const f = e.target, b = e.submitter;
  if (!f.matches("form[data-consent-form]")) return;
  e.preventDefault();
  const v = new FormData(f, b);
  let s;
  try {
    const r = await req(f.getAttribute("action"), {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": v.get("csrf_token"), "X-Consent-Client": "banner" },
      body: JSON.stringify({ action: v.get("action"), purposes: v.getAll("purposes"), scope: v.get("scope") || "all" }),
    });
    if (!r.ok) throw r;
    s = await r.json();
  } catch {
    if (b && b.name) f.append(el("input", { type: "hidden", name: b.name, value: b.value }));
    return f.submit();
  }
  decided(s, f);
});

// The second layer, or the preferences inline.
const show = async () => {
  let p = $("consent-banner");
  if (!p) {
    const o = $("consent-reopen");
    o.hidden = true; // no second click while this loads
    const r = await req(url("preferences") + "?next=" + encodeURIComponent(location.pathname + location.search));
    if (!r.ok) throw r;
    const w = new DOMParser().parseFromString(await r.text(), "text/html").querySelector(".consent-page");
    const f = w.querySelector("form");
    const h = el("h2", { id: "consent-panel-title", className: "consent-title", textContent: w.querySelector("h1").textContent });
    f.prepend(h, w.querySelector(".consent-intro"));
    f.querySelector(".consent-close").hidden = false;
    p = el("section", { id: "consent-banner", className: "consent-banner consent-panel", lang: w.lang });
    p.setAttribute("aria-labelledby", h.id);
    p.append(f);
    o.parentNode.after(p);
    pad();
  }
  const m = p.querySelector("details");
  if (m) m.open = true;
  p.querySelector(".consent-toggle:not(:disabled)")?.focus();
};

d.addEventListener("click", (e) => {
  const t = e.target, r = t.closest("#consent-reopen");
  if (r && !(e.ctrlKey || e.metaKey || e.shiftKey || e.button)) {
    e.preventDefault();
    show().catch(() => location.assign(r.href));
  }
  if (t.closest(".consent-close")) dock(t.closest(".consent-panel"));
});

// Esc closes; focus goes back to the opener.
d.addEventListener("keydown", (e) => {
  const t = e.target;
  if (e.key != "Escape" || !t.closest) return;
  const m = t.closest(".consent-more[open]"), p = t.closest(".consent-panel");
  if (m) {
    m.open = false;
    m.firstElementChild.focus();
  } else if (p) dock(p);
});

addEventListener("resize", pad);
pad();

window.flaskConsent = { granted: (k) => !!cur && cur.granted.includes(k), state: () => ready, show };
