// Concordia: small progressive enhancements. No inline scripts (CSP).
(function () {
  "use strict";
  // Confirm destructive buttons: <form data-confirm="...">
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
})();
