/**
 * The standalone chat page (`/chat/?site=demo`): a bare document hosting the widget in
 * full-page mode. No inline script (the page's CSP allows only the server's own scripts);
 * the widget reads its settings from its script tag's data attributes.
 */
import { escapeHtml } from '../../html.js';

/** Query parameters the page hands to the widget (a verified identity for links from a signed-in site, and a language override). */
const PASSED_PARAMS: ReadonlyArray<[query: string, attribute: string]> = [
  ['userId', 'data-user-id'],
  ['name', 'data-user-name'],
  ['email', 'data-user-email'],
  ['exp', 'data-expires'],
  ['signature', 'data-signature'],
  ['lang', 'data-lang'],
];

export function renderChatPage(site: string, query: URLSearchParams): string {
  const attributes = [`data-site="${escapeHtml(site)}"`, 'data-mode="page"'];
  for (const [name, attribute] of PASSED_PARAMS) {
    const value = query.get(name);
    if (value !== null && value.length > 0 && value.length <= 400) attributes.push(`${attribute}="${escapeHtml(value)}"`);
  }
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>在线客服 · Chat</title>
<style>html,body{margin:0;height:100%;background:#eef1f5;font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",sans-serif}</style>
</head>
<body>
<script src="/chat/widget.js" ${attributes.join(' ')}></script>
</body>
</html>
`;
}

export function renderUnknownSitePage(site: string): string {
  return `<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>未开通在线客服 · Chat unavailable</title></head>
<body style="font-family:system-ui,sans-serif;padding:2rem">
<h1>此网站未开通在线客服</h1>
<p>Web chat is not set up for site “${escapeHtml(site.slice(0, 64))}”. Open the page as <code>/chat/?site=&lt;site&gt;</code> with a configured site.</p>
</body>
</html>
`;
}
