// The search page: Pagefind's UI, with the query and the order kept in the address so that
// a search can be shared, and the search box of every page landing here with ?q=.
(function () {
  "use strict";
  var box = document.getElementById("search");
  var controls = document.getElementById("search-controls");
  var order = document.getElementById("search-sort");
  var orders = { newest: { date: "desc" }, oldest: { date: "asc" } };

  function params() {
    return new URLSearchParams(window.location.search);
  }

  function remember(key, value) {
    var url = new URL(window.location.href);
    if (value) { url.searchParams.set(key, value); } else { url.searchParams.delete(key); }
    window.history.replaceState(null, "", url);
  }

  function start(query) {
    var ui = new PagefindUI({
      element: "#search",
      bundlePath: box.getAttribute("data-bundle"),
      showSubResults: false,
      showImages: false,
      resetStyles: false,
      sort: orders[order.value] || null,
      translations: { placeholder: "Search people, places, topics, words" }
    });
    if (query) { ui.triggerSearch(query); }
  }

  function currentQuery() {
    var input = box.querySelector("input");
    return input ? input.value : "";
  }

  order.value = orders[params().get("sort")] ? params().get("sort") : "";
  controls.hidden = false;
  // A new order reloads the page with it: Pagefind's UI takes its sort when it starts.
  order.addEventListener("change", function () {
    var url = new URL(window.location.href);
    url.searchParams.set("q", currentQuery());
    if (order.value) { url.searchParams.set("sort", order.value); } else { url.searchParams.delete("sort"); }
    window.location.assign(url);
  });
  box.addEventListener("input", function (event) {
    if (event.target && event.target.matches("input")) { remember("q", event.target.value); }
  });
  start(params().get("q") || "");
})();
