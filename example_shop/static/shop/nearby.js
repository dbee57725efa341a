// "Find stores near me": asks the browser for its position only when the visitor presses the button, on a
// page that is served only after they allowed the location purpose. The position goes to the server once,
// in a POST body (never in a URL that could be logged), and is not stored. The messages come translated in
// the status element's data attributes.
const button = document.getElementById("locate");
const status = document.getElementById("nearby-status");
const list = document.getElementById("nearby-results");

const show = (stores) => {
  list.replaceChildren();
  for (const store of stores) {
    const item = document.createElement("li");
    item.className = "store";
    const heading = document.createElement("h3");
    heading.textContent = `${store.name} (${store.distance_km} km)`;
    const where = document.createElement("p");
    where.textContent = `${store.address}, ${store.district}`;
    const offers = document.createElement("ul");
    for (const offer of store.offers) {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = offer.url;
      a.textContent = offer.text;
      li.append(a);
      offers.append(li);
    }
    item.append(heading, where, offers);
    list.append(item);
  }
};

const locate = () => {
  status.textContent = status.dataset.asking;
  navigator.geolocation.getCurrentPosition(
    async ({ coords }) => {
      // The CSRF token is fetched only now: pages carry none, so a page view sets no session cookie.
      const { csrf_token: token } = await (await fetch(button.dataset.csrf, { credentials: "same-origin" })).json();
      const res = await fetch(button.dataset.endpoint, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token },
        body: JSON.stringify({ lat: Number(coords.latitude.toFixed(4)), lng: Number(coords.longitude.toFixed(4)) }),
      });
      if (!res.ok) {
        status.textContent = status.dataset.failed;
        return;
      }
      const data = await res.json();
      status.textContent = data.in_hong_kong ? status.dataset.nearest : status.dataset.outside;
      show(data.stores);
    },
    () => {
      status.textContent = status.dataset.refused;
    },
    { maximumAge: 60000, timeout: 15000 },
  );
};

if (button && "geolocation" in navigator) {
  button.hidden = false;
  button.addEventListener("click", locate);
}
