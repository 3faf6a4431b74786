/** What the demo page is rendered with. */
export interface DemoPageOptions {
  /** The demo's client key (public by design: it reads client-side flag values only). */
  clientKey: string;
}

/** JSON for a `<script type="application/json">`: `<` escaped so no value can close the element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

/**
 * The live demo: a small storefront whose dark-launched banner follows the `demo-banner` flag in
 * development through `@ringflag/sdk-browser`, with who is viewing, why they get the value, and how
 * to flip it. Everything is inline except the SDK (`/demo/ringflag.js`), so the page is one request.
 */
export function demoPage({ clientKey }: DemoPageOptions): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ringflag · live demo</title>
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Ccircle cx='16' cy='16' r='11' fill='none' stroke='%238b5cf6' stroke-width='5'/%3E%3C/svg%3E">
<style>
  :root {
    --bg: #0b1020; --panel: #121a31; --panel-2: #17213d; --line: #243056; --text: #e7ebf7;
    --muted: #93a0c4; --accent: #8b5cf6; --accent-2: #22d3ee; --on: #34d399; --off: #f87171; --warn: #fbbf24;
    color-scheme: dark;
  }
  * { box-sizing: border-box; }
  body {
    margin: 0; min-height: 100vh; background: radial-gradient(1200px 600px at 10% -10%, #1d1550 0%, transparent 60%),
      radial-gradient(900px 500px at 110% 10%, #06283a 0%, transparent 55%), var(--bg);
    color: var(--text); font: 15px/1.55 ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  }
  code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
  .banner {
    display: flex; align-items: center; justify-content: center; gap: 14px; padding: 14px 20px;
    background: linear-gradient(90deg, var(--accent), #6366f1 45%, var(--accent-2)); color: #fff; font-weight: 600;
    box-shadow: 0 8px 30px rgba(139, 92, 246, .35); animation: drop .45s cubic-bezier(.2, .9, .3, 1.2);
  }
  .banner[hidden] { display: none; }
  .banner .new { background: #fff; color: #6d28d9; border-radius: 6px; padding: 1px 8px; font-size: 12px; text-transform: uppercase; letter-spacing: .08em; }
  .banner .tag { background: rgba(255,255,255,.2); border-radius: 999px; padding: 2px 10px; font-size: 12px; letter-spacing: .02em; }
  @keyframes drop { from { transform: translateY(-100%); opacity: 0; } to { transform: none; opacity: 1; } }
  main { max-width: 1040px; margin: 0 auto; padding: 40px 24px 64px; }
  header { display: flex; align-items: center; justify-content: space-between; gap: 16px; flex-wrap: wrap; }
  .brand { display: flex; align-items: center; gap: 12px; font-size: 20px; font-weight: 700; letter-spacing: -.01em; }
  .brand svg { width: 30px; height: 30px; }
  .status { display: inline-flex; align-items: center; gap: 8px; padding: 6px 12px; border: 1px solid var(--line);
    border-radius: 999px; background: var(--panel); color: var(--muted); font-size: 13px; }
  .dot { width: 9px; height: 9px; border-radius: 50%; background: var(--warn); box-shadow: 0 0 0 4px rgba(251,191,36,.15); }
  .status[data-state="live"] .dot { background: var(--on); box-shadow: 0 0 0 4px rgba(52,211,153,.15); }
  .status[data-state="offline"] .dot { background: var(--off); box-shadow: 0 0 0 4px rgba(248,113,113,.15); }
  h1 { font-size: clamp(28px, 4vw, 40px); line-height: 1.15; letter-spacing: -.02em; margin: 36px 0 10px; }
  h1 em { font-style: normal; background: linear-gradient(90deg, var(--accent), var(--accent-2)); -webkit-background-clip: text; background-clip: text; color: transparent; }
  .lead { color: var(--muted); max-width: 720px; margin: 0 0 32px; font-size: 16px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 18px; }
  .card { background: linear-gradient(180deg, var(--panel-2), var(--panel)); border: 1px solid var(--line); border-radius: 16px; padding: 20px 22px; }
  .card h2 { margin: 0 0 14px; font-size: 13px; text-transform: uppercase; letter-spacing: .08em; color: var(--muted); font-weight: 600; }
  .flag { display: flex; align-items: center; gap: 16px; }
  .pill { font-weight: 800; font-size: 28px; letter-spacing: .04em; padding: 6px 18px; border-radius: 12px; border: 1px solid currentColor; }
  .pill[data-state="on"] { color: var(--on); background: rgba(52,211,153,.08); }
  .pill[data-state="off"] { color: var(--off); background: rgba(248,113,113,.08); }
  .pill[data-state="unknown"] { color: var(--muted); }
  dl { display: grid; grid-template-columns: auto 1fr; gap: 6px 14px; margin: 16px 0 0; }
  dt { color: var(--muted); } dd { margin: 0; }
  .users { display: flex; flex-wrap: wrap; gap: 8px; }
  .users button { font: inherit; color: var(--text); background: var(--panel); border: 1px solid var(--line); border-radius: 10px;
    padding: 8px 12px; cursor: pointer; text-align: left; }
  .users button small { display: block; color: var(--muted); font-size: 12px; }
  .users button[aria-pressed="true"] { border-color: var(--accent); box-shadow: 0 0 0 3px rgba(139,92,246,.25); }
  pre { background: #0a0f1f; border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; overflow-x: auto; margin: 10px 0 0; color: #c7d2fe; }
  .muted { color: var(--muted); }
  ol.log { list-style: none; margin: 0; padding: 0; display: grid; gap: 8px; max-height: 220px; overflow: auto; }
  ol.log li { display: flex; gap: 10px; align-items: baseline; }
  ol.log time { color: var(--muted); font-variant-numeric: tabular-nums; font-size: 13px; white-space: nowrap; }
  .wide { grid-column: 1 / -1; }
  .wide pre { white-space: pre; }
  a { color: var(--accent-2); }
  footer { margin-top: 36px; color: var(--muted); font-size: 13px; }
</style>
</head>
<body>
<div class="banner" id="banner" data-testid="banner" data-state="unknown" hidden>
  <span class="new">New</span>
  <span>The new checkout is here: faster, with one-click pay.</span>
  <span class="tag">dark-launched · demo-banner</span>
</div>
<main>
  <header>
    <div class="brand">
      <svg viewBox="0 0 32 32" aria-hidden="true"><defs><linearGradient id="g" x1="0" x2="1"><stop offset="0" stop-color="#8b5cf6"/><stop offset="1" stop-color="#22d3ee"/></linearGradient></defs><circle cx="16" cy="16" r="11" fill="none" stroke="url(#g)" stroke-width="5"/><circle cx="16" cy="16" r="3.5" fill="#e7ebf7"/></svg>
      Ringflag <span class="muted" style="font-weight:500">live demo</span>
    </div>
    <span class="status" id="status" data-state="connecting"><span class="dot"></span><span id="status-text">Connecting…</span></span>
  </header>

  <h1>Ship dark. <em>Flip it live.</em></h1>
  <p class="lead">The banner above is dark-launched behind the <code>demo-banner</code> flag in <b>development</b>.
    This page reads it with <code>@ringflag/sdk-browser</code>: the server evaluates the flag for the viewer
    and streams only the value. Switch the flag off or roll it out to a percentage, and the page follows, without a reload.</p>

  <div class="grid">
    <section class="card" aria-labelledby="flag-title">
      <h2 id="flag-title">demo-banner for this viewer</h2>
      <div class="flag"><span class="pill" id="flag-state" data-state="unknown">…</span>
        <span class="muted" id="flag-summary">waiting for the first value</span></div>
      <dl>
        <dt>Variant</dt><dd><code id="flag-variant">–</code></dd>
        <dt>Why</dt><dd id="flag-reason">–</dd>
      </dl>
    </section>

    <section class="card" aria-labelledby="who-title">
      <h2 id="who-title">Viewing as</h2>
      <div class="users" id="users"></div>
      <p class="muted" style="margin:14px 0 0">Each viewer is a context. A percentage rollout puts some in and some out,
        consistently; switching shows that viewer's last known values at once, then fresh ones.</p>
    </section>

    <section class="card" aria-labelledby="log-title">
      <h2 id="log-title">What the SDK heard</h2>
      <ol class="log" id="log"></ol>
    </section>

    <section class="card wide" aria-labelledby="try-title">
      <h2 id="try-title">Flip it</h2>
      <div class="muted">Toggle <code>demo-banner</code> in development in the <a href="/">admin UI</a>, or with an admin token
        (see the README) from a terminal, and watch the banner above:</div>
      <pre id="snippet"></pre>
      <div class="muted" style="margin-top:10px">Then try a percentage rollout of the default rule (say 50% on, 50% off) and switch
        between viewers: each keeps their side of the line.</div>
    </section>
  </div>
  <footer>Values are cached per viewer in this browser: reload with the server stopped and the last known banner still shows.
    API docs: <a href="/api/docs">/api/docs</a></footer>
</main>
<script type="application/json" id="ringflag-config">${scriptJson({ clientKey })}</script>
<script type="module">
  import { createClient } from '/demo/ringflag.js';

  const FLAG = 'demo-banner';
  const VIEWERS = [
    { key: 'user-1', note: 'beta tester' },
    { key: 'user-2', note: 'beta tester' },
    { key: 'user-42', note: 'customer' },
    { key: 'zoë@example.com', note: 'customer' },
  ];
  const { clientKey } = JSON.parse(document.getElementById('ringflag-config').textContent);
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  let viewer = params.get('user') || 'user-42';

  const client = createClient({ clientKey, baseUrl: location.origin, context: { key: viewer } });

  const reasonText = (reason) => {
    switch (reason.kind) {
      case 'OFF': return 'The flag is off in development: everyone gets the off variation.';
      case 'TARGET_MATCH': return 'This viewer is targeted individually.';
      case 'RULE_MATCH': return 'Rule ' + (reason.ruleIndex + 1) + ' ("' + reason.ruleId + '") matched' + (reason.inRollout ? ', and the viewer is inside its rollout.' : '.');
      case 'PREREQUISITE_FAILED': return reason.prerequisiteKey ? 'Prerequisite "' + reason.prerequisiteKey + '" is not met.' : 'A prerequisite is not met.';
      case 'FALLTHROUGH': return reason.inRollout === undefined ? 'No rule matched: the default rule serves it.'
        : reason.inRollout ? 'The default rule\\'s percentage rollout includes this viewer.' : 'This viewer is outside the rollout.';
      default: return 'Not available yet (' + (reason.errorKind || 'error') + ').';
    }
  };

  function render() {
    const detail = client.variationDetail(FLAG, false);
    const known = detail.variant !== null;
    const state = known ? (detail.value ? 'on' : 'off') : 'unknown';
    $('banner').hidden = !detail.value;
    $('banner').dataset.state = state;
    $('flag-state').dataset.state = state;
    $('flag-state').textContent = known ? state.toUpperCase() : '…';
    $('flag-summary').textContent = known ? (detail.value ? 'the banner is shown' : 'the banner is hidden') : 'waiting for the first value';
    $('flag-variant').textContent = detail.variant ?? '–';
    $('flag-reason').textContent = reasonText(detail.reason);
    for (const button of $('users').children) button.setAttribute('aria-pressed', String(button.dataset.key === viewer));
  }

  function log(text) {
    const item = document.createElement('li');
    const time = document.createElement('time');
    time.textContent = new Date().toLocaleTimeString([], { hour12: false });
    item.append(time, document.createTextNode(text));
    $('log').prepend(item);
    while ($('log').children.length > 30) $('log').lastChild.remove();
  }

  function status(state, text) {
    $('status').dataset.state = state;
    $('status-text').textContent = text;
  }

  for (const { key, note } of VIEWERS) {
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset.key = key;
    button.innerHTML = '<span></span><small></small>';
    button.firstChild.textContent = key;
    button.lastChild.textContent = note;
    button.addEventListener('click', () => {
      viewer = key;
      history.replaceState(null, '', '?user=' + encodeURIComponent(key));
      log('now viewing as ' + key);
      render();
      client.identify({ key }).then(() => status('live', 'Live'), () => {});
    });
    $('users').append(button);
  }

  $('snippet').textContent =
    'curl -X POST ' + location.origin + '/api/v1/flags/' + FLAG + '/environments/development/toggle \\\\\\n' +
    '  -H "authorization: Bearer $TOKEN" -H "content-type: application/json" \\\\\\n' +
    "  -d '{\\"enabled\\": false}'";

  client.on('change', ({ keys }) => {
    status('live', 'Live');
    if (keys.includes(FLAG)) {
      const detail = client.variationDetail(FLAG, false);
      log(FLAG + ' → ' + (detail.variant === null ? 'unknown' : detail.value ? 'on' : 'off') + ' for ' + viewer);
    }
    render();
  });
  client.on('error', () => status('offline', 'Offline: showing the last known values'));
  render();
  if (client.variationDetail(FLAG, false).variant !== null) log('rendered the cached value for ' + viewer);
  client.ready().then(() => {
    // ready() also settles when the server cannot be reached; the error handler has said so then.
    if ($('status').dataset.state !== 'offline') { status('live', 'Live'); log('connected: streaming changes'); }
    render();
  }, (error) => {
    status('offline', 'The demo key was refused');
    log(String(error));
  });
  window.ringflag = client;
</script>
</body>
</html>
`;
}
