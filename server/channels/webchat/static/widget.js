/*
 * OmniDesk web chat widget. Plain ES2019, no build step, no framework: the server serves
 * this file as it is at /chat/widget.js.
 *
 * Embed on a site:
 *   <script src="https://<server>/chat/widget.js" data-site="demo" async></script>
 * Signed-in visitors (the site's backend signs the user id, email, expiry and name together,
 * freshly for each page it serves; exp = Unix seconds, at most 10 minutes ahead:
 *   signature = hex HMAC-SHA256(secret, userId + "\n" + (email || "") + "\n" + exp + "\n" + (name || ""))):
 *   data-user-id="u123" data-user-name="张伟" data-user-email="zhang.wei@example.cn" data-expires="<exp>" data-signature="…"
 *   (or window.OmniDeskChat = { site, identity: { userId, name, email, exp, signature } } before the script)
 * The page's origin must be on the site's allowed list (WEBCHAT_ORIGINS) or be the server's own.
 * data-mode="page" fills the whole page (the server's /chat/ page uses it); data-lang="en" or
 * "zh-CN" overrides the browser language.
 *
 * The widget talks to the server's socket.io namespace /webchat (WebSocket only, so it works
 * from any site without CORS); see docs/technical/channels.md (Web chat).
 */
(function () {
  'use strict';

  var TEXT = {
    'zh-CN': {
      download: '下载',
      title: '在线客服',
      launcher: '在线咨询',
      close: '关闭',
      online: '客服在线',
      offline: '客服暂时不在线',
      unavailable: '在线客服暂停服务',
      unavailableBanner: '在线客服暂时不可用，请稍后再来，或通过电话、邮件联系我们。',
      autoReply: '自动回复',
      busy: '客服繁忙，请稍候',
      queuePlace: '正在排队：您是第 {position} 位',
      queueWait: '预计等待约 {minutes} 分钟',
      queueWaitUnknown: '客服空闲后会立即接待您',
      connecting: '正在连接…',
      reconnecting: '连接已断开，正在重连…',
      crowded: '您所在网络的聊天连接过多，{seconds} 秒后自动重试…',
      notConnected: '未连接',
      welcome: '您好！请问有什么可以帮您？',
      placeholder: '请输入消息，按 Enter 发送',
      send: '发送',
      messageLabel: '消息',
      sending: '发送中…',
      notSent: '未发送，连接恢复后自动重发',
      agentTyping: '{name} 正在输入…',
      agentTypingNoName: '客服正在输入…',
      you: '我',
      offlineIntro: '暂无客服在线。请留下您的问题，我们会通过邮件回复您。',
      name: '姓名',
      email: '邮箱',
      question: '问题',
      submit: '提交留言',
      submitting: '正在提交…',
      required: '请填写姓名、邮箱和问题。',
      badEmail: '请输入有效的邮箱地址。',
      thanks: '已收到您的留言，我们会尽快回复到 {email}。',
      verifiedAs: '已验证身份：{name}',
      errorSignature: '身份验证失败，无法开始聊天。请刷新页面重试，或联系网站管理员。',
      errorExpired: '登录凭证已过期，无法开始聊天。请刷新页面后重试。',
      errorSite: '此网站未开通在线客服。',
      errorOrigin: '此网站未获准使用在线客服。请联系网站管理员。',
      errorOther: '无法开始聊天：{message}',
      sendFailed: '发送失败：{message}',
      rateLimited: '发送太频繁，请 {seconds} 秒后再试',
      rateLimitedResend: '发送太频繁，{seconds} 秒后自动重发',
      csatTitle: '请为本次服务评分',
      csat_attitude: '服务态度',
      csat_speed: '响应速度',
      csat_resolution: '问题解决',
      csat_professionalism: '专业程度',
      csatComment: '其他意见（选填）',
      csatSubmit: '提交评价',
      csatIncomplete: '请为每一项选择 1 到 5 分。',
      csatThanks: '感谢您的评价！反馈编号 {id}',
      csatAnswered: '这张工单已经评价过了。',
      csatExpired: '评价已过期（完成后 7 天内有效）。',
      csatUnknown: '评价链接无效。',
      csatRateLimited: '尝试次数过多，请稍后再试。',
    },
    en: {
      download: 'Download',
      title: 'Customer service',
      launcher: 'Chat with us',
      close: 'Close',
      online: 'Agents online',
      offline: 'No agent online right now',
      unavailable: 'Chat unavailable',
      unavailableBanner: 'This chat is unavailable at the moment. Please come back later, or contact us by phone or email.',
      autoReply: 'Automatic reply',
      busy: 'All agents are busy',
      queuePlace: 'You are number {position} in the queue',
      queueWait: 'about {minutes} min wait',
      queueWaitUnknown: 'an agent will be with you as soon as one is free',
      connecting: 'Connecting…',
      reconnecting: 'Connection lost, reconnecting…',
      crowded: 'Too many chat connections from your network; trying again in {seconds} s…',
      notConnected: 'Not connected',
      welcome: 'Hello! How can we help you?',
      placeholder: 'Type a message, Enter to send',
      send: 'Send',
      messageLabel: 'Message',
      sending: 'Sending…',
      notSent: 'Not sent yet; it will be sent when the connection is back',
      agentTyping: '{name} is typing…',
      agentTypingNoName: 'Agent is typing…',
      you: 'You',
      offlineIntro: 'No agent is available right now. Leave your question and we will answer by email.',
      name: 'Name',
      email: 'Email',
      question: 'Question',
      submit: 'Send message',
      submitting: 'Sending…',
      required: 'Please fill in your name, email and question.',
      badEmail: 'Please enter a valid email address.',
      thanks: 'Thank you, we received your message and will reply to {email}.',
      verifiedAs: 'Signed in as {name}',
      errorSignature: 'We could not verify your identity, so the chat cannot start. Reload the page, or contact the site.',
      errorExpired: 'Your sign-in for this chat has expired, so the chat cannot start. Reload the page to try again.',
      errorSite: 'Web chat is not set up for this site.',
      errorOrigin: 'This page is not allowed to open this chat. Please contact the site.',
      errorOther: 'The chat cannot start: {message}',
      sendFailed: 'Not sent: {message}',
      rateLimited: 'Too many messages; try again in {seconds} s',
      rateLimitedResend: 'Too many messages; sending again in {seconds} s',
      csatTitle: 'Please rate our service',
      csat_attitude: 'Attitude',
      csat_speed: 'Speed',
      csat_resolution: 'Resolution',
      csat_professionalism: 'Professionalism',
      csatComment: 'Anything else? (optional)',
      csatSubmit: 'Send rating',
      csatIncomplete: 'Please choose 1 to 5 for every question.',
      csatThanks: 'Thank you for your rating! Feedback number {id}',
      csatAnswered: 'This request has already been rated.',
      csatExpired: 'The rating has expired (7 days after the request was resolved).',
      csatUnknown: 'This rating link is not valid.',
      csatRateLimited: 'Too many tries; please try again later.',
    },
  };

  var TYPING_REPEAT_MS = 3000;
  var TYPING_IDLE_MS = 4000;
  var AGENT_TYPING_TTL_MS = 8000;
  var ACK_TIMEOUT_MS = 10000;
  /** The most reply ids one webchat:received may carry (WEBCHAT_MAX_RECEIVED_IDS, shared/webchat.ts). */
  var MAX_RECEIVED_IDS = 200;
  // Refused for too many connections from the visitor's network: wait at least what the server
  // says, doubling per refusal up to a minute, with jitter, so many widgets behind one NAT do not knock in step.
  var CROWDED_RETRY_MAX_MS = 60000;
  var ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

  var script = document.currentScript || document.querySelector('script[src*="/chat/widget.js"]');
  if (!script) return;
  var global = window.OmniDeskChat || {};
  var data = script.dataset;
  var origin = new URL(script.src, window.location.href).origin;
  var site = data.site || global.site || '';
  var mode = data.mode === 'page' ? 'page' : 'embed';
  var langWanted = data.lang || global.lang || navigator.language || (navigator.languages && navigator.languages[0]) || 'en';
  var lang = /^zh/i.test(langWanted) ? 'zh-CN' : 'en';
  var T = TEXT[lang];

  function t(key, vars) {
    var text = T[key];
    if (vars) {
      Object.keys(vars).forEach(function (name) {
        text = text.split('{' + name + '}').join(String(vars[name]));
      });
    }
    return text;
  }

  function randomId(length) {
    var bytes = new Uint8Array(length);
    window.crypto.getRandomValues(bytes);
    var out = '';
    for (var i = 0; i < bytes.length; i++) out += ALPHABET.charAt(bytes[i] & 63);
    return out;
  }

  function visitorId() {
    var key = 'omnidesk.webchat.' + site + '.visitor';
    try {
      var known = window.localStorage.getItem(key);
      if (known && /^[A-Za-z0-9_-]{16,64}$/.test(known)) return known;
      var made = randomId(22);
      window.localStorage.setItem(key, made);
      return made;
    } catch (e) {
      // Storage blocked (private mode, sandboxed frame): a visitor for this page view only.
      return randomId(22);
    }
  }

  function identity() {
    var given = global.identity || {};
    var userId = data.userId || given.userId;
    var signature = data.signature || given.signature;
    if (!userId || !signature) return undefined;
    var exp = data.expires || given.exp;
    // A number for the server (a data attribute is text); a missing or malformed one is refused there with the reason.
    var result = { userId: userId, signature: signature, exp: /^\d{1,11}$/.test(String(exp)) ? Number(exp) : exp };
    var name = data.userName || given.name;
    var email = data.userEmail || given.email;
    if (name) result.name = name;
    if (email) result.email = email;
    return result;
  }

  // --- state -------------------------------------------------------------------------------
  var state = {
    status: 'connecting', // connecting | online | reconnecting | refused
    refusal: '',
    crowdedRetryMs: 0, // while refused for too many connections: when the widget tries again (ms)
    available: true,
    unavailable: false, // an administrator switched the chat off: no composer, no offline form, a banner says so
    verifiedName: null,
    knownEmail: null,
    messages: [], // {id, ticketId, clientMessageId, from, authorName, text, createdAt, status}
    agentTyping: null,
    queuePlace: null, // {position, estimatedWaitMs} while this visitor's chat waits for an agent
    offlineSentTo: null,
    open: mode === 'page',
  };
  var socket = null;
  var typingSent = false;
  var typingSentAt = 0;
  var typingIdleTimer = null;
  var agentTypingTimer = null;
  var lastReadReported = null;
  var crowdedAttempts = 0;
  var crowdedTimer = null;
  // A hello refused (rate_limited, or its ack lost) is asked again with the same backoff: until
  // the server accepts it, it does not know this widget gives receipts, so what the widget shows
  // meanwhile would never be confirmed (the replies would end `failed`).
  var helloAttempts = 0;
  var helloTimer = null;

  // --- DOM -----------------------------------------------------------------------------------
  var CSS = [
    ':host{all:initial;font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei","WenQuanYi Micro Hei",sans-serif;font-size:14px;color:#1f2933}',
    '*{box-sizing:border-box}',
    '.launcher{position:fixed;right:24px;bottom:24px;border:0;border-radius:24px;padding:12px 20px;background:#1565c0;color:#fff;font:inherit;font-weight:600;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.2)}',
    '.launcher:focus-visible,button:focus-visible,textarea:focus-visible,input:focus-visible{outline:3px solid #90caf9;outline-offset:1px}',
    '.panel{display:flex;flex-direction:column;background:#fff;overflow:hidden}',
    '.embed .panel{position:fixed;right:24px;bottom:84px;width:360px;height:540px;max-height:calc(100vh - 108px);border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25)}',
    '.page .panel{width:100%;max-width:560px;height:calc(100vh - 48px);margin:24px auto;border-radius:12px;box-shadow:0 4px 24px rgba(0,0,0,.12)}',
    '.hidden{display:none!important}',
    'header{display:flex;align-items:center;gap:10px;padding:14px 16px;background:#1565c0;color:#fff}',
    'header h1{font-size:16px;margin:0;font-weight:600}',
    '.status{font-size:12px;opacity:.9;display:flex;align-items:center;gap:6px}',
    '.dot{width:8px;height:8px;border-radius:50%;background:#b0bec5}',
    '.dot.on{background:#69f0ae}',
    '.dot.wait{background:#ffca28}',
    '.titles{flex:1;display:flex;flex-direction:column;gap:2px}',
    '.close{border:0;background:transparent;color:#fff;font-size:20px;cursor:pointer;padding:4px 8px}',
    '.banner{padding:10px 16px;background:#fff4e5;color:#7a4100;font-size:13px;border-bottom:1px solid #ffe0b2}',
    '.banner.error{background:#fdecea;color:#8a1c14;border-color:#f5c6cb}',
    '.queue{padding:8px 16px;background:#e8f1fb;color:#0b4f8a;font-size:13px;border-bottom:1px solid #cfe2f7}',
    '.log{flex:1;overflow-y:auto;padding:16px;display:flex;flex-direction:column;gap:10px;background:#f6f8fa;margin:0;list-style:none}',
    '.system{align-self:center;color:#52606d;font-size:13px;background:#e4e7eb;border-radius:12px;padding:6px 12px;text-align:center}',
    '.msg{max-width:80%;display:flex;flex-direction:column;gap:3px}',
    '.msg.visitor{align-self:flex-end;align-items:flex-end}',
    '.msg.agent{align-self:flex-start}',
    '.file{display:flex;flex-wrap:wrap;align-items:center;gap:6px;margin-top:4px;padding:6px 10px;border:1px solid #d9e2ec;border-radius:10px;background:#fff;color:#1565c0;text-decoration:none;max-width:100%}',
    '.file:focus-visible{outline:2px solid #1565c0;outline-offset:2px}',
    '.file .thumb{display:block;max-width:180px;max-height:120px;border-radius:6px;flex-basis:100%}',
    '.file .file-name{font-weight:600;word-break:break-all}',
    '.file .file-size{color:#5b6b7b;font-size:12px}',
    '.bubble{padding:9px 12px;border-radius:14px;white-space:pre-wrap;word-break:break-word;line-height:1.45}',
    '.visitor .bubble{background:#1565c0;color:#fff;border-bottom-right-radius:4px}',
    '.agent .bubble{background:#fff;border:1px solid #d9e2ec;border-bottom-left-radius:4px}',
    '.meta{font-size:11px;color:#7b8794}',
    '.meta .warn{color:#b42318}',
    '.typing{padding:4px 16px;font-size:12px;color:#52606d;min-height:22px;background:#f6f8fa}',
    '.composer{display:flex;gap:8px;padding:10px 12px;border-top:1px solid #e4e7eb;background:#fff}',
    '.composer textarea{flex:1;resize:none;height:44px;border:1px solid #cbd2d9;border-radius:8px;padding:10px;font:inherit}',
    'button.primary{border:0;border-radius:8px;background:#1565c0;color:#fff;font:inherit;font-weight:600;padding:0 18px;cursor:pointer}',
    'button.primary:disabled{background:#9fb3c8;cursor:default}',
    '.offline{padding:12px 16px;border-top:1px solid #e4e7eb;background:#fff;display:flex;flex-direction:column;gap:8px}',
    '.offline p{margin:0;color:#52606d;font-size:13px}',
    '.offline label{display:flex;flex-direction:column;gap:3px;font-size:12px;color:#3e4c59}',
    '.offline input,.offline textarea{border:1px solid #cbd2d9;border-radius:6px;padding:7px 9px;font:inherit}',
    '.offline textarea{resize:vertical;min-height:60px}',
    '.offline button{align-self:flex-end;padding:8px 18px}',
    '.form-error{color:#b42318;font-size:12px;min-height:16px}',
    '.csat{align-self:stretch;background:#fff;border:1px solid #d9e2ec;border-radius:12px;padding:12px 14px;display:flex;flex-direction:column;gap:8px}',
    '.csat h2{font-size:14px;margin:0}',
    '.csat-row{display:flex;align-items:center;justify-content:space-between;gap:8px;font-size:13px}',
    '.csat-scale{display:flex;gap:4px}',
    '.csat-scale button{width:30px;height:30px;border:1px solid #cbd2d9;border-radius:6px;background:#fff;font:inherit;cursor:pointer}',
    '.csat-scale button[aria-pressed="true"]{background:#1565c0;border-color:#1565c0;color:#fff}',
    '.csat textarea{border:1px solid #cbd2d9;border-radius:6px;padding:7px 9px;font:inherit;resize:vertical;min-height:48px}',
    '.csat .primary{align-self:flex-end;padding:8px 18px}',
    '.csat-done{color:#1f6f43;font-size:13px}',
  ].join('\n');

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  var host = el('div');
  host.id = 'omnidesk-chat';
  host.setAttribute('lang', lang);
  var root = host.attachShadow({ mode: 'open' });
  var style = el('style');
  style.textContent = CSS;
  root.appendChild(style);
  var frame = el('div', mode);
  root.appendChild(frame);

  var launcher = el('button', 'launcher', t('launcher'));
  launcher.type = 'button';
  launcher.setAttribute('aria-expanded', 'false');
  var panel = el('section', 'panel');
  panel.setAttribute('aria-label', t('title'));
  var header = el('header');
  var titles = el('div', 'titles');
  var title = el('h1', '', t('title'));
  var statusLine = el('div', 'status');
  var dot = el('span', 'dot');
  var statusText = el('span');
  statusLine.appendChild(dot);
  statusLine.appendChild(statusText);
  titles.appendChild(title);
  titles.appendChild(statusLine);
  header.appendChild(titles);
  var closeButton = el('button', 'close', '×');
  closeButton.type = 'button';
  closeButton.setAttribute('aria-label', t('close'));
  if (mode === 'embed') header.appendChild(closeButton);
  var banner = el('div', 'banner hidden');
  banner.setAttribute('role', 'alert');
  // A status, not an alert: the place changes every few seconds and must not interrupt a screen reader.
  var queueLine = el('div', 'queue hidden');
  queueLine.setAttribute('role', 'status');
  var log = el('ol', 'log');
  log.setAttribute('role', 'log');
  log.setAttribute('aria-live', 'polite');
  var typingLine = el('div', 'typing');
  typingLine.setAttribute('aria-live', 'polite');

  var composer = el('form', 'composer');
  var input = el('textarea');
  input.rows = 1;
  input.placeholder = t('placeholder');
  input.setAttribute('aria-label', t('messageLabel'));
  input.maxLength = 5000;
  var sendButton = el('button', 'primary', t('send'));
  sendButton.type = 'submit';
  composer.appendChild(input);
  composer.appendChild(sendButton);

  var offline = el('form', 'offline hidden');
  offline.noValidate = true;
  var offlineIntro = el('p', '', t('offlineIntro'));
  function field(labelText, control) {
    var label = el('label');
    label.appendChild(document.createTextNode(labelText));
    label.appendChild(control);
    return label;
  }
  var nameInput = el('input');
  nameInput.autocomplete = 'name';
  nameInput.maxLength = 100;
  var emailInput = el('input');
  emailInput.type = 'email';
  emailInput.autocomplete = 'email';
  emailInput.maxLength = 320;
  var questionInput = el('textarea');
  questionInput.maxLength = 5000;
  var formError = el('div', 'form-error');
  formError.setAttribute('role', 'alert');
  var offlineButton = el('button', 'primary', t('submit'));
  offlineButton.type = 'submit';
  offline.appendChild(offlineIntro);
  offline.appendChild(field(t('name'), nameInput));
  offline.appendChild(field(t('email'), emailInput));
  offline.appendChild(field(t('question'), questionInput));
  offline.appendChild(formError);
  offline.appendChild(offlineButton);

  panel.appendChild(header);
  panel.appendChild(banner);
  panel.appendChild(queueLine);
  panel.appendChild(log);
  panel.appendChild(typingLine);
  panel.appendChild(composer);
  panel.appendChild(offline);
  if (mode === 'embed') frame.appendChild(launcher);
  frame.appendChild(panel);

  // --- rendering -------------------------------------------------------------------------------
  function timeOf(ms) {
    return new Date(ms).toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' });
  }

  // --- the rating card (满意度回访) -------------------------------------------------------------
  var CSAT_LINK = /\/csat\/([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/;
  /** The author name of the server's off-hours auto-reply (shared/admin.ts AUTO_REPLY_AUTHOR_NAME). */
  var AUTO_REPLY_AUTHOR = '自动回复 / Auto-reply';
  var CSAT_DIMENSIONS = ['attitude', 'speed', 'resolution', 'professionalism'];
  var csatCards = {}; // token → {ratings, comment, outcome, error, busy}

  function csatCard(token) {
    var card = csatCards[token] || (csatCards[token] = { ratings: {}, comment: '', outcome: null, error: '', busy: false });
    var item = el('li', 'csat');
    item.setAttribute('data-csat', 'card');
    item.appendChild(el('h2', null, t('csatTitle')));
    if (card.outcome) {
      var done = el('div', 'csat-done', card.outcome);
      done.setAttribute('role', 'status');
      item.appendChild(done);
      return item;
    }
    CSAT_DIMENSIONS.forEach(function (dimension) {
      var row = el('div', 'csat-row');
      row.appendChild(el('span', null, t('csat_' + dimension)));
      var scale = el('div', 'csat-scale');
      scale.setAttribute('role', 'group');
      scale.setAttribute('aria-label', t('csat_' + dimension));
      [1, 2, 3, 4, 5].forEach(function (n) {
        var button = el('button', null, String(n));
        button.type = 'button';
        button.setAttribute('data-dimension', dimension);
        button.setAttribute('aria-pressed', String(card.ratings[dimension] === n));
        button.addEventListener('click', function () {
          card.ratings[dimension] = n;
          card.error = '';
          renderMessages();
        });
        scale.appendChild(button);
      });
      row.appendChild(scale);
      item.appendChild(row);
    });
    var comment = el('textarea');
    comment.maxLength = 500;
    comment.value = card.comment;
    comment.setAttribute('aria-label', t('csatComment'));
    comment.placeholder = t('csatComment');
    comment.addEventListener('input', function () {
      card.comment = comment.value;
    });
    item.appendChild(comment);
    var error = el('div', 'form-error', card.error);
    item.appendChild(error);
    var submit = el('button', 'primary', t('csatSubmit'));
    submit.type = 'button';
    submit.disabled = card.busy;
    submit.addEventListener('click', function () {
      var complete = CSAT_DIMENSIONS.every(function (d) {
        return card.ratings[d] >= 1;
      });
      if (!complete) {
        card.error = t('csatIncomplete');
        renderMessages();
        return;
      }
      card.busy = true;
      var answer = {
        attitude: card.ratings.attitude,
        speed: card.ratings.speed,
        resolution: card.ratings.resolution,
        professionalism: card.ratings.professionalism,
      };
      if (card.comment.trim()) answer.comment = card.comment.trim().slice(0, 500);
      emitWithAck('webchat:rate', { token: token, answer: answer }, function (response) {
        card.busy = false;
        if (response && response.ok) {
          var outcome = response.result.outcome;
          card.outcome =
            outcome === 'thanks'
              ? t('csatThanks', { id: response.result.feedbackId })
              : t(
                  outcome === 'answered'
                    ? 'csatAnswered'
                    : outcome === 'expired'
                      ? 'csatExpired'
                      : outcome === 'rate_limited'
                        ? 'csatRateLimited'
                        : 'csatUnknown',
                );
        } else {
          card.error = (response && response.error && response.error.message) || t('notSent');
        }
        renderMessages();
      });
      renderMessages();
    });
    item.appendChild(submit);
    return item;
  }

  /** A file of an agent's reply: a download link (signed for this visitor by the server), with a thumbnail for raster images. */
  function fileLink(file) {
    var link = el('a', 'file');
    link.href = file.url;
    link.setAttribute('download', file.fileName);
    link.setAttribute('rel', 'noopener');
    link.setAttribute('aria-label', t('download') + ' ' + file.fileName);
    if (file.thumbnail) {
      var image = el('img', 'thumb');
      image.src = file.url;
      image.alt = file.fileName;
      link.appendChild(image);
    }
    link.appendChild(el('span', 'file-name', file.fileName));
    link.appendChild(el('span', 'file-size', sizeOf(file.size)));
    return link;
  }

  function sizeOf(bytes) {
    if (bytes < 1024) return bytes + ' B';
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + ' KB';
    return (bytes / (1024 * 1024)).toFixed(1) + ' MB';
  }

  function renderMessages() {
    while (log.firstChild) log.removeChild(log.firstChild);
    if (state.status !== 'refused') log.appendChild(el('li', 'system', t('welcome')));
    state.messages.forEach(function (message) {
      var csatToken = message.from === 'agent' ? CSAT_LINK.exec(message.text) : null;
      if (csatToken) {
        log.appendChild(csatCard(csatToken[1]));
        return;
      }
      var item = el('li', 'msg ' + message.from);
      item.appendChild(el('div', 'bubble', message.text));
      (message.attachments || []).forEach(function (file) {
        item.appendChild(fileLink(file));
      });
      var meta = el('div', 'meta');
      // The server's off-hours auto-reply is signed in both languages; the widget says it in its own.
      var who = message.from === 'visitor' ? t('you') : message.authorName === AUTO_REPLY_AUTHOR ? t('autoReply') : message.authorName;
      meta.appendChild(document.createTextNode(who + ' · ' + timeOf(message.createdAt)));
      if (message.status === 'sending') meta.appendChild(document.createTextNode(' · ' + t('sending')));
      if (message.status === 'failed') {
        var why = message.notice || (message.error ? t('sendFailed', { message: message.error }) : t('notSent'));
        var warn = el('span', 'warn', ' · ' + why);
        meta.appendChild(warn);
      }
      item.appendChild(meta);
      log.appendChild(item);
    });
    if (state.offlineSentTo) log.appendChild(el('li', 'system', t('thanks', { email: state.offlineSentTo })));
    log.scrollTop = log.scrollHeight;
  }

  function renderChrome() {
    panel.classList.toggle('hidden', !state.open);
    launcher.setAttribute('aria-expanded', String(state.open));
    var on = state.status === 'online' && state.available && !state.unavailable;
    dot.className = 'dot' + (on ? (state.queuePlace ? ' wait' : ' on') : '');
    var status =
      state.status === 'connecting'
        ? t('connecting')
        : state.status === 'reconnecting'
          ? t('reconnecting')
          : state.status === 'refused'
            ? t('notConnected')
            : state.unavailable
              ? t('unavailable')
              : !state.available
                ? t('offline')
                : state.queuePlace
                  ? t('busy')
                  : t('online');
    if (state.verifiedName && state.status === 'online') status += ' · ' + t('verifiedAs', { name: state.verifiedName });
    statusText.textContent = status;
    if (state.status === 'refused') {
      banner.className = 'banner error';
      banner.textContent = state.refusal;
    } else if (state.crowdedRetryMs > 0) {
      banner.className = 'banner';
      banner.textContent = t('crowded', { seconds: secondsOf(state.crowdedRetryMs) });
    } else if (state.status === 'reconnecting') {
      banner.className = 'banner';
      banner.textContent = t('reconnecting');
    } else if (state.status === 'online' && state.unavailable) {
      banner.className = 'banner error';
      banner.textContent = t('unavailableBanner');
    } else {
      banner.className = 'banner hidden';
      banner.textContent = '';
    }
    var waiting = state.status === 'online' && state.queuePlace;
    queueLine.classList.toggle('hidden', !waiting);
    queueLine.textContent = waiting ? queueText(state.queuePlace) : '';
    var switchedOff = state.status === 'online' && state.unavailable;
    var showOffline = state.status === 'online' && !state.available && !state.offlineSentTo && !switchedOff;
    offline.classList.toggle('hidden', !showOffline);
    composer.classList.toggle('hidden', switchedOff || showOffline || state.status === 'refused' || (!state.available && !!state.offlineSentTo));
    sendButton.disabled = state.status === 'refused';
    typingLine.textContent = state.agentTyping ? (state.agentTyping.name ? t('agentTyping', { name: state.agentTyping.name }) : t('agentTypingNoName')) : '';
  }

  function queueText(place) {
    var wait = place.estimatedWaitMs === null ? t('queueWaitUnknown') : t('queueWait', { minutes: Math.max(1, Math.round(place.estimatedWaitMs / 60000)) });
    return t('queuePlace', { position: place.position }) + (lang === 'zh-CN' ? '，' : ' · ') + wait;
  }

  function render() {
    renderChrome();
    renderMessages();
    reportRead();
  }

  // --- messages --------------------------------------------------------------------------------
  function compare(a, b) {
    return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  }

  /** Adds or updates a message from the server (history, live, or an ack); returns true when it is new. */
  function upsert(message, status) {
    for (var i = 0; i < state.messages.length; i++) {
      var known = state.messages[i];
      if (known.id === message.id || (message.clientMessageId && known.clientMessageId === message.clientMessageId)) {
        state.messages[i] = Object.assign({}, known, message, { status: status });
        return false;
      }
    }
    state.messages.push(Object.assign({}, message, { status: status }));
    state.messages.sort(compare);
    return true;
  }

  function pending() {
    return state.messages.filter(function (m) {
      return m.from === 'visitor' && m.status !== 'sent';
    });
  }

  function emitWithAck(event, payload, done) {
    if (!socket || !socket.connected) {
      done({ ok: false, error: { code: 'offline', message: '' } }, true);
      return;
    }
    socket.timeout(ACK_TIMEOUT_MS).emit(event, payload, function (err, response) {
      if (err) done({ ok: false, error: { code: 'timeout', message: '' } }, true);
      else done(response, false);
    });
  }

  function secondsOf(ms) {
    return Math.max(1, Math.ceil((ms || 1000) / 1000));
  }

  function deliver(message) {
    message.status = 'sending';
    message.notice = null;
    emitWithAck('webchat:send', { clientMessageId: message.clientMessageId, text: message.text }, function (response, transient) {
      if (response && response.ok) {
        upsert({ id: response.result.messageId, ticketId: response.result.ticketId, clientMessageId: message.clientMessageId }, 'sent');
      } else if (response && response.error && response.error.code === 'channel_unavailable') {
        // Switched off: nothing was stored; the message waits here and goes once the chat is on again.
        message.status = 'failed';
        message.notice = t('unavailable');
        state.unavailable = true;
      } else if (response && response.error && response.error.code === 'rate_limited') {
        // Too fast: the server stored nothing; the same message goes again once it may.
        var wait = response.error.retryAfterMs || 1000;
        message.status = 'failed';
        message.notice = t('rateLimitedResend', { seconds: secondsOf(wait) });
        setTimeout(function () {
          if (message.status === 'failed' && socket && socket.connected) {
            deliver(message);
            render();
          }
        }, wait);
      } else {
        // A lost connection or ack keeps the message for a resend with the same id (the server drops a repeat).
        message.status = 'failed';
        message.error = transient ? null : response && response.error ? response.error.message : null;
      }
      render();
    });
  }

  function sendMessage(text) {
    var message = {
      id: 'local-' + randomId(12),
      ticketId: null,
      clientMessageId: randomId(22),
      from: 'visitor',
      authorName: '',
      text: text,
      createdAt: Date.now(),
      status: 'sending',
    };
    state.messages.push(message);
    stopTyping();
    deliver(message);
    render();
  }

  function newestAgentMessage() {
    for (var i = state.messages.length - 1; i >= 0; i--) {
      if (state.messages[i].from === 'agent') return state.messages[i];
    }
    return null;
  }

  /** Tells the server which agent message the visitor has now seen (only when it is on screen). */
  function reportRead() {
    if (!socket || !socket.connected || state.status !== 'online' || !state.open || document.visibilityState !== 'visible') return;
    var newest = newestAgentMessage();
    if (!newest || newest.id === lastReadReported) return;
    lastReadReported = newest.id;
    socket.emit('webchat:read', { ticketId: newest.ticketId, messageId: newest.id });
  }

  // --- typing ----------------------------------------------------------------------------------
  function stopTyping() {
    if (typingIdleTimer) clearTimeout(typingIdleTimer);
    typingIdleTimer = null;
    if (typingSent && socket && socket.connected) socket.emit('webchat:typing', { typing: false });
    typingSent = false;
  }

  function onInput() {
    var hasText = input.value.trim().length > 0;
    if (!hasText) {
      stopTyping();
      return;
    }
    var now = Date.now();
    if ((!typingSent || now - typingSentAt > TYPING_REPEAT_MS) && socket && socket.connected) {
      socket.emit('webchat:typing', { typing: true });
      typingSent = true;
      typingSentAt = now;
    }
    if (typingIdleTimer) clearTimeout(typingIdleTimer);
    typingIdleTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
  }

  function showAgentTyping(typing, name) {
    if (agentTypingTimer) clearTimeout(agentTypingTimer);
    agentTypingTimer = null;
    state.agentTyping = typing ? { name: name } : null;
    if (typing) {
      agentTypingTimer = setTimeout(function () {
        state.agentTyping = null;
        renderChrome();
      }, AGENT_TYPING_TTL_MS);
    }
    renderChrome();
  }

  // --- connection ------------------------------------------------------------------------------
  function refusalText(error) {
    var code = error && error.data && error.data.code;
    if (code === 'invalid_signature' || code === 'identity_expiry_too_far') return t('errorSignature');
    if (code === 'identity_expired') return t('errorExpired');
    if (code === 'unknown_site') return t('errorSite');
    if (code === 'origin_not_allowed') return t('errorOrigin');
    return t('errorOther', { message: (error && error.data && error.data.message) || (error && error.message) || '?' });
  }

  /**
   * Tells the server which agent replies of the history are now on screen: a reply that had not
   * reached this visitor (they had left, or it was between attempts) is recorded as sent only on this.
   * Lost with the connection, it is said again with the next hello's history.
   */
  function reportReceived(shown) {
    var ids = shown
      .filter(function (message) {
        return message.from === 'agent';
      })
      .map(function (message) {
        return message.id;
      })
      .slice(-MAX_RECEIVED_IDS);
    if (ids.length > 0 && socket && socket.connected) socket.emit('webchat:received', { messageIds: ids });
  }

  /** How long to wait before asking again: at least what the server says, doubling per refusal up to a minute, with jitter. */
  function backoffMs(serverWaitMs, attempts) {
    var wait = Math.min(CROWDED_RETRY_MAX_MS, Math.max(serverWaitMs || 5000, 5000 * Math.pow(2, attempts)));
    return Math.round(wait * (0.75 + Math.random() * 0.5));
  }

  function hello() {
    if (helloTimer) clearTimeout(helloTimer);
    helloTimer = null;
    // `receipts`: this widget acknowledges each reply it shows (see the webchat:message handler) and reports its history's.
    emitWithAck('webchat:hello', { capabilities: ['receipts'] }, function (response) {
      if (!response || !response.ok) {
        var error = response && response.error;
        // Not connected: the next connection says hello anyway.
        if (!socket || !socket.connected || (error && error.code === 'offline')) return;
        var wait = backoffMs(error && error.retryAfterMs, helloAttempts);
        helloAttempts += 1;
        helloTimer = setTimeout(function () {
          helloTimer = null;
          if (socket && socket.connected) hello();
        }, wait);
        return;
      }
      helloAttempts = 0;
      var welcome = response.result;
      state.status = 'online';
      state.available = welcome.agentsAvailable;
      state.unavailable = !!welcome.chatUnavailable;
      state.queuePlace = null; // told again by the server while the chat still waits
      state.verifiedName = welcome.verified ? welcome.name : null;
      state.knownEmail = welcome.email;
      if (welcome.name && !nameInput.value) nameInput.value = welcome.name;
      if (welcome.email && !emailInput.value) emailInput.value = welcome.email;
      welcome.history.forEach(function (message) {
        upsert(message, 'sent');
      });
      // What was typed while offline (or lost with an ack) goes now, under the same ids (once the chat is on).
      if (!state.unavailable) pending().forEach(deliver);
      render();
      // Everything on screen, the history and what arrived while the hello was refused (shown, but
      // not acknowledged: the server did not yet count this tab among those that give receipts).
      reportReceived(state.messages);
    });
  }

  function connect() {
    var auth = { site: site, visitorId: visitorId() };
    var who = identity();
    if (who) auth.identity = who;
    socket = window.io(origin + '/webchat', { auth: auth, transports: ['websocket'] });
    socket.on('connect', function () {
      crowdedAttempts = 0;
      state.crowdedRetryMs = 0;
      hello();
    });
    socket.on('disconnect', function () {
      // The next connection says hello from the start.
      if (helloTimer) clearTimeout(helloTimer);
      helloTimer = null;
      helloAttempts = 0;
      if (state.status !== 'refused') state.status = 'reconnecting';
      state.agentTyping = null;
      renderChrome();
    });
    socket.on('connect_error', function (error) {
      if (error && error.data && error.data.code === 'too_many_connections') {
        // Not the visitor's fault and not for good: try again later, backing off (the socket.io
        // client does not retry a refusal by itself).
        var wait = backoffMs(error.data.retryAfterMs, crowdedAttempts);
        crowdedAttempts += 1;
        // A first visit still says "connecting": nothing was lost.
        if (state.status !== 'connecting') state.status = 'reconnecting';
        state.crowdedRetryMs = wait;
        if (crowdedTimer) clearTimeout(crowdedTimer);
        crowdedTimer = setTimeout(function () {
          crowdedTimer = null;
          socket.connect();
        }, wait);
      } else if (error && error.data && error.data.code) {
        // Refused by the server (bad signature, unknown site): retrying cannot help.
        state.status = 'refused';
        state.refusal = refusalText(error);
        socket.disconnect();
      } else if (state.status !== 'connecting') {
        state.status = 'reconnecting';
      }
      renderChrome();
    });
    socket.on('webchat:message', function (message, ack) {
      if (message.from === 'agent') {
        state.agentTyping = null;
        state.queuePlace = null; // an agent is answering: it no longer waits
      }
      upsert(message, 'sent');
      render();
      // The server records an agent's reply as sent only on this receipt (the visitor's own lines from another tab come without one).
      if (typeof ack === 'function') ack({ messageId: message.id });
    });
    socket.on('webchat:typing', function (event) {
      showAgentTyping(!!event.typing, event.agentName);
    });
    socket.on('webchat:availability', function (event) {
      var wasUnavailable = state.unavailable;
      state.available = !!event.agentsAvailable;
      state.unavailable = !!event.chatUnavailable;
      // Switched on again: what the visitor wrote meanwhile goes now, under the same ids.
      if (wasUnavailable && !state.unavailable) pending().forEach(deliver);
      render();
    });
    socket.on('webchat:queue', function (place) {
      var valid = place && place.position >= 1 && (place.estimatedWaitMs === null || place.estimatedWaitMs >= 0);
      state.queuePlace = valid ? { position: place.position, estimatedWaitMs: place.estimatedWaitMs } : null;
      renderChrome();
    });
  }

  // --- events ----------------------------------------------------------------------------------
  composer.addEventListener('submit', function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || state.status === 'refused') return;
    input.value = '';
    sendMessage(text);
  });
  input.addEventListener('keydown', function (event) {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });
  input.addEventListener('input', onInput);
  input.addEventListener('blur', stopTyping);

  offline.addEventListener('submit', function (event) {
    event.preventDefault();
    var name = nameInput.value.trim();
    var email = emailInput.value.trim();
    var text = questionInput.value.trim();
    if (!name || !email || !text) {
      formError.textContent = t('required');
      return;
    }
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
      formError.textContent = t('badEmail');
      return;
    }
    formError.textContent = '';
    offlineButton.disabled = true;
    offlineButton.textContent = t('submitting');
    var clientMessageId = randomId(22);
    emitWithAck('webchat:offline', { clientMessageId: clientMessageId, name: name, email: email, text: text }, function (response) {
      offlineButton.disabled = false;
      offlineButton.textContent = t('submit');
      if (!response || !response.ok) {
        var error = response && response.error;
        formError.textContent =
          error && error.code === 'rate_limited'
            ? t('rateLimited', { seconds: secondsOf(error.retryAfterMs) })
            : error && error.message
              ? t('sendFailed', { message: error.message })
              : t('notSent');
        return;
      }
      upsert(
        {
          id: response.result.messageId,
          ticketId: response.result.ticketId,
          clientMessageId: clientMessageId,
          from: 'visitor',
          authorName: name,
          text: text,
          createdAt: Date.now(),
        },
        'sent',
      );
      state.offlineSentTo = email;
      questionInput.value = '';
      render();
    });
  });

  launcher.addEventListener('click', function () {
    state.open = !state.open;
    render();
    if (state.open) input.focus();
  });
  closeButton.addEventListener('click', function () {
    state.open = false;
    render();
    launcher.focus();
  });
  document.addEventListener('visibilitychange', reportRead);

  function start() {
    (document.body || document.documentElement).appendChild(host);
    render();
    if (!/^[A-Za-z0-9_.-]{1,32}$/.test(site)) {
      state.status = 'refused';
      state.refusal = t('errorSite');
      render();
      return;
    }
    if (window.io) {
      connect();
      return;
    }
    var loader = document.createElement('script');
    loader.src = origin + '/chat/socket.io.min.js';
    loader.onload = connect;
    loader.onerror = function () {
      state.status = 'reconnecting';
      renderChrome();
    };
    document.head.appendChild(loader);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
