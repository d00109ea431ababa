/**
 * The rating page the server serves at `/csat/<token>` (满意度回访): a plain HTML form, no
 * script, in Chinese or English (`?lang=en`, else the browser's Accept-Language, else
 * Chinese), and the pages that answer it: thanks, already answered, expired, unknown link,
 * too many tries, invalid form. Everything the page shows from outside is escaped.
 */
import { CSAT_COMMENT_MAX, CSAT_DIMENSIONS, type CsatDimension, type CsatRefusal } from '../../shared/csat.js';
import { escapeHtml } from '../html.js';

export type CsatPageLanguage = 'zh-CN' | 'en';

const TEXT = {
  'zh-CN': {
    title: '满意度评价',
    intro: (ticket: string) => `您的工单 ${ticket} 已处理完成。请为本次服务打分（1 分最低，5 分最高）。`,
    dimensions: { attitude: '服务态度', speed: '响应速度', resolution: '问题解决', professionalism: '专业程度' } as Record<CsatDimension, string>,
    comment: `其他意见（选填，最多 ${String(CSAT_COMMENT_MAX)} 字）`,
    submit: '提交评价',
    other: 'English',
    thanks: '感谢您的评价！',
    thanksBody: (id: string) => `您的反馈编号为 ${id}。我们会认真对待每一条意见。`,
    refusals: {
      unknown: ['链接无效', '这个评价链接不存在或已失效，请检查链接是否完整。'],
      expired: ['链接已过期', '评价链接在工单完成 7 天后失效，本次无法再评价。'],
      answered: ['已评价', '这张工单已经评价过了，每张工单只能评价一次。感谢您的反馈！'],
      rate_limited: ['请稍后再试', '尝试次数过多，请过几分钟再打开链接。'],
    } as Record<CsatRefusal, [string, string]>,
    invalid: '请为每一项选择 1 到 5 分；意见不超过 500 字。',
    stars: (n: number) => `${String(n)} 分`,
  },
  en: {
    title: 'Rate our service',
    intro: (ticket: string) => `Your request ${ticket} is resolved. Please rate our service (1 lowest, 5 highest).`,
    dimensions: { attitude: 'Attitude', speed: 'Speed', resolution: 'Resolution', professionalism: 'Professionalism' } as Record<CsatDimension, string>,
    comment: `Anything else? (optional, up to ${String(CSAT_COMMENT_MAX)} characters)`,
    submit: 'Send rating',
    other: '中文',
    thanks: 'Thank you for your rating!',
    thanksBody: (id: string) => `Your feedback number is ${id}. We read every comment.`,
    refusals: {
      unknown: ['Link not valid', 'This rating link does not exist or no longer works; check that the link is complete.'],
      expired: ['Link expired', 'Rating links expire 7 days after the request was resolved; this one can no longer be used.'],
      answered: ['Already rated', 'This request has already been rated; each request can be rated once. Thank you!'],
      rate_limited: ['Please try again later', 'Too many tries from your network; open the link again in a few minutes.'],
    } as Record<CsatRefusal, [string, string]>,
    invalid: 'Please choose 1 to 5 for every question; comments are at most 500 characters.',
    stars: (n: number) => `${String(n)}`,
  },
} as const;

/** `?lang=en|zh-CN` wins, then the first language the browser prefers, then Chinese. */
export function pageLanguage(query: string | null, acceptLanguage: string | undefined): CsatPageLanguage {
  if (query === 'en') return 'en';
  if (query === 'zh-CN' || query === 'zh') return 'zh-CN';
  const first = (acceptLanguage ?? '').split(',')[0]?.trim().toLowerCase() ?? '';
  return first.startsWith('en') ? 'en' : 'zh-CN';
}

const STYLE = `
body{margin:0;background:#eef1f5;font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",sans-serif;color:#1f2933}
main{max-width:560px;margin:40px auto;background:#fff;border-radius:10px;padding:28px 32px;box-shadow:0 2px 10px rgba(0,0,0,.08)}
h1{font-size:22px;margin:0 0 8px}
p{line-height:1.6}
fieldset{border:0;margin:0 0 14px;padding:0}
legend{font-weight:600;margin-bottom:6px}
.scale{display:flex;gap:8px}
.scale label{flex:1;text-align:center;border:1px solid #c5ccd6;border-radius:6px;padding:8px 0;cursor:pointer}
.scale input{margin-right:4px}
textarea{width:100%;box-sizing:border-box;min-height:90px;font:inherit;padding:8px;border:1px solid #c5ccd6;border-radius:6px}
button{margin-top:14px;background:#2563eb;color:#fff;border:0;border-radius:6px;padding:10px 22px;font-size:16px;cursor:pointer}
.lang{float:right;font-size:14px}
.error{color:#b42318}
`;

function page(language: CsatPageLanguage, title: string, body: string, otherHref: string | null): string {
  const text = TEXT[language];
  return `<!doctype html>
<html lang="${language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${otherHref ? `<a class="lang" href="${escapeHtml(otherHref)}">${text.other}</a>` : ''}
${body}
</main>
</body>
</html>
`;
}

/** The form. `action` is the page's own path (the token stays in the path, never in a log line of ours). */
export function renderRatingForm(language: CsatPageLanguage, ticketId: string, action: string, error: boolean): string {
  const text = TEXT[language];
  const other = language === 'en' ? 'zh-CN' : 'en';
  const fields = CSAT_DIMENSIONS.map(
    (dimension) =>
      `<fieldset data-dimension="${dimension}"><legend>${text.dimensions[dimension]}</legend><div class="scale">${[1, 2, 3, 4, 5]
        .map((n) => `<label><input type="radio" name="${dimension}" value="${String(n)}" required>${text.stars(n)}</label>`)
        .join('')}</div></fieldset>`,
  ).join('\n');
  return page(
    language,
    text.title,
    `<h1>${text.title}</h1>
<p>${escapeHtml(text.intro(ticketId))}</p>
${error ? `<p class="error" role="alert">${text.invalid}</p>` : ''}
<form method="post" action="${escapeHtml(`${action}?lang=${language}`)}">
${fields}
<label for="comment">${text.comment}</label>
<textarea id="comment" name="comment" maxlength="${String(CSAT_COMMENT_MAX)}"></textarea>
<button type="submit">${text.submit}</button>
</form>`,
    `${action}?lang=${other}`,
  );
}

export function renderThanks(language: CsatPageLanguage, feedbackId: string): string {
  const text = TEXT[language];
  return page(language, text.thanks, `<h1 data-outcome="thanks">${text.thanks}</h1><p>${escapeHtml(text.thanksBody(feedbackId))}</p>`, null);
}

export function renderRefusal(language: CsatPageLanguage, refusal: CsatRefusal): string {
  const [title, body] = TEXT[language].refusals[refusal];
  return page(language, title, `<h1 data-outcome="${refusal}">${title}</h1><p>${body}</p>`, null);
}
