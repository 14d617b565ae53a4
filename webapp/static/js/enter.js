// The invitation page: the link is /i#<token>. Browsers never send the fragment to the
// server, so the token stays out of access logs; this script posts it instead, after
// removing it from the address bar and the history.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("[data-enter-form]");
    var token = window.location.hash.replace(/^#/, "");
    if (!form || !token || form.querySelector(".field-error")) { return; }
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", window.location.pathname);
    }
    form.querySelector("input[name=token]").value = token;
    form.submit();
  });
})();
