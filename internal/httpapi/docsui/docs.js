// Starts Swagger UI on this server's own contract. A served file, not an
// inline script, so the page works under a CSP without 'unsafe-inline'.
// "Try it out" calls go to this origin; the browser sends the session cookie.
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/v1/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    docExpansion: "list",
    displayOperationId: true,
    defaultModelsExpandDepth: 0,
    withCredentials: true,
    validatorUrl: null
  });
});
