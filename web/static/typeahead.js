// The search page's typeahead: a WAI-ARIA 1.2 combobox whose popup is a listbox.
//
// Requests are debounced. Each new request aborts the one in flight, and an answer is used only
// if it belongs to the latest request, so a slow answer to "the b" can never replace the answer
// to "the big". Everything that comes from the server enters the page as text (textContent),
// never as markup, so a title such as "<script>" is shown, not run.
//
// Each request also carries the genre and decade chips that are on (`genre=`, `decade=`) and the
// session so far (`context=`): the queries the user settled on and the titles chosen.

const SESSION_KEY = "autocomplete.session";
const CONTEXT_KEY = "autocomplete.context";
const REASON_MIN_LIFT = 1; // a suggestion the session lifted by a factor e or more says why
const SESSION_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;
const IMPRESSION_DELAY_MS = 700; // a list on screen this long counts as seen
const ANNOUNCE_DELAY_MS = 350; // screen readers hear the count once typing pauses
const CACHE_SIZE = 64;
const LEARNED_K = 5;

const MESSAGES = {
  slow: "Suggestions are taking longer than usual. Keep typing, or press Enter to search.",
  down: "Suggestions are unavailable right now. Press Enter to search, or try again shortly.",
  empty: (query) => `No titles match “${query}”.`,
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
    this.corrected = form.querySelector("[data-corrected]");
    this.correctedQuery = form.querySelector("[data-corrected-query]");
    this.urls = {
      suggest: data.suggestUrl,
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
    this.shown = null; // {query, key, suggestions, impression: Promise | null}
    this.active = -1;
    this.cache = new Map(); // request parameters -> answer
    this.history = new SessionHistory(
      positive(data.sessionQueries, 5), positive(data.sessionClicks, 5));
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
    this.input.addEventListener("focus", () => {
      if (this.isCurrent() && this.shown.suggestions.length) this.open();
    });
    // A search submitted with Enter is a query the user settled on.
    this.form.addEventListener("submit", () => this.history.settle(this.input.value));
    this.sessionLine?.querySelector("[data-session-forget]")?.addEventListener("click", () => {
      this.history.forget();
      this.showSession();
      this.input.focus();
      this.refresh();
    });
    this.showSession();
    // Keep focus in the input while the pointer is pressed on an option (the click chooses).
    this.listbox.addEventListener("mousedown", (event) => event.preventDefault());
    this.listbox.addEventListener("click", (event) => {
      const option = event.target instanceof Element ? event.target.closest('[role="option"]') : null;
      if (option) this.choose(Number(option.dataset.index));
    });
    document.documentElement.classList.add("has-typeahead");
  }

  // Requests --------------------------------------------------------------------------------

  onInput() {
    this.dropServerResults();
    this.deactivate();
    clearTimeout(this.debounce);
    const query = this.input.value;
    if (!query.trim()) {
      this.cancel();
      this.clear();
      return;
    }
    this.debounce = setTimeout(() => this.request(query), this.debounceMs);
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
    } else {
      this.cancel();
      this.clear();
    }
  }

  // The parameters of a request for `query`: also its key in the answer cache.
  params(query) {
    const params = new URLSearchParams({ q: query, k: String(this.k) });
    for (const [name, value] of this.filters?.selected() ?? []) params.append(name, value);
    const context = this.history.param();
    if (context) params.set("context", context);
    return params;
  }

  // Whether the list on show answers what the box holds, with the chips and session as they are.
  isCurrent() {
    return this.shown !== null && this.shown.key === this.params(this.input.value).toString();
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
      if (response.status === 400 && body?.error?.field === "context" && params.has("context")) {
        // A stored session the server no longer accepts (edited by hand, or limits changed):
        // drop it rather than fail every request.
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
      if (!body || !Array.isArray(body.suggestions)) throw new TypeError("not a suggestion list");
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
    clearTimeout(this.impressionTimer);
    const shown = { query, key, suggestions, impression: null };
    this.shown = shown;
    // Which query and filter the list answers (tests wait on them).
    this.listbox.dataset.query = query;
    this.listbox.dataset.filter = new URLSearchParams(this.filters?.selected() ?? []).toString();
    this.active = -1;
    this.input.removeAttribute("aria-activedescendant");
    this.listbox.replaceChildren(...suggestions.map((item, index) => this.option(item, index)));
    const didYouMean = body.corrected && typeof body.did_you_mean === "string"
      ? body.did_you_mean : null;
    this.correctedQuery.textContent = didYouMean ?? "";
    this.corrected.hidden = didYouMean === null;
    if (suggestions.length) {
      this.hideNotice();
      if (document.activeElement === this.input) this.open();
      this.impressionTimer = setTimeout(() => this.sendImpression(shown), IMPRESSION_DELAY_MS);
    } else {
      this.close();
      this.showNotice(MESSAGES.empty(query), "empty");
    }
    const count = suggestions.length;
    let words = count === 0 ? "No suggestions."
      : `${count} ${count === 1 ? "suggestion" : "suggestions"} available.`;
    if (didYouMean) words += ` Showing results for ${didYouMean}.`;
    this.announce(words);
  }

  option(item, index) {
    const option = document.createElement("li");
    option.id = `${this.listbox.id}-option-${index}`;
    option.className = "option";
    option.setAttribute("role", "option");
    option.setAttribute("aria-selected", "false");
    option.dataset.index = String(index);
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
    const reason = sessionReason(item);
    if (reason) {
      const note = document.createElement("span");
      note.className = "reason";
      note.textContent = reason;
      option.append(note);
    }
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
    this.listbox.replaceChildren();
    this.corrected.hidden = true;
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
    if (!this.shown || !this.shown.suggestions.length) return;
    this.listbox.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
  }

  close() {
    this.deactivate();
    this.listbox.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
  }

  activate(index) {
    const options = this.listbox.querySelectorAll('[role="option"]');
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
    const count = this.shown ? this.shown.suggestions.length : 0;
    switch (event.key) {
      case "ArrowDown":
      case "ArrowUp": {
        event.preventDefault();
        const down = event.key === "ArrowDown";
        if (!count || !this.isCurrent()) {
          if (this.input.value.trim()) this.request(this.input.value);
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
          this.choose(this.active);
        }
        return; // otherwise the form submits and the server renders the results page
      case "Escape":
        event.preventDefault();
        if (this.isOpen()) {
          this.close();
        } else if (this.input.value) {
          this.input.value = "";
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

  choose(index) {
    const shown = this.shown;
    const item = shown ? shown.suggestions[index] : undefined;
    if (!item) return;
    this.cancel();
    this.input.value = item.text;
    this.clear();
    this.cache.clear(); // the click may change the ranking
    this.history.settle(shown.query, item.id);
    this.showSession();
    this.announce(`${item.label || item.text} chosen.`);
    if (this.choice) this.choice.show(item);
    // The impression goes first, so the store sees the list before the click on it.
    this.sendImpression(shown)
      .then(() => postJson(this.urls.click, {
        query: shown.query,
        id: item.id,
        position: index + 1,
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

  showSession() {
    if (!this.sessionLine) return;
    const { queries, clicked } = this.history;
    this.sessionLine.hidden = this.history.size === 0;
    this.sessionLine.querySelector("[data-session-summary]").textContent =
      `Suggestions lean toward this tab's session: ` +
      `${plural(clicked.length, "choice", "choices")}, ` +
      `${plural(queries.length, "search", "searches")}.`;
  }

  sendImpression(shown) {
    clearTimeout(this.impressionTimer);
    if (!shown.impression) {
      shown.impression = postJson(this.urls.impression, {
        query: shown.query,
        ids: shown.suggestions.map((item) => item.id),
        session_id: this.session,
      }).catch(() => null); // a lost impression is not worth a retry or a message
    }
    return shown.impression;
  }
}

const form = document.querySelector("[data-typeahead]");
if (form) new Typeahead(form).start();
