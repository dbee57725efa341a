// Voice search with the browser's own speech recognition (where it exists): the words become the text of the
// search box, and only that text is sent to the shop. The messages come translated in the status element's
// data attributes.
const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
const start = document.getElementById("voice-start");
const input = document.getElementById("voice-q");
const status = document.getElementById("voice-status");
const form = document.getElementById("voice-form");

if (Recognition && start) {
  start.hidden = false;
  status.textContent = status.dataset.ready;
  start.addEventListener("click", () => {
    const rec = new Recognition();
    rec.lang = document.documentElement.lang || "en";
    rec.interimResults = false;
    rec.maxAlternatives = 1;
    rec.addEventListener("result", (ev) => {
      input.value = ev.results[0][0].transcript;
      form.requestSubmit();
    });
    rec.addEventListener("error", () => {
      status.textContent = status.dataset.failed;
    });
    status.textContent = status.dataset.listening;
    rec.start();
  });
}
