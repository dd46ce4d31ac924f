namespace DualStack.Proxy;

/// <summary>The split dashboard (self-contained HTML, no external resources): split, per-stack live metrics, gates, history, controls.</summary>
internal static class Dashboard
{
    private const string Style = """
        <style>
        body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
        header{background:#1d2330;color:#fff;padding:12px 20px;display:flex;gap:16px;align-items:baseline}
        header h1{font-size:18px;margin:0} main{padding:16px 20px;max-width:1100px}
        .card{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:14px 16px;margin:0 0 14px}
        .big{font-size:40px;font-weight:700} .muted{color:#667085}
        .banner{padding:10px 14px;border-radius:6px;margin-bottom:14px;font-weight:600}
        .banner.ok{background:#e7f6ec;color:#17663a}.banner.rolled{background:#fde8e8;color:#9b1c1c}.banner.promoted{background:#e8eefc;color:#1e40af}
        table{border-collapse:collapse;width:100%} th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eef0f3}
        .pass{color:#17663a;font-weight:600}.fail{color:#b42318;font-weight:600}.inconclusive{color:#a15c07;font-weight:600}
        input,button{font:inherit;padding:6px 10px;border-radius:6px;border:1px solid #c4c9d2} button{background:#fff;cursor:pointer}
        button.primary{background:#1d4ed8;color:#fff;border-color:#1d4ed8} button.danger{background:#b42318;color:#fff;border-color:#b42318}
        .row{display:flex;gap:10px;flex-wrap:wrap;align-items:center} .bar{height:10px;background:#e5e7eb;border-radius:5px;overflow:hidden;flex:1;min-width:200px}
        .bar>div{height:100%;background:#1d4ed8} .error{color:#b42318}
        </style>
        """;

    public static readonly string LoginPage = $$"""
        <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>DualStack split — sign in</title>{{Style}}</head>
        <body><header><h1>DualStack split controller</h1></header><main><div class="card">
        <p>The dashboard needs the admin token (the one the proxy was started with: <code>--token-env</code> / <code>--token-file</code>).</p>
        <!--error-->
        <form method="post" action="/admin/login" class="row"><input id="token" name="token" type="password" autocomplete="current-password" placeholder="admin token" required>
        <button id="login" class="primary" type="submit">Sign in</button></form></div></main></body></html>
        """;

    public static readonly string Page = $$"""
        <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>DualStack split</title>{{Style}}</head>
        <body><header><h1>DualStack split controller</h1><span class="muted" id="updated">connecting…</span><form method="post" action="/admin/logout" style="margin-left:auto"><button id="logout" type="submit">Sign out</button></form></header>
        <main>
        <div id="state-banner" class="banner ok">loading…</div>
        <div class="card"><div class="row"><div><div class="muted">share of conversations on the new stack</div><div class="big" id="split-percent">–</div></div>
        <div class="bar"><div id="split-bar" style="width:0%"></div></div></div>
        <div class="row" style="margin-top:10px">
          <input id="percent-input" type="number" min="0" max="100" step="0.01" placeholder="percent"> <button id="set-percent" class="primary">Set split</button>
          <button id="advance">Advance ramp</button> <button id="promote">Promote to 100 %</button>
          <input id="rollback-reason" placeholder="rollback reason" size="28"> <button id="rollback" class="danger">Roll back now</button>
        </div><div id="action-error" class="error"></div></div>
        <div class="card"><h3>Live metrics (sliding window)</h3><table id="stats"><thead><tr><th>stack</th><th>requests</th><th>errors</th><th>error rate</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th></tr></thead><tbody></tbody></table>
        <p class="muted" id="traffic"></p></div>
        <div class="card"><h3>Gates</h3><table id="gates"><thead><tr><th>gate</th><th>state</th><th>evidence</th></tr></thead><tbody></tbody></table><p class="muted" id="ramp"></p></div>
        <div class="card"><h3>History</h3><table id="history"><thead><tr><th>when</th><th>who</th><th>action</th><th>from → to</th><th>reason</th></tr></thead><tbody></tbody></table></div>
        </main>
        <script>
        const $ = id => document.getElementById(id);
        const esc = s => String(s ?? '').replace(/[&<>"']/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
        const num = (v, d = 1) => (v ?? 0).toFixed(d);
        async function call(path, body) {
          const response = await fetch(path, body === undefined ? { credentials: 'same-origin' } :
            { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
          if (response.status === 401) { location.href = '/admin/ui'; return null; }
          const json = await response.json();
          if (!response.ok) { throw new Error(json.detail || response.statusText); }
          return json;
        }
        function render(s) {
          const split = s.split;
          $('split-percent').textContent = num(split.percent, 2).replace(/\.00$/, '') + ' %';
          $('split-bar').style.width = split.percent + '%';
          const banner = $('state-banner');
          if (split.rolledBack) { banner.className = 'banner rolled'; banner.textContent = 'ROLLED BACK — all traffic on the old stack: ' + (split.rollbackReason || ''); }
          else if (split.percent >= 100) { banner.className = 'banner promoted'; banner.textContent = 'Promoted: all conversations on the new stack'; }
          else { banner.className = 'banner ok'; banner.textContent = 'Splitting: ' + num(split.percent, 2) + ' % of conversations on the new stack'; }
          $('stats').tBodies[0].innerHTML = [['old', s.old], ['new', s.new]].map(([n, w]) =>
            `<tr data-stack="${n}"><td>${n}</td><td>${w.requests}</td><td>${w.errors}</td><td>${num(w.errorRate * 100, 2)} %</td><td>${num(w.p50Ms)}</td><td>${num(w.p95Ms)}</td><td>${num(w.p99Ms)}</td></tr>`).join('');
          $('traffic').textContent = `since the last change: ${s.requestsToOld} requests to old, ${s.requestsToNew} to new; webhooks ${s.webhooksToOld} to old, ${s.webhooksToNew} to new · pinned conversations ${split.pinCount}`;
          $('gates').tBodies[0].innerHTML = (s.gates || []).map(g =>
            `<tr data-gate="${esc(g.name)}"><td>${esc(g.name)}</td><td class="${esc(String(g.status).toLowerCase())}">${esc(g.status)}</td><td>${esc(g.evidence)}</td></tr>`).join('') || '<tr><td colspan="3" class="muted">no evaluation yet</td></tr>';
          $('ramp').textContent = s.ramp ? `ramp step ${s.ramp.step + 1} of ${(s.ramp.steps || []).length}` + (s.ramp.lastAction ? ' · ' + s.ramp.lastAction : '') : 'no ramp plan: gates still roll back automatically';
          $('history').tBodies[0].innerHTML = (s.history || []).map(h =>
            `<tr><td>${esc(new Date(h.at).toLocaleTimeString())}</td><td>${esc(h.who)}</td><td>${esc(h.action)}</td><td>${num(h.fromPercent, 2)} → ${num(h.toPercent, 2)}</td><td>${esc(h.reason)}</td></tr>`).join('');
          $('updated').textContent = 'updated ' + new Date().toLocaleTimeString() + ' · version ' + split.version;
        }
        async function refresh() { try { const s = await call('/admin/api/state'); if (s) render(s); } catch (e) { $('updated').textContent = 'offline: ' + e.message; } }
        async function act(path, body) { $('action-error').textContent = ''; try { const s = await call(path, body); if (s) render(s); } catch (e) { $('action-error').textContent = e.message; } }
        $('set-percent').onclick = () => act('/admin/api/percent', { percent: Number($('percent-input').value), reason: 'set from dashboard' });
        $('advance').onclick = () => act('/admin/api/advance', { reason: 'advanced from dashboard' });
        $('promote').onclick = () => act('/admin/api/promote', { reason: 'promoted from dashboard' });
        $('rollback').onclick = () => act('/admin/api/rollback', { reason: $('rollback-reason').value || 'rollback from dashboard' });
        refresh(); setInterval(refresh, 1000);
        </script></body></html>
        """;
}
