/* Site behaviour on top of htmx (vendored next to this file). Everything works without
   it; this only makes failures visible when JavaScript is on.

   - A 4xx answer whose body holds the element the request targets (a form with its
     error messages, the catalog's results with the filter errors) is swapped in, like
     a success: htmx's default would drop it and the person would see nothing.
   - Any other failed answer (a 404 page, a 503, a forged cookie) is not swapped; the
     page's own heading is shown next to the form instead, in an alert.
   - A request that never reached the site says so in the same way. */
(function () {
  "use strict";

  function problemFor(elt) {
    var form = elt.closest("form") || elt;
    var box = form.querySelector(":scope > .htmx-problem");
    if (!box) {
      box = document.createElement("p");
      box.className = "htmx-problem error";
      box.setAttribute("role", "alert");
      form.prepend(box);
    }
    return box;
  }

  function say(elt, text) {
    problemFor(elt).textContent = text;
  }

  function headingOf(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var heading = doc.querySelector("main h1, h1, [role=alert]");
    return heading ? heading.textContent.trim() : "";
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var old = (event.detail.elt.closest("form") || event.detail.elt).querySelector(":scope > .htmx-problem");
    if (old) old.remove();
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status < 400) return;
    var target = event.detail.target;
    var body = xhr.responseText || "";
    if (xhr.status < 500 && target && target.id && body.indexOf('id="' + target.id + '"') !== -1) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
      return;
    }
    event.detail.shouldSwap = false;
    var heading = headingOf(body);
    say(event.detail.elt, (heading ? heading + ". " : "") +
      "That did not work (error " + xhr.status + "). Reload the page and try again.");
  });

  document.addEventListener("htmx:sendError", function (event) {
    say(event.detail.elt, "Could not reach the site. Check your connection and try again.");
  });
})();
