import type { Translate } from '../i18n.js';

/** A message's source (`email`, `webchat`, `wechat:<app>`, `webhook:<platform>`, `cti`, `api`) in words; null when unknown. */
export function sourceText(t: Translate, source: string | null): string | null {
  if (source === null) return null;
  const [family = '', detail = ''] = source.split(':', 2);
  switch (family) {
    case 'email':
      return t('source.email');
    case 'webchat':
      return t('source.webchat');
    case 'wechat':
      return t('source.wechat');
    case 'cti':
      return t('source.cti');
    case 'api':
      return t('source.api');
    case 'webhook':
      if (detail === 'weibo') return t('source.weibo');
      if (detail === 'douyin') return t('source.douyin');
      return t('source.webhook', { platform: detail || family });
    default:
      return family;
  }
}
