/** A plain page served until the dashboard is built: what the launcher is and where its API is. */
const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function placeholderPage(path: string, version: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>PicoClaw</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5">
<h1>PicoClaw launcher ${escape(version)}</h1>
<p>The dashboard is not built in this installation. The launcher and its API are running: see
<code>/api/auth/status</code>, <code>/api/gateway/status</code> and <code>/api/config</code>.</p>
<p>Requested: <code>${escape(path)}</code></p>
</body></html>`;
}
