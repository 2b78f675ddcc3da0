/* Bots page: state from /api/v1/bots, actions through the API, the log tail as server-sent events. */
"use strict";
(function () {
  const list = document.getElementById("bot-list");
  const streams = {};

  async function action(id, verb) {
    const path = verb === "delete" ? `/api/v1/bots/${id}` : `/api/v1/bots/${id}/${verb}`;
    const answer = await GT.api(verb === "delete" ? "DELETE" : "POST", path);
    await load();
    if (verb === "emergency-stop") report([answer]);
  }

  /* What an emergency stop did: positions closed, and any it could not close (say so loudly). */
  function report(answers) {
    const lines = answers.map((a) => `${GT.esc(a.bot.name)}: closed ${a.closed.length} position(s)` +
      (a.not_closed.length ? `; NOT closed: ${a.not_closed.map((t) => `${GT.esc(t.pair)} (${GT.esc(t.reason)})`).join(", ")}` : "") +
      (a.error ? `; ${GT.esc(a.error)}` : ""));
    const box = document.getElementById("emergency-report");
    box.className = answers.every((a) => a.complete) ? "alert info" : "alert error";
    box.innerHTML = lines.join("<br>") || "No running bot.";
    box.hidden = false;
  }

  document.getElementById("emergency-all").addEventListener("click", async () => {
    if (!window.confirm("Close every open position of every running bot at market, then stop them?")) return;
    const answers = await GT.api("POST", "/api/v1/bots/emergency-stop");
    await load();
    report(answers);
  });

  function card(b) {
    const running = b.status === "running" || b.status === "starting";
    return `<div class="card bot-card" data-bot-id="${b.id}">
      <h2>${GT.esc(b.name)} <span class="badge ${b.status}">${b.status}</span> <span class="muted small">${GT.esc(b.strategy || "")} v${b.version_number} · ${b.dry_run ? "dry-run" : "LIVE"}</span></h2>
      <div class="grid-2"><div>
        <dl class="kv">
          <dt>api_server (FreqUI)</dt><dd class="api-url">${b.api_url ? GT.esc(b.api_url) : "– (not running)"}</dd>
          <dt>FreqUI login</dt><dd class="api-login">–</dd>
          <dt>Started</dt><dd>${GT.when(b.started_at)}</dd>
          <dt>Open trades</dt><dd class="open-trades">–</dd>
          <dt>Profit</dt><dd class="bot-profit">–</dd>
        </dl>
        <div class="bot-actions">
          ${running ? `<button data-bot-action="stop">Stop</button>` : `<button class="primary" data-bot-action="start">Start</button>`}
          <button class="danger" data-bot-action="emergency-stop" title="Close every open position at market, then stop">Emergency stop</button>
          <button data-bot-action="delete">Delete</button>
        </div>
        ${b.last_log ? `<pre class="code">${GT.esc(b.last_log)}</pre>` : ""}
      </div>
      <div><div class="stat-label">Live log</div><div class="log" id="log-${b.id}"></div></div></div>
    </div>`;
  }

  /* FreqUI login (GET /bots/{id}, owner only), open trades and profit (the API's proxies to the bot's own
     api_server: /open-trades is freqtrade's /status, answered while the bot runs). */
  async function live(b) {
    const box = list.querySelector(`[data-bot-id="${b.id}"]`);
    if (!box) return;
    const bot = await GT.api("GET", `/api/v1/bots/${b.id}`);
    if (bot.username) box.querySelector(".api-login").innerHTML = `user <code>${GT.esc(bot.username)}</code> · password <code>${GT.esc(bot.password)}</code>`;
    if (bot.status !== "running" && bot.status !== "degraded") { box.dataset.live = "1"; return; }
    try {
      const [open, p] = await Promise.all([GT.api("GET", `/api/v1/bots/${b.id}/open-trades`), GT.api("GET", `/api/v1/bots/${b.id}/profit`)]);
      box.querySelector(".open-trades").innerHTML = open.length
        ? open.map((t) => `${GT.esc(t.pair)} ${t.is_short ? "short" : "long"} @ ${Number(t.open_rate).toPrecision(6)}${t.has_open_orders && !t.amount ? " (entry order open)" : ""} <span class="${GT.sign(t.profit_pct)}">${GT.pct(t.profit_pct)}</span>`).join("<br>")
        : "none";
      box.querySelector(".bot-profit").innerHTML = `<span class="${GT.sign(p.profit_all_coin)}">${GT.num(p.profit_all_coin, 4)}</span> (${GT.pct(p.profit_all_percent)}) · ${p.trade_count} trades, ${p.closed_trade_count} closed`;
      box.dataset.openTrades = String(open.length);
    } catch (err) {
      box.querySelector(".open-trades").textContent = err.message;
    }
    box.dataset.live = "1";
  }

  function follow(id) {
    if (streams[id]) streams[id].close();
    const box = document.getElementById(`log-${id}`);
    const source = new EventSource(`/bots/${id}/log-stream`);
    source.onmessage = (event) => {
      box.textContent += event.data + "\n";
      box.scrollTop = box.scrollHeight;
      box.dataset.lines = String((Number(box.dataset.lines) || 0) + 1);
    };
    streams[id] = source;
  }

  async function load() {
    const bots = await GT.api("GET", "/api/v1/bots");
    GT.state.bots = bots;
    Object.values(streams).forEach((s) => s.close());
    list.innerHTML = bots.length ? bots.map(card).join("") : '<div class="empty card"><h2>No bots yet</h2><p>Start one above. It trades the local testnet: run <code>gentrade exchange serve --replay 2024-01-20 --speed 10</code> on the server first.</p></div>';
    bots.forEach((b) => { follow(b.id); live(b); });
    document.body.dataset.botsLoaded = "1";
  }

  list.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-bot-action]");
    if (!button) return;
    const id = button.closest("[data-bot-id]").dataset.botId;
    const verb = button.dataset.botAction;
    const ask = { delete: "Delete this bot and its trade database?", "emergency-stop": "Close this bot's open positions at market, then stop it?" }[verb];
    if (ask && !window.confirm(ask)) return;
    button.disabled = true;
    try { await action(id, verb); } catch (err) { window.alert(err.message); button.disabled = false; }
  });
  /* Every few seconds: a changed state re-renders the cards; open trades and profit are asked again. */
  async function refresh() {
    const bots = await GT.api("GET", "/api/v1/bots");
    const before = (GT.state.bots || []).map((b) => `${b.id}:${b.status}`).join();
    if (bots.map((b) => `${b.id}:${b.status}`).join() !== before) await load();
    else bots.forEach(live);
  }
  load().catch((err) => { list.innerHTML = `<div class="alert error">${GT.esc(err.message)}</div>`; });
  setInterval(() => refresh().catch(() => {}), 3000);
})();
