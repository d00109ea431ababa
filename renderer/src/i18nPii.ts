/**
 * Personal data strings (the "Show" control on masked values, the leads' record of who
 * viewed what), spread into the dictionaries of i18n.ts.
 */
import type { PiiField } from '../../shared/pii.js';
import type { Role } from '../../shared/domain.js';

export const piiEn = {
  'pii.show': 'Show',
  'pii.showTitle': 'Show in full — your viewing is recorded',
  'pii.showLabel': 'Show {what} in full (your viewing is recorded)',
  'pii.showing': 'Showing…',
  'pii.revealedTitle': 'Shown in full; your viewing was recorded',
  'pii.failed': 'Could not show it: {reason}',
  'pii.audit.title': 'Personal data viewed',
  'pii.audit.empty': 'Nobody has viewed personal data on this ticket.',
  'pii.audit.loading': 'Loading…',
  'pii.audit.refresh': 'Refresh',
  'pii.audit.entry': '{name} ({role}) viewed {what}',
  'pii.audit.via': 'on {id}',
  'pii.audit.truncated': 'Showing the newest {n}.',
  'pii.field.customerName': "the customer's name",
  'pii.field.customerPhone': 'the phone number',
  'pii.field.customerEmail': 'the email address',
  'pii.field.customerSocialId': 'the social ID',
  'pii.field.customerIdentities': 'all contact details',
  'pii.field.subject': 'the subject',
  'pii.field.message': 'a message',
  'pii.field.note': 'an internal note',
  'pii.field.call': "the caller's number",
  'pii.role.agent': 'agent',
  'pii.role.lead': 'lead',
  'pii.role.admin': 'admin',
};

export const piiZhCN: Record<keyof typeof piiEn, string> = {
  'pii.show': '显示',
  'pii.showTitle': '显示完整信息（查看将被记录）',
  'pii.showLabel': '显示完整的{what}（查看将被记录）',
  'pii.showing': '显示中…',
  'pii.revealedTitle': '已显示完整信息，本次查看已记录',
  'pii.failed': '无法显示：{reason}',
  'pii.audit.title': '个人信息查看记录',
  'pii.audit.empty': '此工单的个人信息尚无人查看。',
  'pii.audit.loading': '正在加载…',
  'pii.audit.refresh': '刷新',
  'pii.audit.entry': '{name}（{role}）查看了{what}',
  'pii.audit.via': '经由 {id}',
  'pii.audit.truncated': '仅显示最近 {n} 条。',
  'pii.field.customerName': '客户姓名',
  'pii.field.customerPhone': '电话号码',
  'pii.field.customerEmail': '邮箱地址',
  'pii.field.customerSocialId': '社交账号',
  'pii.field.customerIdentities': '全部联系方式',
  'pii.field.subject': '工单主题',
  'pii.field.message': '一条消息',
  'pii.field.note': '一条内部备注',
  'pii.field.call': '来电号码',
  'pii.role.agent': '坐席',
  'pii.role.lead': '组长',
  'pii.role.admin': '管理员',
};

export function piiFieldKey(field: PiiField): `pii.field.${PiiField}` {
  return `pii.field.${field}`;
}

export function piiRoleKey(role: Role): `pii.role.${Role}` {
  return `pii.role.${role}`;
}
