// fuseguard's dashboard: the site's state as fuseguard publishes it on MQTT
// (docs/mqtt.md), kept up to date by one event stream (/events): the whole
// state first, then each payload that changes. Text from the site is only
// ever set as textContent, never parsed as HTML.
"use strict";

const state = new Map();  // topic ("site", "chargers/CP1", ...) -> payload
let renderPending = false;
// Who is logged in (null: nobody); operator commands are shown only then.
let operator = null;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c == null ? "" : String(c)));
  return e;
}

const amps = (x) => (x == null ? "–" : `${Number(x).toFixed(1)} A`);
const percent = (x) => (x == null ? "–" : `${Number(x).toFixed(1)} %`);
const byTopic = (prefix) =>
  [...state.entries()].filter(([t]) => t.startsWith(prefix)).map(([t, b]) => [t.slice(prefix.length), b])
    .sort(([a], [b]) => a.localeCompare(b, undefined, { numeric: true }));

function scheduleRender() {
  if (renderPending) return;
  renderPending = true;
  // At most a few renders a second, however busy the site.
  setTimeout(() => { renderPending = false; render(); }, 250);
}

const titles = { "non-ev": "non-EV load", hidden: "non-EV load lowerings on their way may hide", ems: "EMS reserved",
  other: "other deductions", allocated: "allocated to stations", available: "free" };

function renderBudget(site) {
  const box = document.getElementById("budget");
  box.replaceChildren();
  if (!site) return;
  const nodes = [["site", site], ...Object.entries(site.circuits || {}).sort()];
  for (const [name, n] of nodes) {
    const node = el("div", { class: "node", "data-node": name }, el("div", { class: "node-name" }, name));
    for (let p = 0; p < 3; p++) {
      const limit = n.fuse_limit_a[p] || 1;
      const nonEv = n.non_ev_load_a[p], ems = (n.ems_reserved_a || [0, 0, 0])[p];
      // Behind a total meter, lowerings on their way to the vehicles may
      // hide part of the non-EV load (docs/modbus.md): no raise goes there
      // until it shows, so it is drawn apart from what is free.
      const hidden = Math.max(0, (n.non_ev_load_max_a || n.non_ev_load_a)[p] - nonEv);
      // available_a is the limit less all load fuseguard does not control:
      // what is not non-EV or EMS among that is other deductions (devices
      // offline or unmanaged, counted at their fallbacks).
      const other = Math.max(0, n.fuse_limit_a[p] - n.available_a[p] - nonEv - ems);
      const free = Math.max(0, n.available_a[p] - n.allocated_a[p] - hidden);
      const parts = [["non-ev", nonEv], ["hidden", hidden], ["ems", ems], ["other", other], ["allocated", n.allocated_a[p]],
        ["available", free]];
      const bar = el("div", { class: "bar" });
      for (const [cls, v] of parts) {
        const w = Math.max(0, Math.min(100, (100 * v) / limit));
        const s = el("span", { class: cls, title: `${titles[cls]} ${amps(v)}` });
        s.style.width = `${w}%`;
        bar.append(s);
      }
      const upTo = hidden >= 0.05 ? `, non-EV may be up to ${amps(nonEv + hidden)}` : "";
      node.append(el("div", { class: "phase" }, `L${p + 1}`, bar,
        `${amps(n.allocated_a[p])} of ${amps(n.available_a[p])} allocated, fuse ${amps(n.fuse_limit_a[p])}${upTo}`));
    }
    box.append(node);
  }
  const body = document.querySelector("#deductions tbody");
  body.replaceChildren();
  for (const d of site.deductions || [])
    body.append(el("tr", {}, el("td", {}, d.source), el("td", { class: `state-${d.state}` }, d.state),
      ...d.current_a.map((c) => el("td", { class: "num" }, amps(c))), el("td", {}, d.reason)));
  document.getElementById("no-deductions").hidden = (site.deductions || []).length > 0;
  document.getElementById("deductions").hidden = (site.deductions || []).length === 0;
}

function renderStations() {
  const body = document.querySelector("#stations tbody");
  body.replaceChildren();
  for (const [id, c] of byTopic("chargers/")) {
    const connectors = c.connectors || [];
    // Red whatever the status: an error code matters even while charging.
    const error = connectors.some((k) => k.errorCode && k.errorCode !== "NoError");
    const uptime = (key) => (c.uptime || []).map((u) => percent(u[key])).join(", ") || "–";
    const row = el("tr", { class: error ? "has-error" : "", "data-station": id },
      el("td", {}, error ? el("span", { class: "error-mark", title: "error code reported" }) : ""),
      el("td", {}, id),
      el("td", { class: `state-${c.state}` }, c.state),
      el("td", {}, c.managed ? "yes" : "no"),
      el("td", { class: "num" }, c.managed ? amps(c.limit_a) : "–"),
      el("td", { class: "num" }, c.draw_a ? c.draw_a.map((v) => v.toFixed(1)).join(" / ") : "–"),
      el("td", {}, connectors.map((k) => `${k.connector}: ${k.status}` +
        (k.errorCode && k.errorCode !== "NoError" ? ` (${k.errorCode}${k.vendorErrorCode ? " " + k.vendorErrorCode : ""})` : "")).join(", ")),
      el("td", {}, c.failsafe ? c.failsafe.state : "–"),
      el("td", { class: "num" }, uptime("percent_24h")),
      el("td", { class: "num" }, uptime("percent_30d")),
      el("td", {}, c.reason || ""),
      el("td", { class: "operator" }, ...commandButtons(id, connectors)));
    body.append(row);
  }
}

function renderDevices() {
  const body = document.querySelector("#devices tbody");
  body.replaceChildren();
  for (const [kind, key] of [["meters/", "current_a"], ["ems/", "reserved_a"]])
    for (const [id, d] of byTopic(kind))
      body.append(el("tr", {}, el("td", {}, `${kind.slice(0, -1) === "meters" ? "meter" : "ems"}:${id}`),
        el("td", { class: `state-${d.state}` }, d.state),
        ...(d[key] || [null, null, null]).map((v) => el("td", { class: "num" }, amps(v))),
        el("td", {}, d.ts ? new Date(d.ts).toLocaleString() : "never")));
}

function renderNotifications() {
  const notes = state.get("notifications") || [];
  const list = document.getElementById("notes");
  list.replaceChildren();
  for (const n of notes) {
    const steps = el("ol", { class: "steps" }, ...(n.steps || []).map((s) => el("li", {}, s)));
    list.append(el("li", { class: `severity-${n.severity}`, "data-code": n.code },
      el("div", { class: "title" }, n.title),
      el("div", { class: "meta" }, `${n.device}${n.connector != null ? " connector " + n.connector : ""} · ${n.code}` +
        `${n.vendor_code ? " · " + n.vendor_code : ""} · since ${new Date(n.since).toLocaleString()}`),
      el("div", {}, n.description), steps));
  }
  const count = document.getElementById("note-count");
  count.textContent = notes.length;
  count.classList.toggle("active", notes.length > 0);
  document.getElementById("no-notes").hidden = notes.length > 0;
}

function commandButtons(id, connectors) {
  const button = (label, action, args) => {
    const b = el("button", { type: "button", class: "command", "data-station": id, "data-action": action }, label);
    b.dataset.args = JSON.stringify(args || {});
    return b;
  };
  return [button("Status", "trigger_status"), ...connectors.map((k) => button(`Unlock ${k.connector}`, "unlock", { connector: k.connector })),
    button("Reset", "reset")];
}

async function post(path, body) {
  const res = await fetch(path, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json" }, body: JSON.stringify(body || {}),
  });
  let answer = {};
  try { answer = await res.json(); } catch (e) { answer = { error: res.statusText }; }
  return { status: res.status, answer };
}

function showOperator(user) {
  operator = user;
  document.body.classList.toggle("logged-in", user != null);
  document.getElementById("who").hidden = user == null;
  document.getElementById("who-name").textContent = user || "";
  document.getElementById("login").hidden = user != null;
}

function logCommand(text, ok) {
  const list = document.getElementById("command-log");
  list.prepend(el("li", { class: ok ? "ok" : "failed" }, `${new Date().toLocaleTimeString()} ${text}`));
  while (list.children.length > 10) list.lastChild.remove();
}

async function runCommand(button) {
  const { station, action, args } = button.dataset;
  if (action === "reset" && !window.confirm(`Reset ${station}? Charging there stops while it restarts.`)) return;
  const { status, answer } = await post(`/api/chargers/${encodeURIComponent(station)}/${action}`, JSON.parse(args));
  if (status === 401) showOperator(null);
  logCommand(`${station} ${action}: ${answer.status || status} ${answer.detail || answer.error || ""}`, answer.status === "Accepted");
}

async function setUpLogin() {
  let session = { login: false, user: null };
  try { session = await (await fetch("/api/session", { credentials: "same-origin" })).json(); } catch (e) { /* read-only */ }
  if (!session.login) return;  // no login configured: the page stays read-only
  showOperator(session.user);
  document.getElementById("login").addEventListener("submit", async (e) => {
    e.preventDefault();
    const error = document.getElementById("login-error");
    const password = document.getElementById("login-password");
    const { status, answer } = await post("/api/login", { user: document.getElementById("login-user").value, password: password.value });
    password.value = "";
    error.textContent = status === 200 ? "" : answer.error || `refused (${status})`;
    if (status === 200) showOperator(answer.user);
  });
  document.getElementById("logout").addEventListener("click", async () => {
    await post("/api/logout");
    showOperator(null);
  });
  document.querySelector("#stations tbody").addEventListener("click", (e) => {
    const b = e.target.closest("button.command");
    if (b && operator) runCommand(b);
  });
}

function render() {
  renderNotifications();
  renderBudget(state.get("site"));
  renderStations();
  renderDevices();
  document.getElementById("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
}

function connect() {
  const link = document.getElementById("link");
  const events = new EventSource("/events");
  events.addEventListener("open", () => { link.textContent = "live"; link.className = "link up"; });
  events.addEventListener("error", () => { link.textContent = "reconnecting…"; link.className = "link down"; });
  events.addEventListener("snapshot", (e) => {
    state.clear();
    for (const [topic, body] of Object.entries(JSON.parse(e.data))) state.set(topic, body);
    render();
  });
  events.addEventListener("update", (e) => {
    const { topic, body } = JSON.parse(e.data);
    state.set(topic, body);
    scheduleRender();
  });
  events.addEventListener("reset", () => { state.clear(); scheduleRender(); });
}

setUpLogin();
connect();
