// The search page's typeahead: a WAI-ARIA 1.2 combobox whose popup is a listbox.
//
// Requests are debounced. Each new request aborts the one in flight, and an answer is used only
// if it belongs to the latest request, so a slow answer to "the b" can never replace the answer
// to "the big". Everything that comes from the server enters the page as text (textContent),
// never as markup, so a title such as "<script>" is shown, not run.

const SESSION_KEY = "autocomplete.session";
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
    this.shown = null; // {query, suggestions, impression: Promise | null}
    this.active = -1;
    this.cache = new Map();
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
      if (this.shown && this.shown.suggestions.length && this.shown.query === this.input.value) {
        this.open();
      }
    });
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
    const cached = this.cache.get(query);
    if (cached) {
      this.setBusy(false);
      this.render(query, cached);
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
      const params = new URLSearchParams({ q: query, k: String(this.k) });
      const response = await fetch(`${this.urls.suggest}?${params}`, {
        signal: controller.signal,
        headers: { Accept: "application/json" },
      });
      const body = await response.json().catch(() => null);
      if (number !== this.latest) return;
      if (!response.ok) {
        const refused = response.status >= 400 && response.status < 500;
        this.fail(refused && body?.error?.message ? body.error.message : MESSAGES.down);
        return;
      }
      if (!body || !Array.isArray(body.suggestions)) throw new TypeError("not a suggestion list");
      this.remember(query, body);
      this.render(query, body);
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

  remember(query, body) {
    if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value);
    this.cache.set(query, body);
  }

  setBusy(busy) {
    this.form.classList.toggle("is-busy", busy);
    this.listbox.setAttribute("aria-busy", String(busy));
  }

  // Rendering -------------------------------------------------------------------------------

  render(query, body) {
    const suggestions = body.suggestions.filter(isSuggestion);
    clearTimeout(this.impressionTimer);
    const shown = { query, suggestions, impression: null };
    this.shown = shown;
    this.listbox.dataset.query = query; // which query the list answers (tests wait on it)
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
    return option;
  }

  dropServerResults() {
    for (const node of document.querySelectorAll("[data-server-results], .empty")) node.remove();
  }

  clear() {
    clearTimeout(this.impressionTimer);
    this.shown = null;
    delete this.listbox.dataset.query;
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
        if (!count || (this.shown && this.shown.query !== this.input.value)) {
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
