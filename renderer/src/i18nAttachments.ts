/**
 * Attachments in replies (issue 12): the composer's attach button, chips and limits, the
 * refusals (shared/attachments.ts codes) and the timeline's file links, spread into the
 * dictionaries of i18n.ts.
 */

export const attachmentsEn = {
  'attach.button': 'Attach files',
  'attach.drop': 'Drop files to attach them',
  'attach.remove': 'Remove {name}',
  'attach.limits': 'Up to {files} files, {perFile} each, {perReply} in all. Programs, scripts and web pages cannot be sent.',
  'attach.uploading': 'Uploading {name}…',
  'attach.download': 'Download {name} ({size})',
  'attach.list': 'Attachments',
  'attach.refused.attachment_too_large': '{name} is larger than {limit}; it was not attached.',
  'attach.refused.attachments_too_large': 'The files together are larger than {limit}.',
  'attach.refused.too_many_attachments': 'At most {limit} files per reply.',
  'attach.refused.attachment_type_denied': '{name} cannot be sent: programs, scripts and web pages are refused.',
  'attach.refused.attachment_empty': '{name} is empty.',
  'attach.refused.attachment_unknown': 'A file did not reach the server; attach it again.',
  'attach.refused.attachment_offline': 'Files can only be attached while connected. Your reply text is kept.',
  'attach.refused.uploads_over_quota': 'Files uploaded and not yet sent already reach {limit}. Send those replies first; unsent files are removed after a day.',
  'refusal.attachment_refused': 'The reply on {ticket} was not sent: {reason}',
} as const;

export const attachmentsZhCN: Record<keyof typeof attachmentsEn, string> = {
  'attach.button': '添加附件',
  'attach.drop': '拖放文件到此处添加附件',
  'attach.remove': '移除 {name}',
  'attach.limits': '最多 {files} 个文件，每个不超过 {perFile}，合计不超过 {perReply}。不能发送程序、脚本和网页文件。',
  'attach.uploading': '正在上传 {name}…',
  'attach.download': '下载 {name}（{size}）',
  'attach.list': '附件',
  'attach.refused.attachment_too_large': '{name} 超过 {limit}，未添加。',
  'attach.refused.attachments_too_large': '附件合计超过 {limit}。',
  'attach.refused.too_many_attachments': '每条回复最多 {limit} 个文件。',
  'attach.refused.attachment_type_denied': '{name} 不能发送：程序、脚本和网页文件会被拒绝。',
  'attach.refused.attachment_empty': '{name} 是空文件。',
  'attach.refused.attachment_unknown': '有文件未上传到服务器，请重新添加。',
  'attach.refused.attachment_offline': '离线时不能添加附件。回复内容已保留。',
  'attach.refused.uploads_over_quota': '已上传但未发送的附件已达 {limit}。请先发送这些回复；未发送的附件一天后自动删除。',
  'refusal.attachment_refused': '工单 {ticket} 的回复未发送：{reason}',
};
