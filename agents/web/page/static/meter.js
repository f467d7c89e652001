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
  var numbers = new Intl.NumberFormat(words.locale, { maximumFractionDigits: 3 });
  var times = new Intl.DateTimeFormat(words.locale, {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23"
  });
  var columns = Array.prototype.map.call(document.querySelectorAll("#meter-recent thead th"), function (th) {
    return th.textContent;
  });

  var t = GreenPulse.words(W.text);
  var isolate = GreenPulse.isolate;
  var readJSON = GreenPulse.readJSON;
  var cell = GreenPulse.cell;
  var sentence = GreenPulse.sentence;
  var detail = GreenPulse.detail;
  // plain writes the numbers a message suggests typing: no grouping,
  // which the field would refuse.
  var plain = new Intl.NumberFormat(words.locale, { maximumFractionDigits: 6, useGrouping: false });

  function setResult(text, kind, extra) {
    result.replaceChildren(text);
    if (extra) {
      result.append(detail(extra));
    }
    result.dataset.kind = kind || "";
  }

  function clearErrors() {
    Object.keys(INPUTS).forEach(function (f) {
      $("err-" + INPUTS[f]).textContent = "";
      $(INPUTS[f]).removeAttribute("aria-invalid");
    });
  }

  function markError(field, message, english) {
    var id = INPUTS[field];
    var el = id && $("err-" + id);
    if (!el) {
      return false;
    }
    el.append((el.textContent ? " " : "") + message);
    if (english) {
      el.append(detail(english));
    }
    $(id).setAttribute("aria-invalid", "true");
    return true;
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
      markError("value", t("value_comma", { whole: plain.format(v.whole), decimal: plain.format(v.decimal) }));
      return null;
    }
    if (v.problem) {
      markError("value", t("value_nan"));
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
    clearErrors();
    var entry = entryFromForm();
    if (!entry) {
      setResult(t("not_recorded"), "error");
      return;
    }
    submit.disabled = true;
    setResult(t("sending"), "");
    fetch("/api/v1/meter", {
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
        time: q.last_time ? times.format(new Date(q.last_time)) : "—"
      }));
      text.append(detail(sentence(q.message)));
      $("meter-answer-label").textContent = t("answer_" + q.flag);
      answer.checked = false;
      question.hidden = false;
      setResult(t("asked"), "error");
      answer.focus();
      return;
    }
    if (resp.status === 422 && Array.isArray(body.problems)) {
      var other = [];
      body.problems.forEach(function (p) {
        var local = W.fields && W.fields[p.field];
        var english = sentence(p.message);
        if (!markError(p.field, local || english, local ? english : "")) {
          other.push(isolate(p.field + ": " + p.message));
        }
      });
      setResult(t("not_recorded") + (other.length ? " " + other.join("; ") + "." : ""), "error");
      var bad = form.querySelector("[aria-invalid=true]");
      if (bad) {
        bad.focus();
      }
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

  function counterName(c) { return W.counters[c] || String(c || "").replace(/_/g, " "); }

  function reading(value, unit) {
    return numbers.format(value) + " " + (W.units[unit] || unit || "");
  }

  function localTime(iso) {
    var d = new Date(iso);
    return isNaN(d.getTime()) ? String(iso) : times.format(d);
  }

  function render(view) {
    var last = (view.last || []).map(function (l) {
      var tr = document.createElement("tr");
      tr.dataset.counter = l.counter;
      cell(tr, counterName(l.counter));
      cell(tr, l.meter).dir = "ltr";
      cell(tr, reading(l.value, l.unit) + (l.from_hours ? " (" + t("from_hours") + ")" : ""), "num");
      cell(tr, localTime(l.time), "time");
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
      cell(tr, localTime(e.time), "time");
      cell(tr, counterName(e.counter), "", columns[1]);
      cell(tr, e.meter, "", columns[2]).dir = "ltr";
      cell(tr, reading(e.value, e.unit), "num", columns[3]);
      cell(tr, e.note || "", "note").dir = "auto";
      var state = document.createElement("span");
      state.className = "state";
      state.textContent = t(e.state);
      state.title = W.text[e.state + "_title"] || "";
      cell(tr, "", "state-cell").appendChild(state);
      return tr;
    });
    recentBody.replaceChildren.apply(recentBody, rows);
    $("meter-recent-status").textContent = rows.length ? "" : t("no_entries");
    document.body.dataset.meterReady = "1";
  }

  var loading = false;
  function load() {
    if (loading) {
      return;
    }
    loading = true;
    var status = $("meter-recent-status");
    fetch("/api/v1/meter", { credentials: "same-origin", cache: "no-store" }).then(function (resp) {
      return readJSON(resp).then(function (body) {
        if (resp.ok && Array.isArray(body.recent)) {
          render(body);
        } else if (resp.status === 401) {
          status.textContent = t("recent_logged_out");
        } else {
          status.textContent = t("recent_failed", { status: resp.status, detail: body.error ? ": " + isolate(body.error) : "" });
        }
      });
    }, function (err) {
      status.textContent = t("recent_unreachable", { err: isolate(err.message) });
    }).finally(function () {
      loading = false;
    });
  }

  // Switching the language reloads the page: what was typed is kept for
  // the reload, as app.js keeps the waste form's.
  var DRAFT_KEY = "greenpulse-meter-draft";
  var langButton = $("lang");
  if (langButton && langButton.form) {
    langButton.form.addEventListener("submit", function () {
      var draft = {};
      Object.keys(INPUTS).forEach(function (f) { draft[f] = $(INPUTS[f]).value; });
      try {
        sessionStorage.setItem(DRAFT_KEY, JSON.stringify(draft));
      } catch (e) {
        // Storage is off: the switch just loses the draft.
      }
    });
  }
  try {
    var draft = JSON.parse(sessionStorage.getItem(DRAFT_KEY) || "null");
    sessionStorage.removeItem(DRAFT_KEY);
    if (draft) {
      Object.keys(INPUTS).forEach(function (f) {
        if (typeof draft[f] === "string") {
          $(INPUTS[f]).value = draft[f];
        }
      });
    }
  } catch (e) {
    // No draft to restore.
  }

  showUnit();
  load();
  setInterval(load, REFRESH_MS);
}());
