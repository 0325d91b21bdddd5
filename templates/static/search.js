// The search page. The index is built in parts (a year each, newest first); this queries
// every part with Pagefind's API and merges the answers: by score for "best match", and
// part after part for date order, which keeps the order exact. The query, the order and
// the filters live in the address, so a search can be shared.
const form = document.getElementById("search");
const input = document.getElementById("search-query");
const order = document.getElementById("search-sort");
const filterPanel = document.getElementById("search-filter-panel");
const filtersBox = document.getElementById("search-filters");
const status = document.getElementById("search-status");
const list = document.getElementById("search-results");
const more = document.getElementById("search-more");
const FILTERS = ["person", "place", "topic", "source", "year"];
const PAGE = 10;
const ORDERS = { newest: { date: "desc" }, oldest: { date: "asc" } };

let parts = null;
let filtersLoaded = false;
let shown = [];
let searchNumber = 0;

async function openParts() {
  // Each part is its own module, worker and wasm: Pagefind 1.5's createInstance shares one
  // worker between instances, and its wasm then failed ("memory access out of bounds")
  // on the third search over four parts.
  const base = form.dataset.base;
  const bundles = form.dataset.bundles.split(" ").filter(Boolean);
  return Promise.all(bundles.map(async (bundle) => {
    const part = await import(bundle + "pagefind.js");
    await part.options({ baseUrl: base, excerptLength: 24 });
    await part.init();
    return part;
  }));
}

function chosenFilters() {
  const chosen = {};
  for (const box of filtersBox.querySelectorAll("input:checked")) {
    (chosen[box.name] = chosen[box.name] || []).push(box.value);
  }
  return chosen;
}

function remember(query, chosen) {
  const url = new URL(window.location.href);
  url.search = "";
  if (query) { url.searchParams.set("q", query); }
  if (order.value) { url.searchParams.set("sort", order.value); }
  for (const [name, values] of Object.entries(chosen)) {
    for (const value of values) { url.searchParams.append(name, value); }
  }
  window.history.replaceState(null, "", url);
}

async function run() {
  const number = ++searchNumber;
  const query = input.value.trim();
  const chosen = chosenFilters();
  remember(query, chosen);
  if (!query && !Object.keys(chosen).length) {
    list.replaceChildren();
    more.hidden = true;
    status.textContent = "";
    return;
  }
  parts = parts || await openParts();
  if (filterPanel.open && !filtersLoaded) {
    // Filter values cost bytes: fetched only once a reader opens the filters.
    await Promise.all(parts.map((part) => part.filters()));
    filtersLoaded = true;
  }
  const options = { filters: chosen };
  if (ORDERS[order.value]) { options.sort = ORDERS[order.value]; }
  const answers = await Promise.all(parts.map((part) => part.search(query || null, options)));
  if (number !== searchNumber) { return; }
  shown = merge(answers.map((answer) => answer.results));
  drawFilters(answers.map((answer) => answer.filters), chosen);
  list.replaceChildren();
  status.textContent = shown.length === 1 ? "1 article found" : `${shown.length} articles found`;
  await showMore(number);
}

function merge(lists) {
  if (order.value === "oldest") { return lists.slice().reverse().flat(); }
  if (order.value === "newest") { return lists.flat(); }
  return lists.flat().sort((a, b) => b.score - a.score);
}

async function showMore(number) {
  const start = list.children.length;
  const batch = await Promise.all(shown.slice(start, start + PAGE).map((r) => r.data()));
  if (number !== searchNumber) { return; }
  for (const data of batch) { list.append(resultItem(data)); }
  more.hidden = list.children.length >= shown.length;
}

function resultItem(data) {
  const item = document.createElement("li");
  const heading = document.createElement("h2");
  heading.className = "item";
  const link = document.createElement("a");
  link.className = "result-link";
  link.href = data.url;
  link.textContent = data.meta.title || data.url;
  heading.append(link);
  const meta = document.createElement("p");
  meta.className = "meta";
  meta.textContent = [data.meta.date, data.meta.source].filter(Boolean).join(" · ");
  const excerpt = document.createElement("p");
  excerpt.className = "excerpt";
  // Pagefind escapes the page's text and marks the matches; anything but <mark> is dropped.
  excerpt.innerHTML = (data.excerpt || "").replace(/<(?!\/?mark>)[^>]*>/g, "");
  item.append(heading, meta, excerpt);
  return item;
}

function drawFilters(counts, chosen) {
  const open = new Set([...filtersBox.querySelectorAll("details[open]")].map((d) => d.dataset.name));
  const groups = FILTERS.map((name) => {
    const values = {};
    for (const part of counts) {
      for (const [value, count] of Object.entries((part || {})[name] || {})) {
        values[value] = (values[value] || 0) + count;
      }
    }
    for (const value of chosen[name] || []) { values[value] = values[value] || 0; }
    return filterGroup(name, values, chosen[name] || [], open.has(name));
  }).filter(Boolean);
  filtersBox.replaceChildren(...groups);
}

function filterGroup(name, values, chosen, open) {
  const entries = Object.entries(values).filter(([, count]) => count > 0 || chosen.length)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (!entries.length) { return null; }
  const details = document.createElement("details");
  details.dataset.name = name;
  details.open = open || chosen.length > 0;
  const summary = document.createElement("summary");
  summary.className = "filter-name";
  summary.textContent = name;
  const fieldset = document.createElement("fieldset");
  const legend = document.createElement("legend");
  legend.className = "visually-hidden";
  legend.textContent = `Only articles naming this ${name}`;
  fieldset.append(legend);
  entries.forEach(([value, count], index) => {
    const id = `filter-${name}-${index}`;
    const box = Object.assign(document.createElement("input"), {
      type: "checkbox", id, name, value, checked: chosen.includes(value) });
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = `${value} (${count})`;
    const row = document.createElement("div");
    row.append(box, label);
    fieldset.append(row);
  });
  details.append(summary, fieldset);
  return details;
}

function restore() {
  const params = new URLSearchParams(window.location.search);
  input.value = params.get("q") || "";
  order.value = ORDERS[params.get("sort")] ? params.get("sort") : "";
  const chosen = {};
  for (const name of FILTERS) {
    if (params.getAll(name).length) { chosen[name] = params.getAll(name); }
  }
  filterPanel.open = Object.keys(chosen).length > 0;
  drawFilters([], chosen);
}

let typing = null;
input.addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(run, 150); });
order.addEventListener("change", run);
filtersBox.addEventListener("change", run);
filterPanel.addEventListener("toggle", () => { if (filterPanel.open && !filtersLoaded) { run(); } });
more.addEventListener("click", () => showMore(searchNumber));
form.addEventListener("submit", (event) => { event.preventDefault(); run(); });
form.hidden = false;
restore();
run();
