// What app.js (waste), meter.js (meter readings) and alerts.js (the
// facility's alerts) share: loaded before them, it defines only GreenPulse: the page's words, keeping the agent's
// English apart in an Arabic page, sending a form and wording the agent's
// refusals, marking the fields it names, keeping a draft across a switch
// of language, loading the lists, writing their numbers, times and cells,
// and reading typed numbers.
//
// The helpers that word something take t (see words) of the part of the
// page they serve, and ask it for these messages: not_recorded,
// logged_out, answered, recent_logged_out, recent_failed and
// recent_unreachable.
var GreenPulse = (function () {
  "use strict";

  // words returns t for the messages text (key → message): t(key, vars)
  // is the message in the page's language, with each {name} replaced by
  // vars[name].
  function words(text) {
    return function t(key, vars) {
      var s = text[key] === undefined ? key : text[key];
      return s.replace(/\{(\w+)\}/g, function (m, name) {
        return vars && vars[name] !== undefined ? String(vars[name]) : m;
      });
    };
  }

  // isolate keeps text in another script (the agent's English in an
  // Arabic sentence) from reordering the words around it.
  function isolate(s) { return "\u2068" + s + "\u2069"; }

  // sentence starts s with a capital and ends it with a full stop.
  function sentence(s) {
    s = String(s || "");
    s = s.charAt(0).toUpperCase() + s.slice(1);
    return /[.?!]$/.test(s) ? s : s + ".";
  }

  // detail is the agent's English, on a line of its own, left to right.
  function detail(text) {
    var d = document.createElement("span");
    var b = document.createElement("bdi");
    d.className = "detail";
    b.lang = "en";
    b.dir = "ltr";
    b.textContent = text;
    d.append(b);
    return d;
  }

  // readJSON is the JSON body of resp, or {} when it has none.
  function readJSON(resp) {
    return resp.json().catch(function () { return {}; });
  }

  // post sends entry to url as JSON, with button disabled until the agent
  // answers, and hands answered the response and its JSON body ({} when
  // it has none), or unreachable the error when the agent could not be
  // reached.
  function post(url, entry, button, answered, unreachable) {
    button.disabled = true;
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify(entry)
    }).then(function (resp) {
      return readJSON(resp).then(function (body) { answered(resp, body); });
    }, unreachable).finally(function () {
      button.disabled = false;
    });
  }

  // fieldErrors shows messages at the inputs of form: ids maps each field
  // the agent names to the id of its input, whose messages go in the
  // element "err-" + id. mark(field, message, english) adds message, and
  // the agent's English after it in smaller text, and reports whether the
  // form has the field; clear removes all messages; focusFirst focuses the
  // first input marked.
  function fieldErrors(form, ids) {
    var names = Object.keys(ids);
    return {
      clear: function () {
        names.forEach(function (f) {
          document.getElementById("err-" + ids[f]).textContent = "";
          document.getElementById(ids[f]).removeAttribute("aria-invalid");
        });
      },
      mark: function (field, message, english) {
        var id = ids[field];
        var el = id && document.getElementById("err-" + id);
        if (!el) {
          return false;
        }
        el.append((el.textContent ? " " : "") + message);
        if (english) {
          el.append(detail(english));
        }
        document.getElementById(id).setAttribute("aria-invalid", "true");
        return true;
      },
      focusFirst: function () {
        var el = form.querySelector("[aria-invalid=true]");
        if (el) {
          el.focus();
        }
      }
    };
  }

  // refusal is what the result line says, in the words of t, of an answer
  // that recorded nothing. The problems of a 422 are marked at their
  // fields with mark (see fieldErrors), in the page's words (fields, by
  // the agent's field name; none in English) with the agent's English
  // after them; those no field shows are named in the result. The caller
  // then focuses the first field marked.
  function refusal(resp, body, t, fields, mark) {
    if (resp.status === 422 && Array.isArray(body.problems)) {
      var other = [];
      body.problems.forEach(function (p) {
        // The agent words its problems in English; where the page speaks
        // another language, it says what is wrong and shows them after.
        var local = fields && fields[p.field];
        var english = sentence(p.message);
        if (!mark(p.field, local || english, local ? english : "")) {
          other.push((local ? local + " " : "") + isolate(p.field + ": " + p.message));
        }
      });
      return t("not_recorded") + (other.length ? " " + other.join("; ") + "." : "");
    }
    if (resp.status === 401) {
      return t("logged_out");
    }
    return t("answered", {
      status: resp.status,
      detail: body.error ? ": " + isolate(body.error) : " " + isolate(resp.statusText)
    });
  }

  // keepDraft keeps what was typed in the inputs (ids: field → input id)
  // across the reload that switching the language makes, in this tab's
  // sessionStorage under key, and puts back the draft that the switch
  // kept, once.
  function keepDraft(key, ids) {
    var names = Object.keys(ids);
    var lang = document.getElementById("lang");
    if (lang && lang.form) {
      lang.form.addEventListener("submit", function () {
        var draft = {};
        names.forEach(function (f) { draft[f] = document.getElementById(ids[f]).value; });
        try {
          sessionStorage.setItem(key, JSON.stringify(draft));
        } catch (e) {
          // Storage is off (a private window): the switch just loses the draft.
        }
      });
    }
    var draft;
    try {
      draft = JSON.parse(sessionStorage.getItem(key) || "null");
      sessionStorage.removeItem(key);
    } catch (e) {
      return; // no draft to put back
    }
    if (draft) {
      names.forEach(function (f) {
        if (typeof draft[f] === "string") {
          document.getElementById(ids[f]).value = draft[f];
        }
      });
    }
  }

  // listLoader returns load, which gets the list at url and hands render
  // its JSON body when the agent answers with one that isList accepts;
  // otherwise it says why in status, in the words of t. A load while one
  // is under way does nothing.
  function listLoader(url, status, t, isList, render) {
    var loading = false;
    return function load() {
      if (loading) {
        return;
      }
      loading = true;
      fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (resp) {
        return readJSON(resp).then(function (body) {
          if (resp.ok && isList(body)) {
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
    };
  }

  // formats writes numbers and times in locale, the same in both parts of
  // the page: numbers for the lists; plain for the numbers a message
  // suggests typing, without the grouping that the fields would refuse;
  // times, and localTime(iso) for a time the agent sent, or iso itself
  // when it is not one.
  function formats(locale) {
    var times = new Intl.DateTimeFormat(locale, {
      year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    });
    return {
      numbers: new Intl.NumberFormat(locale, { maximumFractionDigits: 3 }),
      plain: new Intl.NumberFormat(locale, { maximumFractionDigits: 6, useGrouping: false }),
      times: times,
      localTime: function (iso) {
        var d = new Date(iso);
        return isNaN(d.getTime()) ? String(iso) : times.format(d);
      }
    };
  }

  // headings are the column headings of the table that selector picks,
  // which name its cells where the phone layout hides them.
  function headings(selector) {
    return Array.prototype.map.call(document.querySelectorAll(selector + " thead th"), function (th) {
      return th.textContent;
    });
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

  // stateCell adds to tr the cell of an entry's state (the agent's
  // "queued", "sent", …), worded by t, with its explanation
  // text[state + "_title"] as the title.
  function stateCell(tr, state, t, text) {
    var span = document.createElement("span");
    span.className = "state";
    span.textContent = t(state);
    span.title = text[state + "_title"] || "";
    cell(tr, "", "state-cell").appendChild(span);
  }

  // The rules of manual.ParseTypedNumber (agents/source/manual/number.go),
  // which the agent applies to log-meter --value: digits (Western,
  // Arabic-Indic or Extended Arabic-Indic) with at most one decimal
  // separator (point, comma or ٫) between digits, and nothing else. BLANKS
  // are the same characters as its blanks.
  var BLANKS = " \t\r\n\u00a0\u2009\u202f";
  var NUMBER = /^[0-9]+([.,\u066B][0-9]+)?$/;
  var COMMA = /^[0-9]+,[0-9]{3}$/;
  var GROUPING = /^[0-9]+([.,\u066B'\u066C \t\r\n\u00a0\u2009\u202f]+[0-9]+)+$/;
  var EXPONENT = /^[0-9.,\u066B]*[0-9][0-9.,\u066B]*[eE][+-]?[0-9]+$/;
  var HEX = /^[+-]?0[xX]/;
  var INFNAN = /^[+-]?(inf|infinity|nan)$/i;

  function trimBlanks(s) {
    var i = 0;
    var j = s.length;
    while (i < j && BLANKS.indexOf(s.charAt(i)) >= 0) {
      i++;
    }
    while (j > i && BLANKS.indexOf(s.charAt(j - 1)) >= 0) {
      j--;
    }
    return s.slice(i, j);
  }

  // parseNumber reads a typed number as the agent does. It returns
  // {value: n} for a number, {empty: true} for an empty field, and
  // otherwise {problem: kind}, kind as manual.NumberError names it
  // ("comma", "grouping", "exponent", "hex", "not_finite", "sign",
  // "digits"); for "comma" ("12,400") also whole (12400) and decimal
  // (12.4), the two numbers it could mean.
  function parseNumber(text) {
    var d = trimBlanks(String(text))
      .replace(/[\u0660-\u0669]/g, function (c) { return String(c.charCodeAt(0) - 0x0660); })
      .replace(/[\u06F0-\u06F9]/g, function (c) { return String(c.charCodeAt(0) - 0x06F0); });
    if (d === "") {
      return { empty: true };
    }
    if (COMMA.test(d)) {
      var parts = d.split(",");
      return { problem: "comma", whole: Number(parts[0] + parts[1]), decimal: Number(parts[0] + "." + parts[1]) };
    }
    if (NUMBER.test(d)) {
      var v = Number(d.replace(/[,\u066B]/, "."));
      return isFinite(v) ? { value: v } : { problem: "digits" };
    }
    if (HEX.test(d)) {
      return { problem: "hex" };
    }
    if (INFNAN.test(d)) {
      return { problem: "not_finite" };
    }
    if (d.charAt(0) === "-" || d.charAt(0) === "+") {
      return { problem: "sign" };
    }
    if (EXPONENT.test(d)) {
      return { problem: "exponent" };
    }
    if (GROUPING.test(d)) {
      return { problem: "grouping" };
    }
    return { problem: "digits" };
  }

  return {
    words: words, isolate: isolate, sentence: sentence, detail: detail,
    readJSON: readJSON, post: post, fieldErrors: fieldErrors, refusal: refusal,
    keepDraft: keepDraft, listLoader: listLoader, formats: formats, headings: headings,
    cell: cell, stateCell: stateCell, parseNumber: parseNumber
  };
}());
