/* Small improvements over the plain pages (everything works without JavaScript):
   "/" jumps to the search box; a facet's long value list can be filtered as you type. */
(function () {
  "use strict";
  var box = document.getElementById("q");
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable);
    if (event.key === "/" && box && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  });
  var filters = document.querySelectorAll("input.facet-filter");
  Array.prototype.forEach.call(filters, function (input) {
    input.hidden = false;
    var section = input.closest(".facet");
    input.addEventListener("input", function () {
      var wanted = input.value.trim().toLowerCase();
      var details = section.querySelector("details");
      if (details && wanted) { details.open = true; }
      Array.prototype.forEach.call(section.querySelectorAll("li"), function (item) {
        item.hidden = wanted !== "" && item.textContent.toLowerCase().indexOf(wanted) === -1;
      });
    });
  });
})();
