/* Settings page: credentials and personal tokens through /api/v1 (list, add, delete). */
"use strict";
(function () {
  async function load() {
    const [creds, tokens] = await Promise.all([GT.api("GET", "/api/v1/credentials"), GT.api("GET", "/api/v1/users/me/tokens")]);
    document.querySelector("#credential-table tbody").innerHTML = creds.length
      ? creds.map((c) => `<tr><td>${GT.esc(c.label)}</td><td>${GT.esc(c.exchange)}</td><td><code>${GT.esc(c.key_hint)}</code></td><td>${GT.when(c.created_at)}</td><td><button class="link" data-delete="/api/v1/credentials/${c.id}">Delete</button></td></tr>`).join("")
      : '<tr><td colspan="5" class="muted">None yet: add the keys a live bot should trade with.</td></tr>';
    document.querySelector("#token-table tbody").innerHTML = tokens.length
      ? tokens.map((t) => `<tr><td>${GT.esc(t.name)}</td><td><code>${GT.esc(t.prefix)}…</code></td><td>${GT.when(t.created_at)}</td><td>${GT.when(t.last_used_at)}</td><td><button class="link" data-delete="/api/v1/users/me/tokens/${t.id}">Revoke</button></td></tr>`).join("")
      : '<tr><td colspan="5" class="muted">None yet.</td></tr>';
    document.body.dataset.settingsLoaded = "1";
  }
  GT.after.settings = load;
  GT.after.token = async (data) => {
    document.getElementById("new-token").innerHTML = `<div class="alert info">Copy it now, it is not shown again: <code id="token-value">${GT.esc(data.token)}</code></div>`;
    await load();
  };
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-delete]");
    if (!button || !window.confirm("Delete it?")) return;
    await GT.api("DELETE", button.dataset.delete);
    await load();
  });
  load();
})();
