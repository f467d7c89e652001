// The waste entry page: sends the form to POST /api/v1/waste as JSON, shows
// the agent's answer next to the fields it names, and lists the last
// entries from GET /api/v1/waste/recent every few seconds. Its words, in
// the page's language, come from the server in #page-words.
(function () {
  "use strict";

  var FIELDS = ["category", "mass_kg", "treatment", "stored_hours", "note"];
  var REFRESH_MS = 5000;
  var DRAFT_KEY = "greenpulse-draft";

  function $(id) { return document.getElementById(id); }

  var form = $("waste-form");
  var result = $("result");
  var submit = $("submit");
  var recentBody = document.querySelector("#recent tbody");
  var recentStatus = $("recent-status");
  if (!form || !recentBody) {
    return;
  }

  var W = JSON.parse($("page-words").textContent);
  var numbers = new Intl.NumberFormat(W.locale, { maximumFractionDigits: 3 });
  var times = new Intl.DateTimeFormat(W.locale, {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23"
  });
  // The column headings name the cells where the phone layout hides them.
  var columns = Array.prototype.map.call(document.querySelectorAll("#recent thead th"), function (th) {
    return th.textContent;
  });

  // t returns the message key in the page's language, with each {name}
  // replaced by vars[name].
  function t(key, vars) {
    var s = W.text[key] === undefined ? key : W.text[key];
    return s.replace(/\{(\w+)\}/g, function (m, name) {
      return vars && vars[name] !== undefined ? String(vars[name]) : m;
    });
  }

  // isolate keeps text in another script (the agent's English in an
  // Arabic sentence) from reordering the words around it.
  function isolate(s) { return "\u2068" + s + "\u2069"; }

  function setResult(text, kind) {
    result.textContent = text;
    result.dataset.kind = kind || "";
  }

  function clearErrors() {
    FIELDS.forEach(function (f) {
      $("err-" + f).textContent = "";
      $(f).removeAttribute("aria-invalid");
    });
  }

  // markError shows message at field, and detail (the agent's English)
  // after it in smaller text.
  function markError(field, message, detail) {
    var el = $("err-" + field);
    if (!el) {
      return false;
    }
    el.append((el.textContent ? " " : "") + message);
    if (detail) {
      // A line of its own on the page's side, read left to right.
      var d = document.createElement("span");
      var text = document.createElement("bdi");
      d.className = "detail";
      text.lang = "en";
      text.dir = "ltr";
      text.textContent = detail;
      d.append(text);
      el.append(d);
    }
    $(field).setAttribute("aria-invalid", "true");
    return true;
  }

  // parseNumber reads a typed number: Arabic-Indic and Persian digits, and a
  // comma or the Arabic decimal sign for the decimal point, are accepted.
  // It returns undefined for an empty field and NaN for one that is not a
  // number.
  function parseNumber(text) {
    var s = text.trim()
      .replace(/[\u0660-\u0669]/g, function (d) { return String(d.charCodeAt(0) - 0x0660); })
      .replace(/[\u06F0-\u06F9]/g, function (d) { return String(d.charCodeAt(0) - 0x06F0); })
      .replace(/[\u066B,]/g, ".");
    if (s === "") {
      return undefined;
    }
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) {
      return NaN;
    }
    return Number(s);
  }

  function entryFromForm() {
    var entry = {
      category: $("category").value,
      treatment: $("treatment").value,
      note: $("note").value
    };
    var bad = false;
    var mass = parseNumber($("mass_kg").value);
    if (Number.isNaN(mass)) {
      bad = markError("mass_kg", t("mass_nan"));
    } else if (mass !== undefined) {
      entry.mass_kg = mass;
    }
    var stored = parseNumber($("stored_hours").value);
    if (Number.isNaN(stored)) {
      bad = markError("stored_hours", t("hours_nan")) || bad;
    } else if (stored !== undefined) {
      entry.stored_hours = stored;
    }
    return bad ? null : entry;
  }

  function readJSON(resp) {
    return resp.json().catch(function () { return {}; });
  }

  function firstInvalid() {
    var el = form.querySelector("[aria-invalid=true]");
    if (el) {
      el.focus();
    }
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    clearErrors();
    var entry = entryFromForm();
    if (!entry) {
      setResult(t("not_recorded"), "error");
      firstInvalid();
      return;
    }
    submit.disabled = true;
    setResult(t("sending"), "");
    fetch("/api/v1/waste", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify(entry)
    }).then(function (resp) {
      return readJSON(resp).then(function (body) { answered(resp, body); });
    }, function (err) {
      setResult(t("unreachable", { err: isolate(err.message) }), "error");
    }).finally(function () {
      submit.disabled = false;
    });
  });

  function answered(resp, body) {
    if (resp.status === 201) {
      form.reset();
      setResult(t("recorded"), "ok");
      loadRecent();
      return;
    }
    if (resp.status === 422 && Array.isArray(body.problems)) {
      var other = [];
      body.problems.forEach(function (p) {
        // The agent words its problems in English; where the page speaks
        // another language, it says what is wrong and shows them after.
        var local = W.fields && W.fields[p.field];
        var english = sentence(p.message);
        if (!markError(p.field, local || english, local ? english : "")) {
          other.push((local ? local + " " : "") + isolate(p.field + ": " + p.message));
        }
      });
      setResult(t("not_recorded") + (other.length ? " " + other.join("; ") + "." : ""), "error");
      firstInvalid();
      return;
    }
    if (resp.status === 401) {
      setResult(t("logged_out"), "error");
      return;
    }
    setResult(t("answered", {
      status: resp.status,
      detail: body.error ? ": " + isolate(body.error) : " " + isolate(resp.statusText)
    }), "error");
  }

  // sentence starts s with a capital and ends it with a full stop.
  function sentence(s) {
    s = String(s || "");
    s = s.charAt(0).toUpperCase() + s.slice(1);
    return /[.?!]$/.test(s) ? s : s + ".";
  }

  function localTime(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) {
      return String(iso);
    }
    return times.format(d);
  }

  // name words a value of the reading contract in the page's language.
  function name(names, v) { return names[v] || String(v || "").replace(/_/g, " "); }

  function number(v) {
    return v === null || v === undefined ? "—" : numbers.format(v);
  }

  // cell adds a cell to tr; label names it where the phone layout has no
  // column headings.
  function cell(tr, text, cls, label) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) {
      td.className = cls;
    }
    if (label) {
      td.dataset.label = label;
    }
    tr.appendChild(td);
    return td;
  }

  function render(entries) {
    var rows = entries.map(function (e) {
      var tr = document.createElement("tr");
      tr.dataset.state = e.state;
      cell(tr, localTime(e.time), "time");
      cell(tr, name(W.categories, e.category), "", columns[1]);
      cell(tr, number(e.mass_kg), "num", columns[2]);
      cell(tr, name(W.treatments, e.treatment), "", columns[3]);
      cell(tr, number(e.stored_hours), "num", columns[4]);
      cell(tr, e.note || "", "note").dir = "auto";
      var state = document.createElement("span");
      state.className = "state";
      state.textContent = t(e.state);
      state.title = W.text[e.state + "_title"] || "";
      cell(tr, "", "state-cell").appendChild(state);
      return tr;
    });
    recentBody.replaceChildren.apply(recentBody, rows);
    recentStatus.textContent = entries.length ? "" : t("no_entries");
    document.body.dataset.ready = "1";
  }

  var loading = false;
  function loadRecent() {
    if (loading) {
      return;
    }
    loading = true;
    fetch("/api/v1/waste/recent", { credentials: "same-origin", cache: "no-store" }).then(function (resp) {
      return readJSON(resp).then(function (body) {
        if (resp.ok && Array.isArray(body)) {
          render(body);
        } else if (resp.status === 401) {
          recentStatus.textContent = t("recent_logged_out");
        } else {
          recentStatus.textContent = t("recent_failed", { status: resp.status, detail: body.error ? ": " + isolate(body.error) : "" });
        }
      });
    }, function (err) {
      recentStatus.textContent = t("recent_unreachable", { err: isolate(err.message) });
    }).finally(function () {
      loading = false;
    });
  }

  // Switching the language reloads the page: what was typed is kept for
  // the reload in sessionStorage, which stays with this tab.
  function saveDraft() {
    var draft = {};
    FIELDS.forEach(function (f) { draft[f] = $(f).value; });
    try {
      sessionStorage.setItem(DRAFT_KEY, JSON.stringify(draft));
    } catch (e) {
      // Storage is off (a private window): the switch just loses the draft.
    }
  }

  function restoreDraft() {
    var draft;
    try {
      draft = JSON.parse(sessionStorage.getItem(DRAFT_KEY) || "null");
      sessionStorage.removeItem(DRAFT_KEY);
    } catch (e) {
      return;
    }
    if (draft) {
      FIELDS.forEach(function (f) {
        if (typeof draft[f] === "string") {
          $(f).value = draft[f];
        }
      });
    }
  }

  var langButton = $("lang");
  if (langButton && langButton.form) {
    langButton.form.addEventListener("submit", saveDraft);
  }
  restoreDraft();
  loadRecent();
  setInterval(loadRecent, REFRESH_MS);
}());
