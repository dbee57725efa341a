// Progressive enhancement of the server-rendered consent banner: submit without reloading, then run
// the scripts and frames of the purposes just granted. Without this file every form still works.
const doc = document;
let state = null;

const activate = (granted) => {
  for (const old of doc.querySelectorAll('script[type="text/plain"][data-consent]')) {
    if (!old.dataset.consent.split(" ").some((k) => granted.includes(k))) continue;
    const s = doc.createElement("script");
    for (const a of old.attributes) if (a.name !== "type" && a.name !== "data-src") s.setAttribute(a.name, a.value);
    if (old.dataset.src) s.src = old.dataset.src;
    s.async = false;
    s.nonce = old.nonce;
    s.text = old.text;
    old.replaceWith(s);
  }
  for (const ph of doc.querySelectorAll(".consent-placeholder[data-consent]")) {
    if (!granted.includes(ph.dataset.consent)) continue;
    const f = doc.createElement("iframe");
    f.src = ph.dataset.src;
    f.title = ph.dataset.title;
    f.dataset.consent = ph.dataset.consent;
    ph.replaceWith(f);
  }
};

const submit = async (form, submitter) => {
  const data = new FormData(form, submitter);
  const body = {
    action: data.get("action"),
    purposes: data.getAll("purposes"),
    scope: data.get("scope") || "all",
  };
  const res = await fetch(form.getAttribute("action"), {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": data.get("csrf_token"), "X-Consent-Client": "banner" },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(String(res.status));
  return res.json();
};

doc.addEventListener("submit", async (ev) => {
  const form = ev.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-consent-form")) return;
  ev.preventDefault();
  const before = state ? state.granted : null;
  try {
    state = await submit(form, ev.submitter);
  } catch {
    form.submit();
    return;
  }
  const withdrawn = before && before.some((k) => !state.granted.includes(k) && doc.querySelector(`script[data-consent~="${k}"]:not([type="text/plain"])`));
  doc.dispatchEvent(new CustomEvent("consent:change", { detail: { granted: state.granted, denied: state.denied } }));
  if (withdrawn) return location.reload();
  const next = form.querySelector('input[name="next"]');
  if (!doc.getElementById("consent-banner") || form.closest(".consent-page")) return location.assign(next ? next.value : "/");
  doc.getElementById("consent-banner").remove();
  activate(state.granted);
});
