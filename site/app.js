// Sends the form to the subscriptions API and shows its answer (or its error text).
(function () {
  "use strict";

  const form = document.getElementById("subscribe");
  const result = document.getElementById("result");
  const button = document.getElementById("submit");

  function show(message, kind) {
    result.textContent = message; // text, never HTML: the API echoes user input
    result.className = kind;
  }

  function apiUrl() {
    const config = window.APP_CONFIG || {};
    return typeof config.apiUrl === "string" ? config.apiUrl.replace(/\/+$/, "") : "";
  }

  async function subscribe(event) {
    event.preventDefault();
    const base = apiUrl();
    if (!base) {
      show("The site is not configured: config.js has no apiUrl.", "error");
      return;
    }
    const payload = { name: form.elements.name.value, email: form.elements.email.value };
    button.disabled = true;
    show("Sending…", "pending");
    try {
      const response = await fetch(`${base}/subscribers`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(payload),
      });
      let data = {};
      try {
        data = await response.json();
      } catch (_) {
        data = {};
      }
      if (response.ok) {
        // The API answers new and known addresses alike (nobody can probe who subscribed).
        show(`Subscribed: ${data.email}. Thank you!`, "success");
        form.reset();
      } else {
        show(data.error || `The request failed (HTTP ${response.status}).`, "error");
      }
    } catch (_) {
      show("Could not reach the API. Please try again later.", "error");
    } finally {
      button.disabled = false;
    }
  }

  form.addEventListener("submit", subscribe);
})();
