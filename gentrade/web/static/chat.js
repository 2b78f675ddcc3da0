/* Chat page: threads from /api/v1/chat, each turn streamed (server-sent events over a POST, read with fetch). */
"use strict";
(function () {
  let thread = new URLSearchParams(location.search).get("thread") || null;
  const messages = document.getElementById("messages");

  function bubble(kind, text) {
    document.getElementById("chat-empty")?.remove();
    const div = document.createElement("div");
    div.className = `msg ${kind}`;
    div.textContent = text;
    messages.appendChild(div);
    messages.scrollTop = messages.scrollHeight;
    return div;
  }

  function showDraft(draft) {
    document.getElementById("draft").textContent = draft ? JSON.stringify(draft, null, 2) : "No draft yet.";
    document.getElementById("save-draft").disabled = !draft;
  }

  function showApproval(pending) {
    const box = document.getElementById("approval");
    box.hidden = !pending;
    if (pending) document.getElementById("approval-text").textContent = `Backtest ${pending.strategy} on ${pending.pairs.join(", ")} (${pending.timeframe}, ${pending.timerange || "all candles"})?`;
  }

  /* The chat's backtest: the in-sample run and the held-back run after it, each a stored backtest (the API's
     chat queues them like any other), linked to their report pages (charts, trades, zip). */
  function summaryRows(s) {
    return `<dt>Range</dt><dd>${GT.when(s.start)} → ${GT.when(s.end)}</dd>
      <dt>Trades</dt><dd>${s.trades} (${s.wins} W / ${s.losses} L, ${(s.win_rate * 100).toFixed(1)} %)</dd>
      ${s.profit_total_pct !== undefined ? `<dt>Profit</dt><dd class="${GT.sign(s.profit_total_pct)}">${GT.pct(s.profit_total_pct)}</dd>` : ""}
      ${s.max_drawdown_pct !== undefined ? `<dt>Max drawdown</dt><dd>${GT.num(s.max_drawdown_pct)} %</dd>` : ""}`;
  }

  function reportLink(id, linkId, label) {
    return id ? `<p><a id="${linkId}" href="/backtests/${id}">${label} #${id} report →</a></p>` : "";
  }

  function showResult(done) {
    const s = done.summary, held = done.held_back;
    document.getElementById("result-link").innerHTML = `<h3>Backtest result</h3><dl class="kv" id="chat-result">
      <dt>Strategy</dt><dd>${GT.esc(s.strategy)}</dd>${summaryRows(s)}</dl>
      ${reportLink(done.backtest_id, "chat-backtest-link", "In-sample backtest")}
      ${held ? `<h3>Held back${done.split_at ? ` (after ${GT.when(done.split_at)})` : ""}</h3><dl class="kv" id="chat-held-back">${summaryRows(held)}</dl>` : ""}
      ${reportLink(done.held_back_id, "chat-held-back-link", "Held-back backtest")}`;
  }

  /* What the drafter took from the words, and what it could not use (it never guesses silently). */
  function draftNote(d) {
    const parts = [`${d.changed ? "Updated" : "Drafted"} ${d.spec.name} (${d.model_id}).`];
    if (d.understood.length) parts.push("Understood: " + d.understood.join("; ") + ".");
    if (d.not_understood.length) parts.push("Not understood: " + d.not_understood.join("; ") + ".");
    if (d.assumptions.length) parts.push("Assumed: " + d.assumptions.join("; ") + ".");
    parts.push("Say “backtest it on 20180110-20180130” (any timerange) to test it.");
    return parts.join("\n");
  }

  /* One SSE frame: the event type and its JSON data. */
  function handle(type, data, live) {
    if (type === "token") { live.text = (live.text || "") + data.text; (live.el ||= bubble("assistant", "")).textContent = live.text; return; }
    if (type === "message") { if (live.el) live.el.textContent = data.text; else bubble("assistant", data.text); live.el = null; live.text = ""; return; }
    if (type === "draft") { showDraft(data.spec); bubble("assistant", draftNote(data)); return; }
    if (type === "approval_needed") { showApproval(data); return; }
    if (type === "backtest_started") { bubble("event", "Backtest started…"); showApproval(null); return; }
    if (type === "backtest_done") { bubble("event", "Backtest finished."); showResult(data); return; }
    if (type === "error") { bubble("event", "Error: " + (data.message || JSON.stringify(data))); }
  }

  async function stream(path, body) {
    const reply = await fetch(path, { method: "POST", headers: { Authorization: "Bearer " + GT.token(), "Content-Type": "application/json" }, body: JSON.stringify(body) });
    if (!reply.ok) { const p = await reply.json().catch(() => ({})); bubble("event", "Error: " + (p.message || reply.statusText)); return; }
    const reader = reply.body.getReader();
    const decoder = new TextDecoder();
    const live = {};
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const type = (frame.match(/^event: (.*)$/m) || [, "message"])[1];
        const data = frame.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
        if (data) handle(type, JSON.parse(data), live);
      }
    }
    await threads();
  }

  async function threads() {
    const rows = await GT.api("GET", "/api/v1/chat");
    document.getElementById("threads").innerHTML = rows.length
      ? rows.map((t) => `<a href="/chat?thread=${encodeURIComponent(t.thread_id)}" class="${t.thread_id === thread ? "active" : ""}">${GT.esc(t.title)}</a>`).join("")
      : '<p class="empty-inline">No threads yet.</p>';
  }

  async function open() {
    if (!thread) return;
    const t = await GT.api("GET", `/api/v1/chat/${encodeURIComponent(thread)}`);
    document.getElementById("thread-title").textContent = t.title;
    for (const m of t.messages) bubble(m.role === "user" ? "user" : "assistant", m.content ?? m.text ?? "");
    showDraft(t.draft);
    showApproval(t.pending_approval);
    const done = t.events.filter((e) => e.type === "backtest_done").pop();
    if (done) showResult(done);
  }

  document.getElementById("chat-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = document.getElementById("chat-message");
    const text = input.value.trim();
    if (!text) return;
    if (!thread) { thread = "t-" + Date.now().toString(36) + Math.random().toString(36).slice(2, 6); history.replaceState(null, "", `/chat?thread=${thread}`); }
    input.value = "";
    bubble("user", text);
    await stream(`/api/v1/chat/${encodeURIComponent(thread)}`, { message: text });
  });
  document.getElementById("approve").addEventListener("click", () => stream(`/api/v1/chat/${encodeURIComponent(thread)}/approval`, { approved: true }));
  document.getElementById("refuse").addEventListener("click", () => stream(`/api/v1/chat/${encodeURIComponent(thread)}/approval`, { approved: false }));
  document.getElementById("new-thread").addEventListener("click", () => { window.location = "/chat"; });
  document.getElementById("save-draft").addEventListener("click", async () => {
    const status = document.getElementById("draft-status");
    try {
      const saved = await GT.api("POST", `/api/v1/chat/${encodeURIComponent(thread)}/save`);
      status.innerHTML = `Saved: <a id="saved-strategy-link" href="/strategies/${saved.strategy.id}">open ${GT.esc(saved.strategy.name)} v${saved.strategy.current_version} →</a>`;
    } catch (err) { status.className = "form-status neg"; status.textContent = err.message; }
  });
  threads().then(open);
})();
