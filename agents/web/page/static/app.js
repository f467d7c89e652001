// The waste entry page: sends the form to POST /api/v1/waste as JSON, shows
// the agent's answer next to the fields it names, and lists the last
// entries from GET /api/v1/waste/recent every few seconds. Its words, in
// the page's language, come from the server in #page-words.
(function () {
  "use strict";

  // The agent's field names, and the ids of their inputs.
  var INPUTS = { category: "category", mass_kg: "mass_kg", treatment: "treatment", stored_hours: "stored_hours", note: "note" };
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
  var format = GreenPulse.formats(W.locale);
  var columns = GreenPulse.headings("#recent");

  var t = GreenPulse.words(W.text);
  var isolate = GreenPulse.isolate;
  var cell = GreenPulse.cell;
  var plain = format.plain;
  var errors = GreenPulse.fieldErrors(form, INPUTS);

  function setResult(text, kind) {
    result.textContent = text;
    result.dataset.kind = kind || "";
  }

  // readNumber reads field's typed number into entry[field], or marks the
  // field with nan (the message key) and returns false.
  function readNumber(entry, field, nan) {
    var v = GreenPulse.parseNumber($(field).value);
    if (v.problem === "comma") {
      return !errors.mark(field, t("number_comma", { whole: plain.format(v.whole), decimal: plain.format(v.decimal) }));
    }
    if (v.problem) {
      return !errors.mark(field, t(nan));
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

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    errors.clear();
    var entry = entryFromForm();
    if (!entry) {
      setResult(t("not_recorded"), "error");
      errors.focusFirst();
      return;
    }
    setResult(t("sending"), "");
    GreenPulse.post("/api/v1/waste", entry, submit, answered, function (err) {
      setResult(t("unreachable", { err: isolate(err.message) }), "error");
    });
  });

  function answered(resp, body) {
    if (resp.status === 201) {
      form.reset();
      setResult(t("recorded"), "ok");
      loadRecent();
      return;
    }
    setResult(GreenPulse.refusal(resp, body, t, W.fields, errors.mark), "error");
    errors.focusFirst();
  }

  // name words a value of the reading contract in the page's language.
  function name(names, v) { return names[v] || String(v || "").replace(/_/g, " "); }

  function number(v) {
    return v === null || v === undefined ? "—" : format.numbers.format(v);
  }

  function render(entries) {
    var rows = entries.map(function (e) {
      var tr = document.createElement("tr");
      tr.dataset.state = e.state;
      cell(tr, format.localTime(e.time), "time");
      cell(tr, name(W.categories, e.category), "", columns[1]);
      cell(tr, number(e.mass_kg), "num", columns[2]);
      cell(tr, name(W.treatments, e.treatment), "", columns[3]);
      cell(tr, number(e.stored_hours), "num", columns[4]);
      cell(tr, e.note || "", "note").dir = "auto";
      GreenPulse.stateCell(tr, e.state, t, W.text);
      return tr;
    });
    recentBody.replaceChildren.apply(recentBody, rows);
    recentStatus.textContent = entries.length ? "" : t("no_entries");
    document.body.dataset.ready = "1";
  }

  var loadRecent = GreenPulse.listLoader("/api/v1/waste/recent", recentStatus, t, Array.isArray, render);

  // Switching the language reloads the page: what was typed is kept for
  // the reload.
  GreenPulse.keepDraft(DRAFT_KEY, INPUTS);
  loadRecent();
  setInterval(loadRecent, REFRESH_MS);
}());
