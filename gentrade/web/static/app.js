/* GenTrade dashboard: page behaviour shared by every page. Every change goes through the JSON API with the
   page's access token as a bearer header; pages themselves are read-only. */
"use strict";
const GT = (window.GT = window.GT || {});
GT.state = GT.state || {};

GT.token = () => document.querySelector('meta[name="gentrade-token"]')?.content || "";

/* Call the API; resolves to the parsed JSON (or null for 204), rejects with the problem's message. */
GT.api = async function (method, path, body) {
  const headers = { Authorization: "Bearer " + GT.token() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const reply = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (reply.status === 401) { window.location = "/login?next=" + encodeURIComponent(location.pathname); throw new Error("signed out"); }
  const text = await reply.text();
  const data = text && (reply.headers.get("content-type") || "").includes("json") ? JSON.parse(text) : text || null;
  if (!reply.ok) {
    const details = data && data.details && Array.isArray(data.details) ? ": " + data.details.map((d) => `${d.path} ${d.message}`).join("; ") : "";
    const retry = reply.headers.get("Retry-After");
    throw new Error(((data && data.message) || reply.statusText) + details + (retry ? ` (retry in ${retry} s)` : ""));
  }
  return data;
};

GT.esc = (value) => String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
GT.pct = (v, d = 2) => (v === null || v === undefined ? "–" : `${v >= 0 ? "+" : ""}${Number(v).toFixed(d)} %`);
GT.num = (v, d = 2) => (v === null || v === undefined ? "–" : Number(v).toLocaleString(undefined, { minimumFractionDigits: d, maximumFractionDigits: d }));
GT.when = (v) => (v ? String(v).replace("T", " ").slice(0, 16) : "–");
GT.sign = (v) => (v > 0 ? "pos" : v < 0 ? "neg" : "");

/* Forms marked data-api-form="METHOD /path": fields become JSON (data-type int/float/list/json). */
GT.formBody = function (form) {
  const body = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled || (el.type === "checkbox" && !el.checked)) continue;
    const kind = el.dataset.type;
    let value = el.value.trim();
    if (value === "" && kind) continue;
    if (kind === "int") value = parseInt(value, 10);
    else if (kind === "float") value = parseFloat(value);
    else if (kind === "list") value = value.split(",").map((s) => s.trim()).filter(Boolean);
    else if (kind === "bool") value = el.checked;
    body[el.name] = value;
  }
  if (form.dataset.wrap) {
    const raw = body[form.dataset.wrap];
    try { body[form.dataset.wrap] = JSON.parse(raw); } catch (err) { throw new Error(`${form.dataset.wrap}: not valid JSON (${err.message})`); }
  }
  return body;
};

GT.after = {
  strategy: (data) => { window.location = `/strategies/${data.id}`; },
  reload: () => window.location.reload(),
  "backtest-progress": (data) => GT.followBacktest(data.id, document.getElementById("backtest-progress")),
};

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!form.dataset.apiForm) return;
  event.preventDefault();
  const status = form.querySelector(".form-status");
  const [method, path] = form.dataset.apiForm.split(" ");
  const button = form.querySelector("button[type=submit]");
  try {
    if (button) button.disabled = true;
    if (status) { status.className = "form-status"; status.textContent = "Working…"; }
    const body = GT.formBody(form);
    const data = await GT.api(method, path.replace(/\{(\w+)\}/g, (_m, k) => encodeURIComponent(body[k])), body);
    if (status) status.textContent = "Done.";
    const then = GT.after[form.dataset.then] || GT.after.reload;
    await then(data, form);
  } catch (err) {
    if (status) { status.className = "form-status neg"; status.textContent = err.message; }
  } finally {
    if (button) button.disabled = false;
  }
});

/* Queue-to-result progress of one backtest: status and elapsed time until it ends, then a link. */
GT.followBacktest = async function (id, box) {
  box.hidden = false;
  const bar = box.querySelector(".progress-bar");
  const text = box.querySelector(".progress-text");
  bar.classList.add("indeterminate");
  const started = Date.now();
  for (;;) {
    const b = await GT.api("GET", `/api/v1/backtests/${id}`);
    const elapsed = ((Date.now() - started) / 1000).toFixed(0);
    if (b.status === "queued" || b.status === "running") {
      text.innerHTML = `Backtest <a href="/backtests/${id}">#${id}</a>: <span class="badge ${b.status}">${b.status}</span> · ${elapsed} s`;
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    bar.classList.remove("indeterminate");
    bar.classList.add(b.status === "succeeded" ? "done" : "failed");
    text.innerHTML = b.status === "succeeded"
      ? `Backtest <a id="backtest-done-link" href="/backtests/${id}">#${id}</a> finished in ${elapsed} s: ${GT.pct(b.total_profit_pct)} over ${b.trades} trades. <a href="/backtests/${id}">Open the report →</a>`
      : `Backtest #${id} <span class="badge ${b.status}">${b.status}</span> ${GT.esc(b.error_code || "")}: ${GT.esc(b.error_message || "")}`;
    box.dataset.finished = b.status;
    return b;
  }
};

/* A page showing an unfinished backtest reloads itself once it finishes. */
for (const box of document.querySelectorAll("[data-poll-backtest]")) {
  (async () => {
    for (;;) {
      const b = await GT.api("GET", `/api/v1/backtests/${box.dataset.pollBacktest}`);
      if (b.status !== "queued" && b.status !== "running") { if (box.querySelector(".progress")) window.location.reload(); return; }
      await new Promise((r) => setTimeout(r, 1500));
    }
  })();
}

/* Sortable tables: a click on a th[data-sort] sorts its tbody rows (or tbody groups, for trades). */
document.addEventListener("click", (event) => {
  const th = event.target.closest("th[data-sort]");
  if (!th) return;
  const table = th.closest("table");
  const index = Array.from(th.parentNode.children).indexOf(th);
  const numeric = th.dataset.sort === "num";
  const direction = th.classList.contains("asc") ? -1 : 1;
  table.querySelectorAll("th").forEach((h) => h.classList.remove("asc", "desc"));
  th.classList.add(direction === 1 ? "asc" : "desc");
  const grouped = table.tBodies.length > 1;
  const units = grouped ? Array.from(table.tBodies) : Array.from(table.tBodies[0].rows);
  const key = (unit) => {
    const cell = (grouped ? unit.rows[0] : unit).cells[index];
    const raw = cell.dataset.value ?? cell.textContent.trim();
    return numeric ? (raw === "" ? -Infinity : parseFloat(String(raw).replace(/[^0-9eE.+-]/g, ""))) : raw.toLowerCase();
  };
  units.sort((a, b) => (key(a) > key(b) ? direction : key(a) < key(b) ? -direction : 0));
  const parent = grouped ? table : table.tBodies[0];
  units.forEach((u) => parent.appendChild(u));
});

/* Trades: a row click shows its orders. */
document.addEventListener("click", (event) => {
  const row = event.target.closest("tr.trade-row");
  if (!row) return;
  const orders = row.nextElementSibling;
  orders.hidden = !orders.hidden;
  row.classList.toggle("open", !orders.hidden);
});

/* Compare: 2 to 5 ticked backtests become /compare?ids=… */
for (const form of document.querySelectorAll("[data-compare-form]")) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    // Oldest first: the first run is the baseline the spec diffs start from.
    const ids = Array.from(form.querySelectorAll("input[name=ids]:checked")).map((c) => Number(c.value)).sort((a, b) => a - b);
    const status = form.querySelector(".form-status");
    if (ids.length < 2 || ids.length > 5) { status.className = "form-status neg"; status.textContent = "Tick 2 to 5 finished backtests."; return; }
    window.location = "/compare?ids=" + ids.join(",");
  });
}

/* Downloads from API routes (which need the bearer header): fetch, then save the blob. */
document.addEventListener("click", async (event) => {
  const link = event.target.closest("[data-api-download]");
  if (!link) return;
  event.preventDefault();
  const reply = await fetch(link.getAttribute("href"), { headers: { Authorization: "Bearer " + GT.token() } });
  const url = URL.createObjectURL(await reply.blob());
  const a = Object.assign(document.createElement("a"), { href: url, download: link.dataset.apiDownload });
  document.body.appendChild(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
});
