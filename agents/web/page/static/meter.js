// The meter readings part of the page: sends the form to POST
// /api/v1/meter as JSON, shows the agent's problems next to the fields and
// its questions (a new meter? a big jump?) with a box to tick, and lists
// the last reading of each counter and the recent entries from GET
// /api/v1/meter every few seconds. Its words come from #page-words
// ("meter"), in the page's language.
(function () {
  "use strict";

  var REFRESH_MS = 5000;
  // The agent's field names, and the ids of their inputs.
  var INPUTS = { counter: "counter", value: "meter_value", unit: "meter_unit", ts: "meter_at", meter: "meter_name", note: "meter_note" };

  function $(id) { return document.getElementById(id); }

  var form = $("meter-form");
  var lastBody = document.querySelector("#meter-last tbody");
  var recentBody = document.querySelector("#meter-recent tbody");
  if (!form || !lastBody || !recentBody) {
    return;
  }
  var words = JSON.parse($("page-words").textContent);
  var W = words.meter;
  var result = $("meter-result");
  var submit = $("meter-submit");
  var question = $("meter-question");
  var answer = $("meter-answer");
  var asked = null; // the flag the shown question wants ("replaced", "confirm")
  var format = GreenPulse.formats(words.locale);
  var numbers = format.numbers;
  var columns = GreenPulse.headings("#meter-recent");

  var t = GreenPulse.words(W.text);
  var isolate = GreenPulse.isolate;
  var cell = GreenPulse.cell;
  var sentence = GreenPulse.sentence;
  var detail = GreenPulse.detail;
  var plain = format.plain;
  var errors = GreenPulse.fieldErrors(form, INPUTS);

  function setResult(text, kind, extra) {
    result.replaceChildren(text);
    if (extra) {
      result.append(detail(extra));
    }
    result.dataset.kind = kind || "";
  }

  function hideQuestion() {
    question.hidden = true;
    asked = null;
    answer.checked = false;
  }

  function showUnit() {
    $("meter_unit_field").hidden = $("counter").value !== "tank_level";
  }

  function entryFromForm() {
    var entry = { counter: $("counter").value, note: $("meter_note").value };
    var name = $("meter_name").value.trim();
    if (name) {
      entry.meter = name;
    }
    if (entry.counter === "tank_level") {
      entry.unit = $("meter_unit").value;
    }
    var at = $("meter_at").value;
    if (at) {
      var d = new Date(at); // local time, as the person read it
      if (!isNaN(d.getTime())) {
        entry.ts = d.toISOString();
      }
    }
    var v = GreenPulse.parseNumber($("meter_value").value);
    if (v.problem === "comma") {
      errors.mark("value", t("value_comma", { whole: plain.format(v.whole), decimal: plain.format(v.decimal) }));
      return null;
    }
    if (v.problem) {
      errors.mark("value", t("value_nan"));
      return null;
    }
    if (!v.empty) {
      entry.value = v.value;
    }
    if (asked && answer.checked) {
      entry[asked] = true;
    }
    return entry;
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    errors.clear();
    var entry = entryFromForm();
    if (!entry) {
      setResult(t("not_recorded"), "error");
      return;
    }
    setResult(t("sending"), "");
    GreenPulse.post("/api/v1/meter", entry, submit, answered, function (err) {
      setResult(t("unreachable", { err: isolate(err.message) }), "error");
    });
  });

  // A change to what was read, or to the number, asks the question again.
  ["counter", "meter_value", "meter_name"].forEach(function (id) {
    $(id).addEventListener("input", hideQuestion);
  });
  $("counter").addEventListener("change", showUnit);

  function answered(resp, body) {
    if (resp.status === 201) {
      form.reset();
      hideQuestion();
      showUnit();
      var said = (body.warnings || []).concat(body.said || []).map(sentence).join(" ");
      setResult(t(body.sent ? "recorded" : "recorded_kept"), "ok", said ? t("agent_says") + " " + said : "");
      load();
      return;
    }
    if (resp.status === 409 && body.question) {
      var q = body.question;
      asked = q.flag;
      var unit = W.units[q.unit] || q.unit || "";
      var text = $("meter-question-text");
      text.replaceChildren(t("q_" + q.kind, {
        value: q.last_value === undefined ? "—" : numbers.format(q.last_value),
        unit: unit,
        time: q.last_time ? format.times.format(new Date(q.last_time)) : "—"
      }));
      text.append(detail(sentence(q.message)));
      $("meter-answer-label").textContent = t("answer_" + q.flag);
      answer.checked = false;
      question.hidden = false;
      setResult(t("asked"), "error");
      answer.focus();
      return;
    }
    setResult(GreenPulse.refusal(resp, body, t, W.fields, errors.mark), "error");
    errors.focusFirst();
  }

  function counterName(c) { return W.counters[c] || String(c || "").replace(/_/g, " "); }

  function reading(value, unit) {
    return numbers.format(value) + " " + (W.units[unit] || unit || "");
  }

  function render(view) {
    var last = (view.last || []).map(function (l) {
      var tr = document.createElement("tr");
      tr.dataset.counter = l.counter;
      cell(tr, counterName(l.counter));
      cell(tr, l.meter).dir = "ltr";
      cell(tr, reading(l.value, l.unit) + (l.from_hours ? " (" + t("from_hours") + ")" : ""), "num");
      cell(tr, format.localTime(l.time), "time");
      return tr;
    });
    lastBody.replaceChildren.apply(lastBody, last);
    $("meter-last-status").textContent = last.length ? "" : t("no_last");
    $("meter-fuel").textContent = (view.fuel || []).map(function (f) {
      return t("fuel", { meter: isolate(f.meter), burned: numbers.format(f.burned_l), delivered: numbers.format(f.delivered_l) });
    }).join(" ");

    var rows = (view.recent || []).map(function (e) {
      var tr = document.createElement("tr");
      tr.dataset.state = e.state;
      tr.dataset.counter = e.counter;
      cell(tr, format.localTime(e.time), "time");
      cell(tr, counterName(e.counter), "", columns[1]);
      cell(tr, e.meter, "", columns[2]).dir = "ltr";
      cell(tr, reading(e.value, e.unit), "num", columns[3]);
      cell(tr, e.note || "", "note").dir = "auto";
      GreenPulse.stateCell(tr, e.state, t, W.text);
      return tr;
    });
    recentBody.replaceChildren.apply(recentBody, rows);
    $("meter-recent-status").textContent = rows.length ? "" : t("no_entries");
    document.body.dataset.meterReady = "1";
  }

  var load = GreenPulse.listLoader("/api/v1/meter", $("meter-recent-status"), t,
    function (body) { return Array.isArray(body.recent); }, render);

  // Switching the language reloads the page: what was typed is kept for
  // the reload, as app.js keeps the waste form's.
  GreenPulse.keepDraft("greenpulse-meter-draft", INPUTS);

  showUnit();
  load();
  setInterval(load, REFRESH_MS);
}());
