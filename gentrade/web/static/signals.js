/* Signals page: history, filters and the performance panels, all from /api/v1/signals. */
"use strict";
(function () {
  // The outcomes the statistics count as decided (gentrade.signals.stats): won, lost, or ran out of time.
  const DECIDED = new Set(["completed_success", "completed_failure", "expired"]);
  const form = document.getElementById("signal-filters");
  const query = () => new URLSearchParams(Array.from(new FormData(form)).filter(([, v]) => v !== "")).toString();

  function metric(label, value, cls = "", sub = "") {
    return `<div class="card stat"><div class="stat-label">${label}</div><div class="stat-value ${cls}">${value}</div><div class="muted small">${sub}</div></div>`;
  }

  async function history() {
    const rows = [];
    let cursor = null;
    do {
      const page = await GT.api("GET", `/api/v1/signals?limit=200&${query()}${cursor ? "&cursor=" + cursor : ""}`);
      rows.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor && rows.length < 1000);
    const body = document.querySelector("#signal-table tbody");
    body.innerHTML = rows.map((s) => `<tr data-signal-id="${s.id}"><td data-value="${s.id}">${s.id}</td><td>${GT.esc(s.symbol)}</td><td>${s.direction}</td><td>${s.timeframe}</td>
      <td class="num" data-value="${s.entry}">${Number(s.entry).toPrecision(6)}</td><td class="num">${s.take_profits.map((t) => Number(t.price).toPrecision(6)).join(" / ")}</td>
      <td class="num" data-value="${s.stop_loss}">${Number(s.stop_loss).toPrecision(6)}</td><td class="num" data-value="${s.confidence ?? ""}">${s.confidence ?? "–"}</td>
      <td><span class="badge ${s.status}">${s.status}</span></td><td>${GT.esc(s.model_id || "–")}</td><td>${GT.when(s.generated_at)}</td></tr>`).join("");
    document.getElementById("signals-empty").hidden = rows.length > 0;
    winOverTime(rows);
    GT.state.signalRows = rows;
  }

  function winOverTime(rows) {
    const days = {};
    for (const s of rows) {
      if (!DECIDED.has(s.status)) continue;
      const day = s.generated_at.slice(0, 10);
      days[day] = days[day] || { won: 0, n: 0 };
      days[day].n += 1;
      if (s.status === "completed_success") days[day].won += 1;
    }
    const keys = Object.keys(days).sort().slice(-30);
    document.getElementById("win-over-time").innerHTML = keys.length
      ? keys.map((d) => { const r = days[d].won / days[d].n; return `<div style="height:${Math.max(2, r * 100)}%" title="${d}: ${(r * 100).toFixed(0)} % of ${days[d].n}"><span>${d.slice(5)}</span></div>`; }).join("")
      : '<p class="empty-inline">No decided signals yet: signals are decided once the candles after them reach a target, the stop or the expiry.</p>';
  }

  async function stats() {
    const s = await GT.api("GET", `/api/v1/signals/stats?${query()}`);
    document.getElementById("signal-metrics").innerHTML =
      metric("Signals", s.total, "", `${s.decided} decided`) +
      metric("Win rate", s.win_rate === null ? "–" : (s.win_rate * 100).toFixed(1) + " %", "", `${s.wins} won`) +
      metric("Net P&amp;L on $1000", "$" + GT.num(s.total_net_pnl), GT.sign(s.total_net_pnl), `avg $${GT.num(s.average_net_pnl)} per signal, after costs`) +
      metric("Profit factor", GT.num(s.profit_factor), "", Object.entries(s.by_status).map(([k, v]) => `${k} ${v}`).join(" · "));
    const hits = Object.entries(s.level_hit_rates);
    document.querySelector("#hit-rates tbody").innerHTML = hits.length
      ? hits.map(([level, rate]) => `<tr><td>${level}</td><td class="num">${(rate * 100).toFixed(1)} %</td><td class="bar-cell"><span class="bar" style="width:${rate * 100}%"></span></td></tr>`).join("")
      : '<tr><td class="muted">No decided signals yet.</td></tr>';
    document.querySelector("#calibration tbody").innerHTML = s.calibration.map((b) => `<tr><td>${b.low}–${b.high}</td><td class="num">${b.count}</td><td class="num">${b.mean_confidence === null ? "–" : b.mean_confidence.toFixed(0)}</td><td class="num">${b.realized_win_rate === null ? "–" : (b.realized_win_rate * 100).toFixed(0) + " %"}</td></tr>`).join("");
    const models = Object.entries(s.by_model);
    document.querySelector("#per-model tbody").innerHTML = models.length
      ? models.map(([m, g]) => `<tr><td>${GT.esc(m)}</td><td class="num">${g.count}</td><td class="num">${(g.win_rate * 100).toFixed(1)} %</td><td class="num ${GT.sign(g.total_net_pnl)}">$${GT.num(g.total_net_pnl)}</td></tr>`).join("")
      : '<tr><td class="muted" colspan="4">No decided signals yet.</td></tr>';
    GT.state.signalStats = s;
  }

  async function refresh() {
    const exportLink = document.getElementById("csv-export");
    exportLink.setAttribute("href", `/api/v1/signals/export?${query()}`);
    await Promise.all([history(), stats()]);
    document.body.dataset.signalsLoaded = "1";
  }
  form.addEventListener("submit", (e) => { e.preventDefault(); refresh(); });
  refresh();
})();
