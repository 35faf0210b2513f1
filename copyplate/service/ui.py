"""The service's browser UI: plain HTML from the store, a little JavaScript that calls the
same JSON API (with the session's CSRF token in a header), and Server-Sent Events for live
progress. Every value shown is escaped."""

from __future__ import annotations

import html
import json
from typing import Any

STYLE = """
body{font:14px system-ui,sans-serif;margin:16px;background:#f4f2ee;color:#1f1a17}
table{border-collapse:collapse;background:#fff}td,th{padding:4px 8px;border-bottom:1px solid #ddd}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:12px}
.card{background:#fff;padding:8px;border-radius:6px}.card img{width:100%}
.error{color:#a02020;white-space:pre-wrap}section{margin:16px 0}
"""

SCRIPT = """
const CSRF = document.querySelector('meta[name=csrf]').content;
async function api(method, url, body) {
  const opts = {method, headers: {'X-CSRF-Token': CSRF}};
  if (body instanceof FormData) opts.body = body;
  else if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json'; opts.body = JSON.stringify(body);
  }
  const res = await fetch(url, opts);
  const data = await res.json().catch(() => ({detail: res.statusText}));
  if (!res.ok) throw data;
  return data;
}
function problemText(e) {
  const lines = [e.detail || 'request failed'];
  for (const p of (e.problems || []))
    lines.push(`${p.file}:${p.line ?? ''}:${p.column ?? ''} ${p.pointer} ${p.message}`);
  return lines.join('\\n');
}
"""

e = html.escape


def layout(title: str, body: str, csrf: str = "", script: str = "") -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="csrf" content="{e(csrf)}"><title>{e(title)}</title>'
        f"<style>{STYLE}</style></head><body>"
        '<nav><a href="/ui/">campaigns and runs</a> · <a href="/docs">API</a> · '
        '<form method="post" action="/ui/logout" style="display:inline">'
        f'<input type="hidden" name="csrf" value="{e(csrf)}">'
        '<button id="logout">log out</button></form></nav>'
        f"<h1>{e(title)}</h1>{body}<script>{SCRIPT}{script}</script></body></html>"
    )


def login_page(error: str = "") -> str:
    err = f'<p class="error">{e(error)}</p>' if error else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>copyplate service: log in</title><style>{STYLE}</style></head><body>"
        f"<h1>copyplate service</h1>{err}"
        '<form method="post" action="/ui/login"><label>API token '
        '<input id="token" name="token" type="password" size="50" autocomplete="off"></label>'
        '<button id="login">Log in</button></form>'
        "<p>Create a token with <code>copyplate service token create --scopes "
        "read,submit,review</code>.</p></body></html>"
    )


def index_page(campaigns: list[dict[str, Any]], runs: list[dict[str, Any]], csrf: str) -> str:
    rows = []
    for c in campaigns:
        cid = e(c["id"])
        rows.append(
            f'<tr class="campaign" data-id="{cid}"><td>{e(c["name"])}</td><td>{cid}</td>'
            f"<td>{e(', '.join(c['locales']))}</td><td>{e(', '.join(c['sizes']))}</td>"
            f'<td><input class="locales" placeholder="locales (all)" size="14">'
            f'<input class="sizes" placeholder="sizes (all)" size="10">'
            f'<button class="start">Start run</button></td></tr>'
        )
    run_rows = []
    for r in runs:
        n = r["counts"]
        run_rows.append(
            f'<tr class="run" data-id="{e(r["id"])}"><td><a href="/ui/runs/{e(r["id"])}">'
            f"{e(r['id'])}</a></td><td>{e(r['campaign'])}</td>"
            f'<td class="status">{e(r["status"])}</td>'
            f"<td>{n['finished']} / {n['total']} ({n['failed']} failed)</td></tr>"
        )
    body = (
        '<section><h2>Submit a campaign</h2><input type="file" id="upload-file" '
        'accept=".json,.zip,.tar,.gz,.tgz"> <button id="upload">Upload</button>'
        '<div id="upload-error" class="error"></div></section>'
        "<section><h2>Campaigns</h2><table><tr><th>name</th><th>id</th><th>locales</th>"
        f"<th>sizes</th><th></th></tr>{''.join(rows)}</table>"
        '<div id="run-error" class="error"></div></section>'
        "<section><h2>Runs</h2><table><tr><th>run</th><th>campaign</th><th>status</th>"
        f"<th>assets</th></tr>{''.join(run_rows)}</table></section>"
    )
    script = """
document.getElementById('upload').addEventListener('click', async () => {
  const f = document.getElementById('upload-file').files[0];
  const out = document.getElementById('upload-error');
  if (!f) { out.textContent = 'choose a file first'; return; }
  const form = new FormData(); form.append('file', f);
  try { await api('POST', '/campaigns', form); location.reload(); }
  catch (err) { out.textContent = problemText(err); }
});
const split = v => v.split(',').map(s => s.trim()).filter(Boolean);
document.querySelectorAll('tr.campaign button.start').forEach(b =>
  b.addEventListener('click', async () => {
    const row = b.closest('tr');
    const loc = split(row.querySelector('.locales').value);
    const siz = split(row.querySelector('.sizes').value);
    try {
      const run = await api('POST', `/campaigns/${row.dataset.id}/runs`,
        {locales: loc.length ? loc : null, sizes: siz.length ? siz : null});
      location.href = `/ui/runs/${run.id}`;
    } catch (err) { document.getElementById('run-error').textContent = problemText(err); }
  }));
"""
    return layout("copyplate service", body, csrf, script)


def run_page(
    run: dict[str, Any],
    assets: list[dict[str, Any]],
    reviews: dict[str, dict[str, Any]],
    csrf: str,
) -> str:
    rid = e(run["id"])
    n = run["counts"]
    cards = []
    for a in assets:
        r = reviews.get(a["name"], {})
        state = r.get("decision", "pending")
        name = e(a["name"])
        img = f'<img src="/runs/{rid}/report/{e(a["image"])}" alt="{name}">' if a["image"] else ""
        cards.append(
            f'<div class="card" data-name="{name}" data-state="{e(state)}" '
            f'data-passed="{str(a["passed"]).lower()}">{img}'
            f"<div><b>{name}</b> {'passed' if a['passed'] else 'FAILED'} "
            f'<span class="state">{e(state)}</span></div>'
            f'<input class="comment" placeholder="comment" value="{e(r.get("comment", ""))}">'
            '<button class="approve">Approve</button><button class="reject">Reject</button></div>'
        )
    finished = run["status"] in ("done", "failed")
    tools = (
        '<p><button id="approve-passed">Approve all passed</button> '
        f'<a id="export" href="/runs/{rid}/export">Export approved (zip)</a> · '
        f'<a id="report" href="/runs/{rid}/report/">Report</a></p>'
        if run["status"] == "done"
        else ""
    )
    error = f'<p class="error">{e(run["error"])}</p>' if run.get("error") else ""
    body = (
        f'<p>status <b id="status">{e(run["status"])}</b> · '
        f'<progress id="bar" max="{n["total"]}" value="{n["finished"]}"></progress> '
        f'<span id="counts">{n["finished"]} / {n["total"]}</span> '
        f'(<span id="failed">{n["failed"]}</span> failed)</p>{error}{tools}'
        f'<ul id="log"></ul><div class="grid">{"".join(cards)}</div>'
    )
    script = (
        f"const RUN = {json.dumps(run['id'])}; const FINISHED = {json.dumps(finished)};"
        """
let done = 0;
if (!FINISHED) {
  const es = new EventSource(`/runs/${RUN}/events`);
  es.addEventListener('asset.finished', ev => {
    const d = JSON.parse(ev.data);
    const bar = document.getElementById('bar'); bar.value = bar.value + 1;
    document.getElementById('counts').textContent = `${bar.value} / ${bar.max}`;
    document.getElementById('status').textContent = 'running';
    const li = document.createElement('li');
    li.textContent = `${d.passed ? 'ok' : 'FAIL'} ${d.name}`;
    document.getElementById('log').appendChild(li);
  });
  es.addEventListener('run.finished', ev => { es.close(); location.reload(); });
}
async function decide(card, decision) {
  const r = await api('POST', `/runs/${RUN}/reviews`, {name: card.dataset.name, decision,
    comment: card.querySelector('.comment').value});
  card.dataset.state = r.decision; card.querySelector('.state').textContent = r.decision;
}
document.querySelectorAll('.card button').forEach(b => b.addEventListener('click', () =>
  decide(b.closest('.card'), b.classList.contains('approve') ? 'approved' : 'rejected')));
const bulk = document.getElementById('approve-passed');
if (bulk) bulk.addEventListener('click', async () => {
  const r = await api('POST', `/runs/${RUN}/approve-passed`, {});
  for (const name of r.approved) {
    const card = document.querySelector(`.card[data-name="${CSS.escape(name)}"]`);
    if (card) { card.dataset.state = 'approved';
      card.querySelector('.state').textContent = 'approved'; }
  }
});
"""
    )
    return layout(f"run {run['id']}", body, csrf, script)
