// The waste entry page: sends the form to POST /api/v1/waste as JSON, shows
// the agent's answer next to the fields it names, and lists the last
// entries from GET /api/v1/waste/recent every few seconds.
(function () {
  "use strict";

  var FIELDS = ["category", "mass_kg", "treatment", "stored_hours", "note"];
  var REFRESH_MS = 5000;

  function $(id) { return document.getElementById(id); }

  var form = $("waste-form");
  var result = $("result");
  var submit = $("submit");
  var recentBody = document.querySelector("#recent tbody");
  var recentStatus = $("recent-status");
  if (!form || !recentBody) {
    return;
  }

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

  function markError(field, message) {
    var el = $("err-" + field);
    if (!el) {
      return false;
    }
    el.textContent = el.textContent ? el.textContent + " " + message : message;
    $(field).setAttribute("aria-invalid", "true");
    return true;
  }

  // number reads a typed number: Arabic-Indic and Persian digits, and a
  // comma or the Arabic decimal sign for the decimal point, are accepted.
  // It returns undefined for an empty field and NaN for one that is not a
  // number.
  function number(text) {
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
    var mass = number($("mass_kg").value);
    if (Number.isNaN(mass)) {
      bad = markError("mass_kg", "Write the weight as a number of kilograms, such as 12.5.");
    } else if (mass !== undefined) {
      entry.mass_kg = mass;
    }
    var stored = number($("stored_hours").value);
    if (Number.isNaN(stored)) {
      bad = markError("stored_hours", "Write the hours as a number, such as 20, or leave it empty.") || bad;
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
      setResult("Not recorded: correct what is marked in red.", "error");
      firstInvalid();
      return;
    }
    submit.disabled = true;
    setResult("Sending…", "");
    fetch("/api/v1/waste", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify(entry)
    }).then(function (resp) {
      return readJSON(resp).then(function (body) { answered(resp, body); });
    }, function (err) {
      setResult("Not recorded: the agent could not be reached (" + err.message + "). Check the network connection and try again.", "error");
    }).finally(function () {
      submit.disabled = false;
    });
  });

  function answered(resp, body) {
    if (resp.status === 201) {
      form.reset();
      setResult("Recorded — queued for sending.", "ok");
      loadRecent();
      return;
    }
    if (resp.status === 422 && Array.isArray(body.problems)) {
      var other = [];
      body.problems.forEach(function (p) {
        if (!markError(p.field, sentence(p.message))) {
          other.push(p.field + ": " + p.message);
        }
      });
      setResult("Not recorded: correct what is marked in red." + (other.length ? " " + other.join("; ") + "." : ""), "error");
      firstInvalid();
      return;
    }
    if (resp.status === 401) {
      setResult("Not recorded: you are logged out (the session ended or the agent restarted). Reload the page and log in again.", "error");
      return;
    }
    setResult("Not recorded: the agent answered " + resp.status + (body.error ? ": " + body.error : " " + resp.statusText) + ".", "error");
  }

  // sentence starts s with a capital and ends it with a full stop.
  function sentence(s) {
    s = String(s || "");
    s = s.charAt(0).toUpperCase() + s.slice(1);
    return /[.?!]$/.test(s) ? s : s + ".";
  }

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function localTime(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) {
      return String(iso);
    }
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function words(v) { return String(v || "").replace(/_/g, " "); }

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
      cell(tr, words(e.category), "", "Category");
      cell(tr, String(e.mass_kg), "num", "kg");
      cell(tr, words(e.treatment), "", "Treatment");
      cell(tr, e.stored_hours === null || e.stored_hours === undefined ? "—" : String(e.stored_hours), "num", "Stored h");
      cell(tr, e.note || "", "note");
      var state = document.createElement("span");
      state.className = "state";
      state.textContent = e.state;
      state.title = e.state === "queued" ? "kept on this computer until the server confirms it" : "the server has it";
      cell(tr, "", "state-cell").appendChild(state);
      return tr;
    });
    recentBody.replaceChildren.apply(recentBody, rows);
    recentStatus.textContent = entries.length ? "" : "No entries yet.";
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
          recentStatus.textContent = "You are logged out. Reload the page and log in again.";
        } else {
          recentStatus.textContent = "Could not load the last entries: the agent answered " + resp.status + (body.error ? ": " + body.error : "") + ".";
        }
      });
    }, function (err) {
      recentStatus.textContent = "Could not load the last entries: the agent could not be reached (" + err.message + "). Retrying…";
    }).finally(function () {
      loading = false;
    });
  }

  loadRecent();
  setInterval(loadRecent, REFRESH_MS);
}());
