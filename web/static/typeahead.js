// The search page's typeahead: a WAI-ARIA 1.2 combobox whose popup is a listbox.
//
// Requests are debounced. Each new request aborts the one in flight, and an answer is used only
// if it belongs to the latest request, so a slow answer to "the b" can never replace the answer
// to "the big". Everything that comes from the server enters the page as text (textContent),
// never as markup, so a title such as "<script>" is shown, not run.
//
// Each request also carries the genre and decade chips that are on (`genre=`, `decade=`) and the
// session so far (`context=`): the queries the user settled on and the titles chosen.
//
// The popup is a listbox of options, sometimes in labelled groups: the suggestions (under a
// "Showing results for ..." heading when the engine read the query another way, or a plainer
// "the closest" one when it is not sure of that reading, with a last option that searches for the
// text as typed), or, in an empty box, this tab's recent searches
// and what people choose now. Nothing that is not an option can take the active descendant.
//
// On the results page (`/?q=...`) the same script records a click on a result as it records a
// chosen suggestion: the list shown, then the click, through the same API.

const SESSION_KEY = "autocomplete.session";
const CONTEXT_KEY = "autocomplete.context";
const RECENT_KEY = "autocomplete.recent";
const RECENT_MAX = 5; // recent searches kept and shown
const REASON_MIN_LIFT = 1; // a suggestion the session lifted by a factor e or more says why
const SESSION_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;
const IMPRESSION_DELAY_MS = 700; // a list on screen this long counts as seen
// A result click waits for its impression to be stored (so the click answers a list the store
// has seen) at most this long before leaving: a loaded server may take over a second.
const LEAVE_AFTER_MS = 3000;
const ANNOUNCE_DELAY_MS = 350; // screen readers hear the count once typing pauses
const CACHE_SIZE = 64;
const LEARNED_K = 5;

const MESSAGES = {
  slow: "Suggestions are taking longer than usual. Keep typing, or press Enter to search.",
  down: "Suggestions are unavailable right now. Press Enter to search, or try again shortly.",
  empty: (query) => `No titles match “${query}”.`,
  emptyTyped: (query) => `No titles match “${query}” as typed.`,
};

const HEADINGS = {
  recent: "Recent searches",
  trending: "Chosen by people now",
  popular: "Popular titles",
};

function positive(text, fallback) {
  const value = Number.parseInt(text ?? "", 10);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

// A random id for this tab, kept for the session so the server can tell a user's clicks apart.
function sessionId() {
  let id = null;
  try {
    id = window.sessionStorage.getItem(SESSION_KEY);
  } catch {
    // Storage can be disabled; a fresh id per page load is then the best we can do.
  }
  if (id && SESSION_PATTERN.test(id)) return id;
  const bytes = window.crypto.getRandomValues(new Uint8Array(16));
  id = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  try {
    window.sessionStorage.setItem(SESSION_KEY, id);
  } catch {
    // See above.
  }
  return id;
}

function storedJson(key) {
  try {
    const text = window.sessionStorage.getItem(key);
    return text ? JSON.parse(text) : null;
  } catch {
    return null; // storage disabled, or not JSON: start afresh
  }
}

function storeJson(key, value) {
  try {
    if (value === null) window.sessionStorage.removeItem(key);
    else window.sessionStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage can be disabled; the session then lasts as long as the page.
  }
}

// The last `limit` non-blank strings of `value`, if it is a list.
function recentStrings(value, limit) {
  if (!Array.isArray(value)) return [];
  return value.filter((item) => typeof item === "string" && item.trim()).slice(-limit);
}

// `list` with `item` moved (or added) to the end, cut to the last `limit`.
function withLatest(list, item, limit) {
  return [...list.filter((other) => other !== item), item].slice(-limit);
}

function plural(count, one, many) {
  return `${count} ${count === 1 ? one : many}`;
}

function postJson(url, body) {
  // keepalive lets a click still reach the server if the user leaves the page right away.
  return fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    keepalive: true,
  });
}

// Append `text` to `parent`, wrapping the [start, end) ranges of `spans` in <mark>. The API
// counts code points (as Python does), so the text is split into code points, not UTF-16 units.
function appendHighlighted(parent, text, spans) {
  const chars = Array.from(text);
  const ranges = (Array.isArray(spans) ? spans : [])
    .filter((span) => Array.isArray(span) && span.length === 2 && span.every(Number.isInteger))
    .map(([start, end]) => [Math.max(0, start), Math.min(chars.length, end)])
    .filter(([start, end]) => start < end)
    .sort((a, b) => a[0] - b[0]);
  let at = 0;
  for (const [start, end] of ranges) {
    if (end <= at) continue;
    const from = Math.max(start, at);
    if (from > at) parent.append(chars.slice(at, from).join(""));
    const mark = document.createElement("mark");
    mark.textContent = chars.slice(from, end).join("");
    parent.append(mark);
    at = end;
  }
  if (at < chars.length) parent.append(chars.slice(at).join(""));
}

function isSuggestion(item) {
  return item !== null && typeof item === "object" && typeof item.text === "string" &&
    typeof item.id === "string";
}

// Why the session lifted a suggestion, when it lifted it a lot: the engine's first session
// explanation ('session: same series as "Toy Story" (clicked) (+2.48)') without its tag and
// its number. A small nudge (a shared genre, say) is left unsaid.
function sessionReason(item) {
  if (typeof item.context !== "number" || item.context < REASON_MIN_LIFT) return null;
  const parts = Array.isArray(item.explanation) ? item.explanation : [];
  const reason = parts.find((part) => typeof part === "string" && part.startsWith("session: "));
  return reason ? reason.slice("session: ".length).replace(/ \([+-][0-9.]+\)$/, "") : null;
}

// The session so far, sent with each request as `context`: the queries the user settled on
// (chose a suggestion for, or searched) and the ids chosen, oldest first, as many of each as the
// engine reads. Kept in sessionStorage: it survives a search's page load and ends with the tab.
class SessionHistory {
  constructor(maxQueries, maxClicks) {
    this.maxQueries = maxQueries;
    this.maxClicks = maxClicks;
    const saved = storedJson(CONTEXT_KEY);
    this.queries = recentStrings(saved?.queries, maxQueries);
    this.clicked = recentStrings(saved?.clicked, maxClicks);
  }

  get size() {
    return this.queries.length + this.clicked.length;
  }

  settle(query, id = null) {
    const typed = query.trim();
    if (typed) this.queries = withLatest(this.queries, typed, this.maxQueries);
    if (id) this.clicked = withLatest(this.clicked, id, this.maxClicks);
    storeJson(CONTEXT_KEY, { queries: this.queries, clicked: this.clicked });
  }

  forget() {
    this.queries = [];
    this.clicked = [];
    storeJson(CONTEXT_KEY, null);
  }

  // The `context` parameter, or null when there is nothing to send.
  param() {
    return this.size ? JSON.stringify({ queries: this.queries, clicked: this.clicked }) : null;
  }
}

// This tab's recent searches, newest first: what the box held when the user settled on it (a
// chosen title, or a search). Kept in sessionStorage, so they end with the tab; each can be
// removed on its own.
class RecentSearches {
  constructor(limit) {
    this.limit = limit;
    this.items = recentStrings(storedJson(RECENT_KEY), limit);
  }

  add(text) {
    const typed = text.trim();
    if (!typed) return;
    this.items = [typed, ...this.items.filter((item) => item !== typed)].slice(0, this.limit);
    storeJson(RECENT_KEY, this.items);
  }

  remove(text) {
    this.items = this.items.filter((item) => item !== text);
    storeJson(RECENT_KEY, this.items.length ? this.items : null);
  }
}

// Filter chips: toggle buttons (aria-pressed) in toolbars named by the parameter they set
// (data-chips="genre"); in a data-exclusive toolbar at most one is on. Each toolbar is one tab
// stop: Left/Right (wrapping), Home and End move along it, Space or Enter toggles. The form's
// hidden inputs follow the chips, so a search submitted with Enter keeps the filter.
class FilterChips {
  constructor(root, inputs, onChange) {
    this.inputs = inputs;
    this.onChange = onChange;
    this.toolbars = Array.from(root.querySelectorAll("[data-chips]"));
    for (const toolbar of this.toolbars) {
      const chips = this.chips(toolbar);
      this.rove(toolbar, chips.find((chip) => this.isOn(chip)) ?? chips[0]);
      toolbar.addEventListener("click", (event) => {
        const chip = event.target instanceof Element ? event.target.closest(".chip") : null;
        // detail counts pointer clicks; a key press on a button clicks it with detail 0.
        if (chip) this.toggle(toolbar, chip, event.detail > 0);
      });
      toolbar.addEventListener("keydown", (event) => this.onKeydown(toolbar, event));
    }
    this.syncInputs();
    root.hidden = false;
  }

  chips(toolbar) {
    return Array.from(toolbar.querySelectorAll(".chip"));
  }

  isOn(chip) {
    return chip.getAttribute("aria-pressed") === "true";
  }

  toggle(toolbar, chip, byPointer) {
    const on = !this.isOn(chip);
    if (on && toolbar.hasAttribute("data-exclusive")) {
      for (const other of this.chips(toolbar)) other.setAttribute("aria-pressed", "false");
    }
    chip.setAttribute("aria-pressed", String(on));
    this.rove(toolbar, chip);
    this.syncInputs();
    this.onChange(byPointer);
  }

  rove(toolbar, current) {
    for (const chip of this.chips(toolbar)) chip.tabIndex = chip === current ? 0 : -1;
  }

  onKeydown(toolbar, event) {
    const chips = this.chips(toolbar);
    const at = chips.indexOf(document.activeElement);
    if (at < 0 || event.altKey || event.ctrlKey || event.metaKey) return;
    const moves = {
      ArrowRight: (at + 1) % chips.length,
      ArrowLeft: (at - 1 + chips.length) % chips.length,
      Home: 0,
      End: chips.length - 1,
    };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const next = chips[moves[event.key]];
    this.rove(toolbar, next);
    next.focus();
  }

  // [[parameter, value], ...] for the chips that are on, in page order.
  selected() {
    return this.toolbars.flatMap((toolbar) => this.chips(toolbar)
      .filter((chip) => this.isOn(chip))
      .map((chip) => [toolbar.dataset.chips, chip.dataset.value]));
  }

  syncInputs() {
    if (!this.inputs) return;
    this.inputs.replaceChildren(...this.selected().map(([name, value]) => {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = value;
      return input;
    }));
  }
}

// The "what the engine learned" panel: top clicked titles for a prefix.
class LearnedPanel {
  constructor(section, url) {
    this.section = section;
    this.url = url;
    this.form = section.querySelector("[data-learned-form]");
    this.prefix = section.querySelector("#learned-prefix");
    this.list = section.querySelector("[data-learned-list]");
    this.empty = section.querySelector("[data-learned-empty]");
    this.latest = 0;
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.show(this.prefix.value);
    });
  }

  async show(prefix) {
    this.prefix.value = prefix;
    const number = ++this.latest;
    const params = new URLSearchParams({ prefix, k: String(LEARNED_K) });
    let titles = [];
    let message = `Nothing learned for “${prefix}” yet.`;
    try {
      const response = await fetch(`${this.url}?${params}`, {
        headers: { Accept: "application/json" },
      });
      const body = await response.json().catch(() => null);
      if (response.ok && body && Array.isArray(body.titles)) {
        titles = body.titles.filter(isSuggestion);
      } else if (body?.error?.message) {
        message = body.error.message;
      }
    } catch {
      message = "Could not reach the server.";
    }
    if (number !== this.latest) return;
    this.list.replaceChildren(...titles.map((title) => this.item(title)));
    this.empty.textContent = message;
    this.empty.hidden = titles.length > 0;
  }

  item(title) {
    const li = document.createElement("li");
    const name = document.createElement("span");
    name.className = "learned-title";
    name.textContent = title.label || title.text;
    const lift = document.createElement("span");
    lift.className = "learned-lift";
    const factor = Number.isFinite(title.lift) ? title.lift : 1;
    // The odds factor feedback applies: above 1 people chose it, below 1 they passed it over.
    lift.textContent = factor >= 1 ? `lifted ×${factor.toFixed(1)}` : `lowered ×${factor.toFixed(2)}`;
    lift.dataset.direction = factor >= 1 ? "up" : "down";
    li.append(name, lift);
    return li;
  }
}

// The card that shows the chosen title and whether the choice was recorded.
class ChoicePanel {
  constructor(section) {
    this.section = section;
    this.title = section.querySelector("[data-choice-title]");
    this.facts = section.querySelector("[data-choice-facts]");
    this.status = section.querySelector("[data-choice-status]");
  }

  show(suggestion) {
    const meta = suggestion.metadata && typeof suggestion.metadata === "object"
      ? suggestion.metadata : {};
    this.title.textContent = suggestion.label || suggestion.text;
    const facts = [];
    if (Number.isInteger(meta.year)) facts.push(["Year", String(meta.year)]);
    if (typeof meta.rating === "number") facts.push(["Rating", `${meta.rating.toFixed(1)} / 10`]);
    if (Array.isArray(meta.genres) && meta.genres.length) {
      facts.push(["Genres", meta.genres.map(String).join(", ")]);
    }
    if (Number.isInteger(meta.votes)) facts.push(["Votes", meta.votes.toLocaleString("en")]);
    this.facts.replaceChildren(...facts.flatMap(([term, value]) => {
      const dt = document.createElement("dt");
      dt.textContent = term;
      const dd = document.createElement("dd");
      dd.textContent = value;
      return [dt, dd];
    }));
    this.setStatus("pending", "Recording your choice…");
    this.section.hidden = false;
  }

  setStatus(state, text) {
    this.section.dataset.clickStatus = state;
    this.status.textContent = text;
  }
}

class Typeahead {
  constructor(form) {
    const data = form.dataset;
    this.form = form;
    this.input = form.querySelector('[role="combobox"]');
    this.listbox = form.querySelector('[role="listbox"]');
    this.announcer = form.querySelector("[data-announcer]");
    this.notice = form.querySelector("[data-notice]");
    this.literalInput = form.querySelector("[data-literal-input]");
    this.urls = {
      suggest: data.suggestUrl,
      trending: data.trendingUrl,
      impression: data.impressionUrl,
      click: data.clickUrl,
    };
    this.k = positive(data.k, 8);
    this.debounceMs = positive(data.debounceMs, 90);
    this.timeoutMs = positive(data.timeoutMs, 3000);
    this.session = sessionId();
    this.latest = 0; // number of the latest request; answers to older ones are dropped
    this.inFlight = null; // AbortController of the request on the wire
    this.debounce = 0;
    this.announceTimer = 0;
    this.impressionTimer = 0;
    // What the popup holds: {mode, query, key, rows, body, impression}. `rows` are the
    // options in page order: {kind: "suggestion", item, position} | {kind: "instead", text}
    // | {kind: "recent", text} | {kind: "pick", item}.
    this.shown = null;
    this.active = -1;
    this.cache = new Map(); // request parameters -> answer
    this.history = new SessionHistory(
      positive(data.sessionQueries, 5), positive(data.sessionClicks, 5));
    this.recent = new RecentSearches(RECENT_MAX);
    // The query whose correction the user turned off ("search instead for"), or null. The
    // results page of such a search comes with the switch on.
    this.literal = this.literalInput && !this.literalInput.disabled ? this.input.value : null;
    this.sessionLine = form.querySelector("[data-session]");
    const filters = form.querySelector("[data-filters]");
    this.filters = filters
      ? new FilterChips(filters, form.querySelector("[data-filter-inputs]"),
        (byPointer) => this.onFilterChange(byPointer))
      : null;
    const choice = document.querySelector("[data-choice]");
    const learned = document.querySelector("[data-learned]");
    this.choice = choice ? new ChoicePanel(choice) : null;
    this.learned = learned && data.learnedUrl ? new LearnedPanel(learned, data.learnedUrl) : null;
  }

  start() {
    this.input.addEventListener("input", () => this.onInput());
    this.input.addEventListener("keydown", (event) => this.onKeydown(event));
    this.input.addEventListener("blur", () => this.close());
    this.input.addEventListener("focus", () => this.onFocus());
    // A search submitted with Enter is a query the user settled on.
    this.form.addEventListener("submit", () => {
      this.history.settle(this.input.value);
      this.recent.add(this.input.value);
    });
    this.sessionLine?.querySelector("[data-session-forget]")?.addEventListener("click", () => {
      this.history.forget();
      this.showSession();
      this.input.focus();
      this.refresh();
    });
    this.showSession();
    // Keep focus in the input while the pointer is pressed on an option (the click chooses).
    this.listbox.addEventListener("mousedown", (event) => event.preventDefault());
    this.listbox.addEventListener("click", (event) => this.onListClick(event));
    this.watchResults();
    document.documentElement.classList.add("has-typeahead");
  }

  // Requests --------------------------------------------------------------------------------

  onInput() {
    this.dropServerResults();
    this.deactivate();
    this.syncLiteral();
    clearTimeout(this.debounce);
    const query = this.input.value;
    if (!query.trim()) {
      this.showEmptyBox();
      return;
    }
    if (this.shown?.mode === "empty") this.clear();
    this.debounce = setTimeout(() => this.request(query), this.debounceMs);
  }

  onFocus() {
    if (!this.input.value.trim()) {
      this.showEmptyBox();
    } else if (this.isCurrent()) {
      this.open();
    }
  }

  // The chips changed: ask again for what the box holds. A click goes back to typing; the
  // keyboard stays on the chips (the count is announced, and the list opens on return).
  onFilterChange(byPointer) {
    this.dropServerResults();
    this.close();
    if (byPointer) this.input.focus();
    this.refresh();
  }

  refresh() {
    const query = this.input.value;
    if (query.trim()) {
      this.request(query);
    } else if (document.activeElement === this.input) {
      this.showEmptyBox();
    } else {
      this.cancel();
      this.clear();
    }
  }

  // Whether correction is off for `query` (the user chose "search instead for" it).
  isLiteral(query) {
    return this.literal !== null && query === this.literal;
  }

  // The form's `correct=false` input follows the box, so Enter searches as the list answers.
  syncLiteral() {
    if (this.literalInput) this.literalInput.disabled = !this.isLiteral(this.input.value);
  }

  // The parameters of a request for `query`: also its key in the answer cache.
  params(query) {
    const params = new URLSearchParams({ q: query, k: String(this.k) });
    for (const [name, value] of this.filters?.selected() ?? []) params.append(name, value);
    if (this.isLiteral(query)) params.set("correct", "false");
    const context = this.history.param();
    if (context) params.set("context", context);
    // The session id lets an online experiment keep this tab in one arm (docs/experiments.md).
    params.set("session", this.session);
    return params;
  }

  emptyParams() {
    const params = new URLSearchParams({ k: String(this.k) });
    for (const [name, value] of this.filters?.selected() ?? []) params.append(name, value);
    return params;
  }

  // The key of the list that answers what the box holds, with the chips and session as they are.
  currentKey() {
    const query = this.input.value;
    return query.trim() ? this.params(query).toString() : `empty?${this.emptyParams()}`;
  }

  isCurrent() {
    return this.shown !== null && this.shown.rows.length > 0 &&
      this.shown.key === this.currentKey();
  }

  cancel() {
    clearTimeout(this.debounce);
    this.latest += 1;
    if (this.inFlight) this.inFlight.abort();
    this.inFlight = null;
    this.setBusy(false);
  }

  async request(query) {
    clearTimeout(this.debounce);
    const number = ++this.latest;
    if (this.inFlight) this.inFlight.abort();
    this.inFlight = null;
    const params = this.params(query);
    const key = params.toString();
    const cached = this.cache.get(key);
    if (cached) {
      this.setBusy(false);
      this.render(query, key, cached);
      return;
    }
    const controller = new AbortController();
    this.inFlight = controller;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    this.setBusy(true);
    try {
      const response = await fetch(`${this.urls.suggest}?${key}`, {
        signal: controller.signal,
        headers: { Accept: "application/json" },
      });
      const body = await response.json().catch(() => null);
      if (number !== this.latest) return;
      const answered = response.ok && body !== null && Array.isArray(body.suggestions);
      if (!answered && params.has("context")) {
        // Whatever went wrong, the stored session may be the cause (edited by hand, limits
        // that changed, a title the server trips over), and it would be sent again with every
        // request, after a reload too: drop it and ask once more without it.
        this.history.forget();
        this.showSession();
        this.request(query);
        return;
      }
      if (!response.ok) {
        const refused = response.status >= 400 && response.status < 500;
        this.fail(refused && body?.error?.message ? body.error.message : MESSAGES.down);
        return;
      }
      if (!answered) throw new TypeError("not a suggestion list");
      this.remember(key, body);
      this.render(query, key, body);
    } catch {
      // An aborted request was superseded by a newer one: dropping its answer is the point.
      if (number !== this.latest) return;
      this.fail(timedOut ? MESSAGES.slow : MESSAGES.down);
    } finally {
      clearTimeout(timer);
      if (this.inFlight === controller) {
        this.inFlight = null;
        this.setBusy(false);
      }
    }
  }

  // The empty box: this tab's recent searches, and what people choose now (or, while clicks
  // have taught nothing, the most popular titles). Without an answer from the server the
  // recent searches still show.
  async showEmptyBox() {
    clearTimeout(this.debounce);
    const number = ++this.latest;
    if (this.inFlight) this.inFlight.abort();
    this.inFlight = null;
    this.setBusy(false);
    const params = this.emptyParams();
    const key = `empty?${params}`;
    let body = this.cache.get(key) ?? null;
    if (!body && this.urls.trending) {
      try {
        const response = await fetch(`${this.urls.trending}?${params}`, {
          headers: { Accept: "application/json" },
        });
        const answer = await response.json().catch(() => null);
        if (response.ok && answer && Array.isArray(answer.suggestions)) {
          body = answer;
          this.remember(key, answer);
        }
      } catch {
        // The recent searches are worth showing on their own.
      }
    }
    if (number !== this.latest || this.input.value.trim()) return;
    this.renderEmpty(key, body);
  }

  remember(key, body) {
    if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value);
    this.cache.set(key, body);
  }

  setBusy(busy) {
    this.form.classList.toggle("is-busy", busy);
    this.listbox.setAttribute("aria-busy", String(busy));
  }

  // Rendering -------------------------------------------------------------------------------

  render(query, key, body) {
    const suggestions = body.suggestions.filter(isSuggestion);
    const rows = suggestions.map((item, index) => ({ kind: "suggestion", item, position: index + 1 }));
    const options = suggestions.map((item, index) => this.option(item, index));
    const didYouMean = body.corrected && typeof body.did_you_mean === "string" &&
      body.did_you_mean ? body.did_you_mean : null;
    // A correction the engine is not sure of ("amelie" read as "american") is not announced:
    // the list is what comes closest to the text as typed, and says so.
    const closestOnly = !didYouMean && body.corrected === true;
    let children = options;
    if ((didYouMean || closestOnly) && suggestions.length) {
      // The correction heads the list it explains, so the open list can never cover it; the
      // last option takes the text as typed.
      const group = this.group(didYouMean ? "correction" : "closest");
      const heading = group.firstElementChild;
      if (didYouMean) {
        heading.dataset.correction = "";
        const reading = document.createElement("em");
        reading.textContent = didYouMean;
        heading.append("Showing results for ", reading);
      } else {
        heading.dataset.closest = "";
        heading.textContent = `No title matches “${query}” as typed; the closest:`;
      }
      rows.push({ kind: "instead", text: query });
      group.append(...options, this.insteadOption(query, rows.length - 1));
      children = [group];
    }
    this.show({ mode: "suggestions", query, key, rows, body, impression: null }, children);
    if (suggestions.length) {
      this.hideNotice();
      if (document.activeElement === this.input) this.open();
      const shown = this.shown;
      this.impressionTimer = setTimeout(() => this.sendImpression(shown), IMPRESSION_DELAY_MS);
    } else {
      this.close();
      const empty = this.isLiteral(query) ? MESSAGES.emptyTyped : MESSAGES.empty;
      this.showNotice(empty(query), "empty");
    }
    const count = suggestions.length;
    let words = count === 0 ? "No suggestions."
      : `${plural(count, "suggestion", "suggestions")} available.`;
    if (didYouMean && count) {
      words += ` Showing results for ${didYouMean}. The last option searches for ${query} instead.`;
    } else if (closestOnly && count) {
      words += ` No title matches ${query} as typed; these are the closest. The last option searches for ${query} only.`;
    } else if (this.isLiteral(query) && count) {
      words += " Spelling correction is off for this search.";
    }
    this.announce(words);
  }

  renderEmpty(key, body, { announce = true } = {}) {
    const rows = [];
    const children = [];
    if (this.recent.items.length) {
      const group = this.group("recent", HEADINGS.recent);
      for (const text of this.recent.items) {
        rows.push({ kind: "recent", text });
        group.append(this.recentOption(text, rows.length - 1));
      }
      children.push(group);
    }
    const picks = body ? body.suggestions.filter(isSuggestion) : [];
    const source = body?.source === "trending" ? "trending" : "popular";
    if (picks.length) {
      const group = this.group(source, HEADINGS[source]);
      for (const item of picks) {
        rows.push({ kind: "pick", item });
        group.append(this.option(item, rows.length - 1));
      }
      children.push(group);
    }
    this.show({ mode: "empty", query: "", key, rows, body, impression: null }, children);
    this.hideNotice();
    if (!rows.length) {
      this.close();
      return;
    }
    if (document.activeElement === this.input) this.open();
    if (announce) {
      const parts = [];
      if (this.recent.items.length) {
        parts.push(plural(this.recent.items.length, "recent search", "recent searches"));
      }
      if (picks.length) {
        parts.push(`${picks.length} ${source === "trending" ? "titles people choose now" : "popular titles"}`);
      }
      this.announce(`${parts.join(" and ")}. Use the arrow keys to pick one.` +
        (this.recent.items.length ? " Press Delete to remove a recent search." : ""));
    }
  }

  show(shown, children) {
    clearTimeout(this.impressionTimer);
    this.shown = shown;
    // Which query and filter the list answers (tests wait on them).
    this.listbox.dataset.mode = shown.mode;
    this.listbox.dataset.query = shown.query;
    this.listbox.dataset.filter = new URLSearchParams(this.filters?.selected() ?? []).toString();
    this.active = -1;
    this.input.removeAttribute("aria-activedescendant");
    this.listbox.replaceChildren(...children);
  }

  // A group of options under a heading that names it (and that is never an option itself).
  group(name, text = "") {
    const group = document.createElement("div");
    group.setAttribute("role", "group");
    group.className = `option-group group-${name}`;
    const heading = document.createElement("div");
    heading.setAttribute("role", "presentation");
    heading.id = `${this.listbox.id}-heading-${name}`;
    heading.className = "list-heading";
    heading.textContent = text;
    group.setAttribute("aria-labelledby", heading.id);
    group.append(heading);
    return group;
  }

  newOption(row, className) {
    const option = document.createElement("div");
    option.id = `${this.listbox.id}-option-${row}`;
    option.className = className;
    option.setAttribute("role", "option");
    option.setAttribute("aria-selected", "false");
    option.dataset.row = String(row);
    return option;
  }

  option(item, row) {
    const option = this.newOption(row, "option");
    option.dataset.id = item.id;
    const title = document.createElement("span");
    title.className = "title";
    appendHighlighted(title, item.text, item.spans);
    option.append(title);
    if (item.remake && Number.isInteger(item.year)) {
      const year = document.createElement("span");
      year.className = "year";
      year.textContent = ` (${item.year})`;
      option.append(year);
    }
    // Reached by another name ("the good the" for "Il Buono, il brutto, il cattivo"): say
    // which, as the catalog writes it, or the row looks unrelated to what was typed.
    if (item.matched_alias) {
      const aka = document.createElement("span");
      aka.className = "aka";
      aka.textContent = ` — ${item.matched_alias}`;
      option.append(aka);
    }
    const reason = sessionReason(item);
    if (reason) {
      const note = document.createElement("span");
      note.className = "reason";
      note.textContent = reason;
      option.append(note);
    }
    return option;
  }

  insteadOption(query, row) {
    const option = this.newOption(row, "option instead");
    option.dataset.instead = "";
    const typed = document.createElement("em");
    typed.textContent = query;
    option.append("Search instead for ", typed);
    return option;
  }

  recentOption(text, row) {
    const option = this.newOption(row, "option recent");
    option.dataset.recent = text;
    const title = document.createElement("span");
    title.className = "title";
    title.textContent = text;
    // For the pointer only: the keyboard removes the active option with Delete, and a button
    // inside an option would be a control inside a control.
    const remove = document.createElement("span");
    remove.className = "remove";
    remove.dataset.remove = "";
    remove.title = `Remove “${text}” from recent searches`;
    remove.setAttribute("aria-hidden", "true");
    remove.textContent = "×";
    option.append(title, remove);
    return option;
  }

  dropServerResults() {
    for (const node of document.querySelectorAll("[data-server-results], .empty")) node.remove();
  }

  clear() {
    clearTimeout(this.impressionTimer);
    this.shown = null;
    delete this.listbox.dataset.query;
    delete this.listbox.dataset.filter;
    delete this.listbox.dataset.mode;
    this.listbox.replaceChildren();
    this.hideNotice();
    this.close();
  }

  showNotice(text, kind = "error") {
    this.notice.textContent = text;
    this.notice.dataset.kind = kind;
    this.notice.hidden = false;
  }

  hideNotice() {
    this.notice.hidden = true;
    this.notice.textContent = "";
  }

  fail(message) {
    this.close();
    this.showNotice(message);
    this.announce(message);
  }

  announce(text) {
    // Said once typing pauses; emptied first so that the same words twice are heard twice.
    clearTimeout(this.announceTimer);
    this.announceTimer = setTimeout(() => {
      this.announcer.textContent = "";
      this.announceTimer = setTimeout(() => {
        this.announcer.textContent = text;
      }, 30);
    }, ANNOUNCE_DELAY_MS);
  }

  // The popup --------------------------------------------------------------------------------

  isOpen() {
    return !this.listbox.hidden;
  }

  open() {
    if (!this.shown || !this.shown.rows.length) return;
    this.listbox.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
  }

  close() {
    this.deactivate();
    this.listbox.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
  }

  options() {
    return this.listbox.querySelectorAll('[role="option"]');
  }

  activate(index) {
    const options = this.options();
    if (!options.length) return;
    this.active = (index + options.length) % options.length;
    options.forEach((option, position) => {
      const on = position === this.active;
      option.setAttribute("aria-selected", String(on));
      option.classList.toggle("is-active", on);
    });
    const current = options[this.active];
    this.input.setAttribute("aria-activedescendant", current.id);
    current.scrollIntoView({ block: "nearest" });
  }

  deactivate() {
    if (this.active < 0) return;
    const current = this.listbox.querySelector(".is-active");
    if (current) {
      current.classList.remove("is-active");
      current.setAttribute("aria-selected", "false");
    }
    this.active = -1;
    this.input.removeAttribute("aria-activedescendant");
  }

  onKeydown(event) {
    if (event.isComposing) return; // an input method is composing a character
    const count = this.shown ? this.shown.rows.length : 0;
    switch (event.key) {
      case "ArrowDown":
      case "ArrowUp": {
        event.preventDefault();
        const down = event.key === "ArrowDown";
        if (!count || !this.isCurrent()) {
          if (this.input.value.trim()) this.request(this.input.value);
          else this.showEmptyBox();
          return;
        }
        if (!this.isOpen()) {
          this.open();
          if (!event.altKey) this.activate(down ? 0 : count - 1);
          return;
        }
        if (event.altKey) {
          if (!down) this.close();
          return;
        }
        this.activate(this.active < 0 ? (down ? 0 : count - 1) : this.active + (down ? 1 : -1));
        return;
      }
      case "Enter":
        if (this.isOpen() && this.active >= 0) {
          event.preventDefault();
          this.chooseRow(this.active);
        }
        return; // otherwise the form submits and the server renders the results page
      case "Delete":
        // Removes the active recent search (Shift+Delete, as browsers remove their own
        // remembered entries, does too); elsewhere Delete edits the text as usual.
        if (this.isOpen() && this.shown?.rows[this.active]?.kind === "recent") {
          event.preventDefault();
          this.removeRecent(this.active);
        }
        return;
      case "Escape":
        event.preventDefault();
        if (this.isOpen()) {
          this.close();
        } else if (this.input.value) {
          this.input.value = "";
          this.syncLiteral();
          this.cancel();
          this.clear();
        }
        return;
      case "Tab":
        this.close();
        return;
      case "ArrowLeft":
      case "ArrowRight":
      case "Home":
      case "End":
        this.deactivate(); // the caret moves in the text; the listbox loses visual focus
        return;
      default:
    }
  }

  // Choosing, and telling the server ---------------------------------------------------------

  onListClick(event) {
    const target = event.target instanceof Element ? event.target : null;
    const option = target?.closest('[role="option"]');
    if (!option) return;
    const row = Number(option.dataset.row);
    if (target.closest("[data-remove]")) this.removeRecent(row);
    else this.chooseRow(row);
  }

  chooseRow(row) {
    const entry = this.shown?.rows[row];
    if (!entry) return;
    if (entry.kind === "suggestion") this.choose(entry);
    else if (entry.kind === "instead") this.searchAsTyped(entry.text);
    else if (entry.kind === "recent") this.searchAgain(entry.text);
    else if (entry.kind === "pick") this.choosePick(entry.item);
  }

  choose(entry) {
    const shown = this.shown;
    const { item, position } = entry;
    this.cancel();
    this.input.value = item.text;
    this.syncLiteral();
    this.clear();
    this.cache.clear(); // the click may change the ranking
    this.history.settle(shown.query, item.id);
    this.recent.add(item.text);
    this.showSession();
    this.announce(`${item.label || item.text} chosen.`);
    if (this.choice) this.choice.show(item);
    // The impression goes first, so the store sees the list before the click on it.
    this.sendImpression(shown)
      .then(() => postJson(this.urls.click, {
        query: shown.query,
        id: item.id,
        position,
        session_id: this.session,
      }))
      .then((response) => {
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        this.choice?.setStatus(
          "recorded", `Thanks: this choice now counts for “${shown.query}”.`);
        this.learned?.show(shown.query);
      })
      .catch(() => {
        this.choice?.setStatus(
          "failed", "This choice could not be recorded; the ranking is unchanged.");
      });
  }

  // "Search instead for ...": correction off for this query until the box changes.
  searchAsTyped(query) {
    this.literal = query;
    this.input.value = query;
    this.syncLiteral();
    this.request(query);
  }

  searchAgain(text) {
    this.input.value = text;
    this.recent.add(text); // most recent again
    this.syncLiteral();
    this.request(text);
  }

  // A title picked from the empty box. Nothing was typed, so there is no query for the click
  // to teach: it is not recorded, only remembered by this tab.
  choosePick(item) {
    this.cancel();
    this.input.value = item.text;
    this.syncLiteral();
    this.clear();
    this.history.settle("", item.id);
    this.recent.add(item.text);
    this.showSession();
    this.announce(`${item.label || item.text} chosen.`);
    if (this.choice) {
      this.choice.show(item);
      this.choice.setStatus(
        "unrecorded", "Picked from the empty box: only a choice made while typing teaches the ranking.");
    }
  }

  removeRecent(row) {
    const entry = this.shown?.rows[row];
    if (!entry || entry.kind !== "recent" || this.shown.mode !== "empty") return;
    this.recent.remove(entry.text);
    const active = this.active;
    this.renderEmpty(this.shown.key, this.shown.body, { announce: false });
    this.announce(`Removed “${entry.text}” from recent searches.`);
    // The keyboard stays where it was: on the next option, or the last.
    if (active >= 0 && this.shown.rows.length) {
      this.activate(Math.min(active, this.shown.rows.length - 1));
    }
  }

  showSession() {
    if (!this.sessionLine) return;
    const { queries, clicked } = this.history;
    this.sessionLine.hidden = this.history.size === 0;
    this.sessionLine.querySelector("[data-session-summary]").textContent =
      `Suggestions lean toward this tab's session: ` +
      `${plural(clicked.length, "choice", "choices")}, ` +
      `${plural(queries.length, "search", "searches")}.`;
  }

  // `shown` is any list on screen: {query, rows: [{item: {id}}...], impression}.
  sendImpression(shown) {
    if (!shown.impression) {
      const ids = shown.rows.filter((row) => row.item).map((row) => row.item.id);
      const impression = { query: shown.query, ids, session_id: this.session };
      // A list an online experiment chose goes back with its arms and the server's token.
      const experiment = shown.body?.experiment;
      if (experiment && Array.isArray(experiment.arms) && experiment.arms.length === ids.length) {
        impression.experiment = experiment;
      }
      shown.impression = postJson(this.urls.impression, impression)
        .catch(() => null); // a lost impression is not worth a retry or a message
    }
    return shown.impression;
  }

  // The results page: a click on a result counts as a chosen suggestion, at its position in
  // the whole ranking (page 2 starts at 11). The impression lists every title up to the end of
  // the page, in rank order, so the click answers a list the store has seen.
  watchResults() {
    const section = document.querySelector("[data-server-results]");
    if (!section || typeof section.dataset.query !== "string") return;
    const query = section.dataset.query;
    let listed = [];
    try {
      listed = JSON.parse(section.dataset.listed ?? "[]");
    } catch {
      return;
    }
    if (!Array.isArray(listed) || !listed.every((id) => typeof id === "string")) return;
    if (!listed.length) return;
    const shown = { query, rows: listed.map((id) => ({ item: { id } })), impression: null };
    const timer = setTimeout(() => this.sendImpression(shown), IMPRESSION_DELAY_MS);
    section.addEventListener("click", (event) => {
      const link = event.target instanceof Element ? event.target.closest("a[data-id]") : null;
      if (!link) return;
      const position = Number(link.dataset.position);
      const id = link.dataset.id;
      if (listed[position - 1] !== id) return;
      clearTimeout(timer);
      this.history.settle(query, id);
      this.recent.add(link.querySelector(".title")?.textContent ?? "");
      const recorded = this.sendImpression(shown).then(() => {
        postJson(this.urls.click, { query, id, position, session_id: this.session })
          .catch(() => null);
      });
      // A click that opens another tab leaves this page as it is.
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
        return;
      }
      // Otherwise leave once the impression is stored (keepalive carries the click on past the
      // page's end), and within LEAVE_AFTER_MS whatever happens.
      event.preventDefault();
      let left = false;
      const leave = () => {
        if (left) return;
        left = true;
        window.location.assign(link.href);
      };
      recorded.then(leave, leave);
      setTimeout(leave, LEAVE_AFTER_MS);
    });
  }
}

const form = document.querySelector("[data-typeahead]");
if (form) new Typeahead(form).start();
