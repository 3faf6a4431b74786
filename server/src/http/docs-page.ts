import { pagePolicy } from './security-headers.js';

/**
 * The `/api/docs` page: a self-contained HTML reader of `/api/v1/openapi.json` (no CDN, no build):
 * every operation with its method, path, summary, parameters and request schema.
 */
export const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ringflag API</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 980px; padding: 24px; color: #1b1f24; }
  h1 { margin-bottom: 0; } .lead { color: #57606a; }
  details { border: 1px solid #d0d7de; border-radius: 6px; margin: 8px 0; }
  summary { cursor: pointer; padding: 8px 12px; display: flex; gap: 12px; align-items: baseline; }
  .m { font: 600 12px ui-monospace, monospace; text-transform: uppercase; width: 56px; }
  .get { color: #0969da; } .post { color: #1a7f37; } .put, .patch { color: #9a6700; } .delete { color: #cf222e; }
  code, pre { font: 13px ui-monospace, monospace; } pre { background: #f6f8fa; padding: 12px; overflow: auto; margin: 0 12px 12px; }
  h2 { margin-top: 32px; text-transform: capitalize; } .s { color: #57606a; }
</style>
</head>
<body>
<h1>Ringflag API</h1>
<p class="lead">Generated from <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.
Admin routes take <code>Authorization: Bearer &lt;jwt | rf_api_…&gt;</code> or the session cookie;
SDK routes take <code>Authorization: &lt;sdk key&gt;</code>. Errors are <code>application/problem+json</code>.</p>
<main id="ops">Loading…</main>
<script>
fetch('/api/v1/openapi.json').then(function (r) { return r.json(); }).then(function (doc) {
  var main = document.getElementById('ops'); main.textContent = '';
  var groups = {};
  Object.keys(doc.paths).forEach(function (path) {
    Object.keys(doc.paths[path]).forEach(function (method) {
      var op = doc.paths[path][method]; var tag = (op.tags && op.tags[0]) || 'other';
      (groups[tag] = groups[tag] || []).push({ path: path, method: method, op: op });
    });
  });
  Object.keys(groups).forEach(function (tag) {
    var h = document.createElement('h2'); h.textContent = tag; main.appendChild(h);
    groups[tag].forEach(function (e) {
      var d = document.createElement('details'); var s = document.createElement('summary');
      var m = document.createElement('span'); m.className = 'm ' + e.method; m.textContent = e.method;
      var p = document.createElement('code'); p.textContent = e.path;
      var t = document.createElement('span'); t.className = 's'; t.textContent = e.op.summary || '';
      s.appendChild(m); s.appendChild(p); s.appendChild(t); d.appendChild(s);
      var info = { parameters: e.op.parameters, requestBody: e.op.requestBody, responses: e.op.responses };
      var pre = document.createElement('pre'); pre.textContent = JSON.stringify(info, null, 2); d.appendChild(pre);
      main.appendChild(d);
    });
  });
  if (doc.components && doc.components.schemas) {
    var h = document.createElement('h2'); h.textContent = 'schemas'; main.appendChild(h);
    var pre = document.createElement('pre'); pre.textContent = JSON.stringify(doc.components.schemas, null, 2); main.appendChild(pre);
  }
}).catch(function (err) { document.getElementById('ops').textContent = 'Could not load the API document: ' + err; });
</script>
</body>
</html>
`;

/** The page's Content-Security-Policy: its own inline script by hash, the document from this origin. */
export const DOCS_POLICY = pagePolicy(DOCS_PAGE);
