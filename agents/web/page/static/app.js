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

  var t = GreenPulse.words(W.text);
  var isolate = GreenPulse.isolate;
  var readJSON = GreenPulse.readJSON;
  var cell = GreenPulse.cell;
  var sentence = GreenPulse.sentence;
  // plain writes the numbers a message suggests typing: no grouping,
  // which the fields would refuse.
  var plain = new Intl.NumberFormat(W.locale, { maximumFractionDigits: 6, useGrouping: false });

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
      el.append(GreenPulse.detail(detail));
    }
    $(field).setAttribute("aria-invalid", "true");
    return true;
  }

  // readNumber reads field's typed number into entry[field], or marks the
  // field with nan (the message key) and returns false.
  function readNumber(entry, field, nan) {
    var v = GreenPulse.parseNumber($(field).value);
    if (v.problem === "comma") {
      return !markError(field, t("number_comma", { whole: plain.format(v.whole), decimal: plain.format(v.decimal) }));
    }
    if (v.problem) {
      return !markError(field, t(nan));
    }
    if (!v.empty) {
      entry[field] = v.value;
    }
    return true;
  }

  function entryFromForm() {
    var entry = {
      category: $("category").value,
      treatment: $("treatment").value,
      note: $("note").value
    };
    var ok = readNumber(entry, "mass_kg", "mass_nan");
    ok = readNumber(entry, "stored_hours", "hours_nan") && ok;
    return ok ? entry : null;
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
