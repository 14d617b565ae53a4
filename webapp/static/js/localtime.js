// Times are shown in the study's time zone with the zone named; where the reader's own
// zone differs, their local time is added beside it: <time data-local-time ...>.
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("time[data-local-time]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when.getTime())) { return; }
      var studyOffset = parseInt(el.getAttribute("data-zone-offset"), 10);
      if (-when.getTimezoneOffset() === studyOffset) { return; }
      var text = when.getFullYear() + "-" + pad(when.getMonth() + 1) + "-" + pad(when.getDate()) + " " +
        pad(when.getHours()) + ":" + pad(when.getMinutes());
      var span = document.createElement("span");
      span.className = "local-time";
      span.textContent = " (" + el.getAttribute("data-local-label").replace("{time}", text) + ")";
      el.parentNode.insertBefore(span, el.nextSibling);
    });
  });
})();
