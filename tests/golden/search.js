// The search page. The index is built in parts (a run of years each, newest first); the
// newest part's Pagefind is the one index the page queries and every older part is merged
// into it, so one search answers across the archive with merged filter counts. The query,
// the order and the filters live in the address, so a search can be shared.
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
// A synthetic filter naming each page's part (never drawn): a date-ordered search asks one
// part at a time through it, see ask().
const PART = "warchive-part";

const bundles = form.dataset.bundles.split(" ").filter(Boolean);
let opening = null;
let filtersLoaded = false;
let shown = everything([]);
let searchNumber = 0;

async function openIndex() {
  // Pagefind's mergeIndex runs an older part in the newest part's module and WebAssembly
  // (it loads the part's metadata and chunks, never its wasm), so the reader downloads
  // those once, not once a part. Separate instances (createInstance) each loaded a wasm,
  // and two loading at once in Pagefind's shared worker replaced each other's memory:
  // "memory access out of bounds". No worker either: it is one more script to download
  // (41 kB), and a search holds the page for some 50 ms at 10,000 articles.
  if (!bundles.length) { return null; }  // an archive without articles has no index
  const settings = (bundle) => ({ baseUrl: form.dataset.base, excerptLength: 24,
    mergeFilter: { [PART]: bundle } });
  const pagefind = await import(bundles[0] + "pagefind.js");
  await pagefind.options({ ...settings(bundles[0]), noWorker: true });
  await pagefind.init();
  // Pagefind lists parts in the order mergeIndex was called, and results of equal score
  // keep that order: newest part first, whichever part's metadata arrives first.
  await Promise.all(bundles.slice(1).map((bundle) => pagefind.mergeIndex(bundle, settings(bundle))));
  return pagefind;
}

function theIndex() {
  // Opened once a page, however many searches start while it loads: a part merged twice
  // would list its results twice.
  opening = opening || openIndex();
  return opening;
}

async function ask(index, query, chosen) {
  // Answers: the results in order, and the filter counts (one object a search).
  if (!index) { return { results: everything([]), counts: [] }; }
  const sort = ORDERS[order.value];
  if (!sort) {
    const answer = await index.search(query || null, { filters: chosen });
    return { results: everything(answer.results), counts: [answer.filters] };
  }
  // Pagefind scores a date-ordered result by its rank inside its own part, so one search
  // over merged parts would interleave them; parts hold disjoint runs of dates, so the
  // parts' own date-ordered answers, part after part, are exact. A search filtered to one
  // part still runs in every merged part, so the parts are asked one at a time, as far as
  // the results shown reach, and the counts come from a single search.
  const parts = order.value === "oldest" ? [...bundles].reverse() : bundles;
  const inPart = (bundle) =>
    index.search(query || null, { filters: { ...chosen, [PART]: bundle }, sort });
  if (!Object.keys(chosen).length) {
    // Pagefind's totalFilters count before any filter: with none chosen, the first part's
    // answer holds every count, how many results each part has among them.
    const first = await inPart(parts[0]);
    return { results: partByPart(parts, first.totalFilters[PART] || {}, inPart, first),
      counts: [first.totalFilters] };
  }
  const all = await index.search(query || null,
    { filters: { ...chosen, [PART]: { any: bundles } } });
  return { results: partByPart(parts, all.filters[PART] || {}, inPart, null),
    counts: [all.filters] };
}

function everything(results) {
  return { length: results.length, take: async (start, end) => results.slice(start, end) };
}

function partByPart(parts, perPart, inPart, first) {
  // Date-ordered results, each part asked when the results shown reach it.
  const found = first ? [...first.results] : [];
  let next = first ? 1 : 0;
  let asking = Promise.resolve();
  const fill = async (end) => {
    while (found.length < end && next < parts.length) {
      const bundle = parts[next++];
      if (perPart[bundle]) { found.push(...(await inPart(bundle)).results); }
    }
  };
  return {
    length: parts.reduce((sum, bundle) => sum + (perPart[bundle] || 0), 0),
    async take(start, end) {
      asking = asking.then(() => fill(end), () => fill(end));  // in order; a failure passes
      await asking;
      return found.slice(start, end);
    },
  };
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
  const index = await theIndex();
  if (filterPanel.open && !filtersLoaded) {
    // Filter values cost bytes: fetched only once a reader opens the filters.
    await index?.filters();
    filtersLoaded = true;
  }
  const answer = await ask(index, query, chosen);
  if (number !== searchNumber) { return; }
  shown = answer.results;
  drawFilters(answer.counts, chosen);
  list.replaceChildren();
  more.hidden = true;
  status.textContent = shown.length === 1 ? "1 article found" : `${shown.length} articles found`;
  await showMore(number);
}

let paging = Promise.resolve();

function showMore(number) {
  // One page at a time: a second click, or a click while a new search shows its first
  // page, would otherwise read the same start and list the same results twice.
  paging = paging.then(() => nextPage(number), () => nextPage(number));
  return paging;
}

async function nextPage(number) {
  if (number !== searchNumber) { return; }
  const start = list.children.length;
  const next = await shown.take(start, start + PAGE);
  const batch = await Promise.all(next.map((r) => r.data()));
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
