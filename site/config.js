// Placeholder for opening the files directly. The deployed site gets a generated
// config.js (the API stage URL) and `platformctl sandbox` serves one for its local API.
window.APP_CONFIG = window.APP_CONFIG || { apiUrl: "" };
