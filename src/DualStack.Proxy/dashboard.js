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
// The sparklines are drawn by the server (they show without script too); this only swaps in the latest ones.
async function charts() {
  const response = await fetch('/admin/ui/charts', { credentials: 'same-origin' });
  if (response.ok) { $('trends').innerHTML = await response.text(); }
}
async function refresh() { try { const s = await call('/admin/api/state'); if (s) { render(s); await charts(); } } catch (e) { $('updated').textContent = 'offline: ' + e.message; } }
async function act(path, body) { $('action-error').textContent = ''; try { const s = await call(path, body); if (s) { render(s); await charts(); } } catch (e) { $('action-error').textContent = e.message; } }
$('set-percent').onclick = () => act('/admin/api/percent', { percent: Number($('percent-input').value), reason: 'set from dashboard' });
$('advance').onclick = () => act('/admin/api/advance', { reason: 'advanced from dashboard' });
$('promote').onclick = () => act('/admin/api/promote', { reason: 'promoted from dashboard' });
$('rollback').onclick = () => act('/admin/api/rollback', { reason: $('rollback-reason').value || 'rollback from dashboard' });
refresh(); setInterval(refresh, 1000);
