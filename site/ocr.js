// Screenshot -> POST /ocr/jobs (job + presigned upload) -> upload form straight to S3 ->
// poll GET /ocr/jobs/{id} -> show the recovered code with a copy button.
(function () {
  "use strict";

  const input = document.getElementById("screenshot");
  const drop = document.getElementById("drop");
  const statusLine = document.getElementById("status");
  const output = document.getElementById("output");
  const code = document.getElementById("code");
  const language = document.getElementById("language");
  const copy = document.getElementById("copy");
  const ACCEPTED = ["image/png", "image/jpeg"]; // what Textract reads; anything else is sent as PNG

  function show(message, kind) {
    statusLine.textContent = message;
    statusLine.className = kind || "";
  }

  function apiUrl() {
    const config = window.APP_CONFIG || {};
    return typeof config.apiUrl === "string" ? config.apiUrl.replace(/\/+$/, "") : "";
  }

  async function asUploadable(file) {
    if (ACCEPTED.includes(file.type)) {
      return file;
    }
    // WebP (and any other image the browser decodes) becomes PNG here: Textract reads no WebP.
    const bitmap = await createImageBitmap(file);
    const canvas = document.createElement("canvas");
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    canvas.getContext("2d").drawImage(bitmap, 0, 0);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
    if (!blob) {
      throw new Error("this image could not be converted to PNG");
    }
    return blob;
  }

  async function json(response) {
    try {
      return await response.json();
    } catch (_) {
      return {};
    }
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  async function recognise(file) {
    const base = apiUrl();
    if (!base) {
      show("The site is not configured: config.js has no apiUrl.", "error");
      return;
    }
    if (!file || !file.type.startsWith("image/")) {
      show("Please choose an image (PNG, JPEG or WebP).", "error");
      return;
    }
    output.hidden = true;
    try {
      const image = await asUploadable(file);
      show("Creating the job…", "pending");
      const created = await fetch(`${base}/ocr/jobs`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ contentType: image.type, size: image.size }),
      });
      const job = await json(created);
      if (!created.ok) {
        show(job.error || `The request failed (HTTP ${created.status}).`, "error");
        return;
      }
      show("Uploading…", "pending");
      const form = new FormData();
      for (const [key, value] of Object.entries(job.upload.fields)) {
        form.append(key, value);
      }
      form.append("file", image); // S3 wants the file last
      const uploaded = await fetch(job.upload.url, { method: "POST", body: form });
      if (!uploaded.ok) {
        show(`The upload was refused (HTTP ${uploaded.status}).`, "error");
        return;
      }
      show("Reading the code…", "pending");
      for (let attempt = 0; attempt < 120; attempt += 1) {
        const polled = await fetch(`${base}/ocr/jobs/${job.id}`);
        const state = await json(polled);
        if (!polled.ok) {
          show(state.error || `The request failed (HTTP ${polled.status}).`, "error");
          return;
        }
        if (state.status === "COMPLETED") {
          code.textContent = state.text; // text, never HTML
          language.textContent = state.language ? `Language: ${state.language}` : "";
          output.hidden = false;
          show("Done.", "success");
          return;
        }
        if (state.status === "FAILED") {
          show(`The screenshot could not be read: ${state.error}`, "error");
          return;
        }
        await sleep(1000);
      }
      show("Still working after two minutes; please try again later.", "error");
    } catch (err) {
      show(`Could not reach the service (${err.message}).`, "error");
    }
  }

  input.addEventListener("change", () => recognise(input.files[0]));
  drop.addEventListener("dragover", (event) => {
    event.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    recognise(event.dataTransfer.files[0]);
  });
  document.addEventListener("paste", (event) => {
    const item = [...event.clipboardData.items].find((i) => i.type.startsWith("image/"));
    if (item) {
      recognise(item.getAsFile());
    }
  });
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(code.textContent);
      copy.textContent = "Copied";
    } catch (_) {
      copy.textContent = "Copy failed";
    }
    setTimeout(() => {
      copy.textContent = "Copy";
    }, 2000);
  });
})();
