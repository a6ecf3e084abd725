// flatbed web app: scenario editor with server-side validation, plan runs, saved items, compare.
// Every value from the server or the user is put in the page with textContent, never parsed as markup.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var editor = $("scenario"), gutter = $("gutter");
  var current = { plan: null, scenarioId: null, savedId: null };
  var validateTimer = null, validateSeq = 0;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { node.textContent = attrs[k]; }
      else if (k === "cls") { node.className = attrs[k]; }
      else { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { node.appendChild(c); });
    return node;
  }
  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }
  function usd(v) {
    if (v === null || v === undefined || !isFinite(v)) { return "—"; }
    var a = Math.abs(v), s = v < 0 ? "-" : "";
    if (a >= 1e9) { return s + "$" + (a / 1e9).toFixed(2) + " B"; }
    if (a >= 1e6) { return s + "$" + (a / 1e6).toFixed(2) + " M"; }
    if (a >= 1e4) { return s + "$" + (a / 1e3).toFixed(0) + " k"; }
    return s + "$" + a.toFixed(0);
  }
  function contentType(text) {
    return /^\s*[{[]/.test(text) ? "application/json" : "application/yaml";
  }
  function setStatus(text, ok) {
    var s = $("status"); s.textContent = text; s.className = "status " + (ok ? "ok" : "bad");
  }

  // ---- editor: line numbers and inline errors ----
  function renderGutter(errLines) {
    var n = editor.value.split("\n").length, bad = {};
    (errLines || []).forEach(function (l) { bad[l] = true; });
    clear(gutter);
    for (var i = 1; i <= n; i++) {
      var span = el("span", { text: String(i), cls: bad[i] ? "err" : "" });
      if (bad[i]) { span.setAttribute("data-error-line", String(i)); }
      gutter.appendChild(span);
      gutter.appendChild(document.createTextNode("\n"));
    }
    gutter.scrollTop = editor.scrollTop;
  }
  function gotoLine(line) {
    var lines = editor.value.split("\n"), start = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) { start += lines[i].length + 1; }
    editor.focus();
    editor.setSelectionRange(start, start + (lines[line - 1] || "").length);
    editor.scrollTop = Math.max(0, (line - 5) * 18);
  }
  function showErrors(errors) {
    var list = $("errors"); clear(list);
    var lines = [];
    errors.forEach(function (e) {
      var li = el("li", {}, []);
      if (e.line) {
        lines.push(e.line);
        li.appendChild(el("span", { cls: "line", text: "line " + e.line + ": " }));
        li.addEventListener("click", function () { gotoLine(e.line); });
      }
      li.appendChild(document.createTextNode(e.message));
      list.appendChild(li);
    });
    renderGutter(lines);
  }
  function validate() {
    var text = editor.value, seq = ++validateSeq;
    if (!text.trim()) { showErrors([]); setStatus("", true); return Promise.resolve(false); }
    return fetch("/api/validate", { method: "POST", headers: { "Content-Type": contentType(text) }, body: text })
      .then(function (r) {
        if (r.status === 413) { return { valid: false, errors: [{ line: null, message: "the scenario is too large" }] }; }
        return r.json();
      })
      .then(function (res) {
        if (seq !== validateSeq) { return res.valid; }
        if (res.valid) {
          showErrors([]);
          setStatus("valid: " + res.name + " (" + res.sites + " site(s), " + res.workloads + " workload(s))", true);
        } else {
          showErrors(res.errors || []);
          setStatus("invalid scenario", false);
        }
        return res.valid;
      });
  }
  editor.addEventListener("input", function () {
    renderGutter([]);
    clearTimeout(validateTimer);
    validateTimer = setTimeout(validate, 500);
  });
  editor.addEventListener("scroll", function () { gutter.scrollTop = editor.scrollTop; });
  function load(text) { editor.value = text; renderGutter([]); current.scenarioId = null; validate(); }

  // ---- open a file or an example ----
  $("file").addEventListener("change", function (ev) {
    var f = ev.target.files[0]; if (!f) { return; }
    var reader = new FileReader();
    reader.onload = function () { load(String(reader.result)); };
    reader.readAsText(f);
  });
  fetch("/api/examples").then(function (r) { return r.json(); }).then(function (names) {
    names.forEach(function (n) { $("examples").appendChild(el("option", { value: n, text: n })); });
  });
  $("examples").addEventListener("change", function (ev) {
    var n = ev.target.value; if (!n) { return; }
    fetch("/api/examples/" + encodeURIComponent(n)).then(function (r) { return r.text(); }).then(load);
  });

  // ---- run a plan ----
  function showPlan(plan) {
    current.plan = plan; current.savedId = null;
    $("result-empty").hidden = true;
    $("result-actions").hidden = false;
    var box = $("summary"); clear(box);
    box.appendChild(el("h3", { text: plan.scenario + " — " + plan.horizon_years + "-year horizon, USD " + plan.currency_year }));
    plan.sites.forEach(function (s) {
      var allowed = s.alternatives.filter(function (a) { return a.allowed; });
      var best = allowed.sort(function (a, b) { return a.tco_usd - b.tco_usd; })[0];
      var tone = !s.feasible ? "v-bad" : (best && best.tco_usd < s.tco_usd ? "v-warn" : "v-good");
      var head = !s.feasible ? "Not feasible: " + (s.violations.join("; ") || s.binding_constraint)
        : (best ? (best.tco_usd < s.tco_usd ? "The cloud is cheaper: " + best.name
          : "Build at the edge: " + usd(best.tco_usd - s.tco_usd) + " cheaper than " + best.name)
          : "Build at the edge: no cloud option is allowed");
      var buy = Object.keys(s.accelerators).map(function (k) { return s.accelerators[k] + " × " + k; }).join(", ");
      var art = el("article", { cls: "site", "data-site": s.site }, [
        el("h4", { text: (s.name || s.site) + " (" + s.site + ")" }),
        el("div", { cls: "verdict " + tone, text: head + (s.binding_constraint ? " · binding: " + s.binding_constraint : "") }),
        el("div", { cls: "cards" }, [
          card("Buy", buy || "nothing"), card("GPUs", String(s.gpus)),
          card("Capex", usd(s.capex_usd)), card("TCO", usd(s.tco_usd)),
          card("Best cloud", best ? usd(best.tco_usd) : "none allowed"),
          card("Peak power", s.facility_kw_peak.toFixed(0) + " kW")])]);
      box.appendChild(art);
    });
    drawTco(plan);
  }
  function card(k, v) { return el("div", { cls: "card" }, [el("div", { cls: "k", text: k }), el("div", { cls: "v", text: v })]); }
  function esc(s) { return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"); }
  function drawTco(plan) {
    if (!window.Plotly) { return; }
    var names = [], vals = [], colors = [];
    plan.sites.forEach(function (s) {
      names.push(esc(s.site) + ": edge"); vals.push(s.tco_usd); colors.push("#2563eb");
      s.alternatives.forEach(function (a) {
        names.push(esc(s.site) + ": " + esc(a.name)); vals.push(a.tco_usd); colors.push(a.allowed ? "#f97316" : "#9ca3af");
      });
    });
    window.Plotly.newPlot($("tco-chart"), [{ type: "bar", orientation: "h", y: names, x: vals, marker: { color: colors } }],
      { title: { text: "TCO over the horizon [USD] (grey: not allowed)" }, height: 120 + 32 * names.length,
        margin: { l: 220, r: 20, t: 40, b: 40 }, yaxis: { autorange: "reversed" } },
      { displaylogo: false, responsive: true });
  }
  $("run").addEventListener("click", function () {
    var text = editor.value, t0 = Date.now();
    $("run").disabled = true; $("progress").hidden = false;
    var tick = setInterval(function () { $("elapsed").textContent = "planning… " + ((Date.now() - t0) / 1000).toFixed(1) + " s"; }, 100);
    fetch("/api/plan", { method: "POST", headers: { "Content-Type": contentType(text) }, body: text })
      .then(function (r) { return r.json().then(function (body) { return { status: r.status, body: body }; }); })
      .then(function (res) {
        if (res.status === 200) { showErrors([]); setStatus("planned in " + ((Date.now() - t0) / 1000).toFixed(1) + " s", true); showPlan(res.body); }
        else if (res.status === 422) { showErrors(res.body.errors || [{ line: null, message: res.body.detail }]); setStatus("invalid scenario", false); }
        else { setStatus("error " + res.status + ": " + (res.body.detail || ""), false); }
      })
      .catch(function (e) { setStatus("request failed: " + e, false); })
      .finally(function () { clearInterval(tick); $("run").disabled = false; $("progress").hidden = true; });
  });
  $("validate").addEventListener("click", validate);

  // ---- save, list, report, compare ----
  function refreshSaved() {
    fetch("/api/scenarios").then(function (r) { return r.json(); }).then(function (rows) {
      var ul = $("saved-scenarios"); clear(ul);
      rows.forEach(function (s) {
        var b = el("button", { type: "button", text: "open" });
        b.addEventListener("click", function () {
          fetch("/api/scenarios/" + s.id).then(function (r) { return r.json(); }).then(function (d) { load(d.text); current.scenarioId = d.id; });
        });
        ul.appendChild(el("li", {}, [b, el("span", { text: "#" + s.id + " " + s.name }), el("span", { cls: "muted", text: s.created_at })]));
      });
    });
    fetch("/api/plans").then(function (r) { return r.json(); }).then(function (rows) {
      var ul = $("saved-plans"); clear(ul);
      rows.forEach(function (p) {
        var a = el("a", { href: "/api/plans/" + p.id + "/report", target: "_blank", rel: "noopener", text: "report" });
        ul.appendChild(el("li", { "data-plan-id": String(p.id) }, [
          el("input", { type: "checkbox", value: String(p.id), "aria-label": "compare plan " + p.id }),
          el("span", { text: "#" + p.id + " " + p.name + " — " + usd(p.tco_usd) + (p.feasible ? "" : " (not feasible)") }), a]));
      });
    });
  }
  $("save-scenario").addEventListener("click", function () {
    var body = JSON.stringify({ name: $("scenario-name").value, text: editor.value });
    fetch("/api/scenarios", { method: "POST", headers: { "Content-Type": "application/json" }, body: body })
      .then(function (r) { return r.json().then(function (b) { return { status: r.status, body: b }; }); })
      .then(function (res) {
        if (res.status === 201) { current.scenarioId = res.body.id; setStatus("saved scenario #" + res.body.id, true); refreshSaved(); }
        else { showErrors(res.body.errors || [{ line: null, message: String(res.body.detail) }]); setStatus("not saved", false); }
      });
  });
  function savePlan() {
    if (current.savedId) { return Promise.resolve(current.savedId); }
    var body = JSON.stringify({ name: $("scenario-name").value || current.plan.scenario, plan: current.plan, scenario_id: current.scenarioId });
    return fetch("/api/plans", { method: "POST", headers: { "Content-Type": "application/json" }, body: body })
      .then(function (r) { return r.json(); })
      .then(function (b) { current.savedId = b.id; setStatus("saved plan #" + b.id, true); refreshSaved(); return b.id; });
  }
  $("save-plan").addEventListener("click", function () { if (current.plan) { savePlan(); } });
  $("open-report").addEventListener("click", function () {
    // the report is served by the API with its own offline-only CSP, so save first and open it
    if (!current.plan) { return; }
    var win = window.open("about:blank", "_blank");
    savePlan().then(function (id) {
      var url = "/api/plans/" + id + "/report";
      if (win) { win.location = url; } else { window.location = url; }
    });
  });
  $("compare").addEventListener("click", function () {
    var ids = Array.prototype.map.call(document.querySelectorAll("#saved-plans input:checked"), function (c) { return c.value; });
    var out = $("comparison"); clear(out);
    if (ids.length !== 2) { out.appendChild(el("p", { cls: "muted", text: "Tick exactly two plans." })); return; }
    fetch("/api/compare?a=" + ids[1] + "&b=" + ids[0]).then(function (r) { return r.json(); }).then(function (c) {
      var head = el("tr", {}, [el("th", { text: "" }), el("th", { text: "#" + c.a.id + " " + c.a.name }),
        el("th", { text: "#" + c.b.id + " " + c.b.name }), el("th", { text: "difference" })]);
      var rows = c.rows.map(function (r) {
        function fmt(v) { return typeof v === "boolean" ? (v ? "yes" : "no") : (r.unit.indexOf("USD") === 0 ? usd(v) : Number(v).toLocaleString(undefined, { maximumFractionDigits: 1 })); }
        return el("tr", {}, [el("td", { text: r.metric + (r.unit ? " [" + r.unit + "]" : "") }), el("td", { cls: "n", text: fmt(r.a) }),
          el("td", { cls: "n", text: fmt(r.b) }), el("td", { cls: "n", text: r.delta === null ? "" : fmt(r.delta) })]);
      });
      out.appendChild(el("table", { id: "compare-table" }, [el("thead", {}, [head]), el("tbody", {}, rows)]));
    });
  });

  renderGutter([]);
  refreshSaved();
})();
