// Starts Pagefind's UI on /search/ and keeps the query in the address, so a search can be shared.
(function () {
  "use strict";
  var box = document.getElementById("search");
  var params = new URLSearchParams(window.location.search);
  var query = params.get("q") || "";
  var ui = new PagefindUI({
    element: "#search",
    bundlePath: box.getAttribute("data-bundle"),
    showSubResults: false,
    showImages: false,
    resetStyles: false
  });
  if (query) {
    ui.triggerSearch(query);
  }
  box.addEventListener("input", function (event) {
    if (event.target && event.target.matches("input[type=text], input[type=search]")) {
      var url = new URL(window.location.href);
      if (event.target.value) {
        url.searchParams.set("q", event.target.value);
      } else {
        url.searchParams.delete("q");
      }
      window.history.replaceState(null, "", url);
    }
  });
})();
