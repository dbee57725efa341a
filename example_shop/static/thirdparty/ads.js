// Kowloon Ads pixel (a local stand-in), run only once advertising is allowed. The server sets the ad id
// cookie (_ads_id) only for visitors who allowed advertising.
(() => {
  const me = document.currentScript;
  const pixel = new Image(1, 1);
  pixel.alt = "";
  pixel.src = `${me.dataset.pixel}?page=${encodeURIComponent(location.pathname)}`;
  window.kowloonAds = { loaded: true };
})();
