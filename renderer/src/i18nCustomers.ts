/**
 * The strings of one customer across channels (identities, merging) and of what channels put
 * on messages (source, attachments, calls, delivery failures), spread into the dictionaries
 * of i18n.ts; plus the formatting of call durations and file sizes in each UI language.
 */

export const customersEn = {
  'customer.identities': 'Recognised by',
  'customer.identityPhone': 'Phone',
  'customer.identityEmail': 'Email',
  'customer.identitySocial': 'Social',
  'customer.merge': 'Merge customer',
  'customer.mergeTitle': 'Merge another record of this customer into this one',
  'customer.identityScoped': '{kind} via {integration}',
  'customer.unverified': 'Unverified',
  'customer.unverifiedTitle': 'Given by the customer, not proven by any channel: replies may go there, but it never links this customer to another',
  'customer.possibleMatches': 'Possibly the same customer',
  'customer.sharedPhone': 'Same phone {value}',
  'customer.sharedEmail': 'Same email {value}',
  'customer.sharedSocial': 'Same account {value}',
  'customer.unverifiedHere': 'unverified for this customer',
  'customer.unverifiedThere': 'unverified for that customer',
  'customer.mergeMatch': 'Merge…',
  'customer.mergeMatchTitle': 'Merge {name} ({id}) and this customer',
  'merge.title': 'Merge customer',
  'merge.intro': 'Find the other record of {name}. Its tickets and contact details move to this customer.',
  'merge.search': 'Search customers',
  'merge.searchPlaceholder': 'Name, phone or email',
  'merge.searching': 'Searching…',
  'merge.noResults': 'No other customer in your tickets matches.',
  'merge.results': 'Matching customers',
  'merge.tickets': 'Tickets: {n}',
  'merge.lastContact': 'last contact {time}',
  'merge.choose': 'Choose',
  'merge.confirmTitle': 'Merge these two customers?',
  'merge.confirmText': 'Every ticket and contact detail of the merged record moves to the kept customer. The merge is recorded and cannot be undone here.',
  'merge.keep': 'Kept',
  'merge.merged': 'Merged into the kept one',
  'merge.swap': 'Keep the other one instead',
  'merge.confirm': 'Merge',
  'merge.back': 'Back',
  'merge.cancel': 'Cancel',
  'merge.busy': 'Merging…',
  'merge.done': 'Merged into {name} ({id}); tickets moved: {n}.',
  'merge.needsOnline': 'Merging needs the server; try again when online.',
  'source.label': 'Came in by {source}',
  'source.labelOut': 'Goes out by {source}',
  'source.email': 'Email',
  'source.webchat': 'Web chat',
  'source.wechat': 'WeChat',
  'source.cti': 'Phone',
  'source.api': 'API',
  'source.weibo': 'Weibo',
  'source.douyin': 'Douyin',
  'source.webhook': 'Webhook · {platform}',
  'attachment.list': 'Attachments',
  'attachment.download': 'Download',
  'attachment.downloadName': 'Download {name} ({size})',
  'attachment.downloading': 'Downloading…',
  'attachment.failed': 'Could not download {name}: {reason}',
  'attachment.kept': 'Saved offline',
  'attachment.keptTitle': 'Saved on this computer: opens offline too',
  'attachment.notKeptOffline':
    'You are offline and {name} is not saved on this computer, so it cannot be opened now. It can be downloaded once the connection is back.',
  'attachment.overBudgetOffline':
    'You are offline and {name} ({size}) is larger than the {budget} this computer keeps for offline use, so it was not saved here. It can be downloaded once the connection is back.',
  'delivery.failedWarning': 'Not delivered to the customer: {error}',
  'delivery.failedUnknown': 'Not delivered to the customer.',
  'call.inbound': 'Incoming call',
  'call.outbound': 'Outgoing call',
  'call.answered': 'Call {duration}',
  'call.missed': 'Missed call',
  'call.extension': 'ext. {extension}',
  'error.too_large': 'The file is too large',
} as const;

export type CustomersMessageKey = keyof typeof customersEn;

export const customersZhCN: Record<CustomersMessageKey, string> = {
  'customer.identities': '识别信息',
  'customer.identityPhone': '电话',
  'customer.identityEmail': '邮箱',
  'customer.identitySocial': '社交',
  'customer.merge': '合并客户',
  'customer.mergeTitle': '将该客户的另一条记录合并到此客户',
  'customer.identityScoped': '{kind}（{integration}）',
  'customer.unverified': '未验证',
  'customer.unverifiedTitle': '客户自己提供、未经任何渠道验证：可以回复到这里，但不会据此关联其他客户',
  'customer.possibleMatches': '可能是同一客户',
  'customer.sharedPhone': '电话相同 {value}',
  'customer.sharedEmail': '邮箱相同 {value}',
  'customer.sharedSocial': '账号相同 {value}',
  'customer.unverifiedHere': '本客户未验证',
  'customer.unverifiedThere': '对方未验证',
  'customer.mergeMatch': '合并…',
  'customer.mergeMatchTitle': '合并{name}（{id}）与此客户',
  'merge.title': '合并客户',
  'merge.intro': '查找{name}的另一条客户记录，其工单和联系方式将并入当前客户。',
  'merge.search': '搜索客户',
  'merge.searchPlaceholder': '姓名、电话或邮箱',
  'merge.searching': '正在搜索…',
  'merge.noResults': '您的工单中没有匹配的其他客户。',
  'merge.results': '匹配的客户',
  'merge.tickets': '工单 {n} 个',
  'merge.lastContact': '最近联系 {time}',
  'merge.choose': '选择',
  'merge.confirmTitle': '确认合并这两位客户？',
  'merge.confirmText': '被合并记录的所有工单和联系方式将转到保留的客户名下。合并会被记录，且无法在此撤销。',
  'merge.keep': '保留',
  'merge.merged': '并入保留的客户',
  'merge.swap': '改为保留另一位',
  'merge.confirm': '确认合并',
  'merge.back': '返回',
  'merge.cancel': '取消',
  'merge.busy': '正在合并…',
  'merge.done': '已合并到{name}（{id}）名下，转入工单 {n} 个。',
  'merge.needsOnline': '合并客户需要连接服务器，请联网后重试。',
  'source.label': '来源：{source}',
  'source.labelOut': '发送渠道：{source}',
  'source.email': '邮件',
  'source.webchat': '网页聊天',
  'source.wechat': '微信',
  'source.cti': '电话',
  'source.api': '接口',
  'source.weibo': '微博',
  'source.douyin': '抖音',
  'source.webhook': 'Webhook · {platform}',
  'attachment.list': '附件',
  'attachment.download': '下载',
  'attachment.downloadName': '下载 {name}（{size}）',
  'attachment.downloading': '正在下载…',
  'attachment.failed': '无法下载 {name}：{reason}',
  'attachment.kept': '已存本机',
  'attachment.keptTitle': '已保存在本机，离线时也能打开',
  'attachment.notKeptOffline': '当前离线，{name} 未保存在本机，暂时无法打开。恢复连接后即可下载。',
  'attachment.overBudgetOffline': '当前离线，{name}（{size}）超过本机为离线使用保留的 {budget}，因此未保存在本机。恢复连接后即可下载。',
  'delivery.failedWarning': '未能送达客户：{error}',
  'delivery.failedUnknown': '未能送达客户。',
  'call.inbound': '来电',
  'call.outbound': '去电',
  'call.answered': '通话 {duration}',
  'call.missed': '未接来电',
  'call.extension': '分机 {extension}',
  'error.too_large': '文件过大',
};

/** "3分12秒" / "3:12"; an hour or more: "1小时2分3秒" / "1:02:03". */
export function formatCallDuration(language: 'zh-CN' | 'en', totalSeconds: number): string {
  const seconds = Math.max(0, Math.round(totalSeconds));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (language === 'zh-CN') {
    if (h > 0) return `${String(h)}小时${String(m)}分${String(s)}秒`;
    return m > 0 ? `${String(m)}分${String(s)}秒` : `${String(s)}秒`;
  }
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${String(h)}:${pad(m)}:${pad(s)}` : `${String(m)}:${pad(s)}`;
}

/** "850 B", "12 KB", "3.4 MB": one decimal below ten units, none above. */
export function formatFileSize(bytes: number): string {
  if (bytes < 1024) return `${String(bytes)} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : String(Math.round(value))} ${units[unit]!}`;
}

/** Whether a channel proved this phone, email or social id for the customer (it is among their identities). */
export function isProvenIdentity(
  customer: { identities: ReadonlyArray<{ kind: string; value: string }> },
  kind: 'phone' | 'email' | 'social',
  value: string,
): boolean {
  const wanted = kind === 'email' ? value.toLowerCase() : value;
  return customer.identities.some((identity) => identity.kind === kind && identity.value === wanted);
}

/**
 * An integration's scoped identity (`api:<name>:<kind>:<value>`, `webhook:<platform>:<kind>:<value>`):
 * the integration and what it claimed; null for any other identity.
 */
export function scopedIdentity(identity: { kind: string; value: string }): { integration: string; kind: 'phone' | 'email' | 'social'; value: string } | null {
  if (identity.kind !== 'social') return null;
  const match = /^(api|webhook):([^:]+):(phone|email|social):(.+)$/.exec(identity.value);
  if (!match) return null;
  return { integration: `${match[1] === 'api' ? 'API' : 'Webhook'} ${match[2]!}`, kind: match[3] as 'phone' | 'email' | 'social', value: match[4]! };
}

/** An E.164 phone as people read it: "+86 138 0013 8000", "+86 10 1234 5678"; anything else as stored. */
export function displayPhone(phone: string): string {
  // Masked digits (an agent's view, 138****8000) are grouped like the digits they stand for.
  const mobile = /^\+86(1\d{2})([\d*]{4})(\d{4})$/.exec(phone);
  if (mobile) return `+86 ${mobile.slice(1).join(' ')}`;
  // Beijing, Shanghai, Tianjin, Chongqing and the 2x cities have two-digit area codes; the rest three.
  const landline = /^\+86((?:10|2\d)|[3-9]\d{2})([\d*]{7,8})$/.exec(phone);
  if (landline) return `+86 ${landline.slice(1).join(' ')}`;
  return phone;
}
