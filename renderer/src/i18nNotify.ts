/**
 * The strings of desktop notifications and their preferences popover (header), spread into
 * the dictionaries of i18n.ts.
 */

export const notifyEn = {
  'notify.offer.title': 'Incoming {channel}: {name}',
  'notify.offer.body': '{ticket} — accept it in OmniDesk before the offer runs out',
  'notify.message.title': 'New message from {name}',
  'notify.settings.open': 'Notification settings',
  'notify.settings.title': 'Notifications',
  'notify.settings.intro': 'Choose what pops up on your desktop and what plays a sound. Saved for you on this computer.',
  'notify.settings.kind': 'For',
  'notify.settings.show': 'Show',
  'notify.settings.sound': 'Sound',
  'notify.kind.offer': 'Offers to me',
  'notify.kind.message': 'Customer messages on my tickets',
  'notify.kind.sla': 'SLA warnings on my tickets',
  'notify.kind.alarm': 'Alarms for leads',
  'notify.showLabel': '{kind}: show a desktop notification',
  'notify.soundLabel': '{kind}: play a sound',
  'notify.mute': 'Mute all sounds',
  'notify.tryTone': 'Play the offer tone',
  'notify.close': 'Close',
  'notify.permission.default': 'Your browser has not been allowed to show notifications yet.',
  'notify.permission.allow': 'Allow desktop notifications',
  'notify.permission.granted': 'Desktop notifications are allowed.',
  'notify.permission.denied':
    'Your browser blocks notifications for this page. Allow them in the site settings (the icon left of the address), then reopen this panel. Sounds still play.',
  'notify.permission.unsupported': 'This browser cannot show desktop notifications; sounds still play.',
  'notify.permission.desktop': 'Shown through your system’s notifications. If none appear, check that OmniDesk may notify in the system settings.',
} as const;

export const notifyZhCN: Record<keyof typeof notifyEn, string> = {
  'notify.offer.title': '新的{channel}接入：{name}',
  'notify.offer.body': '{ticket} — 请在邀请过期前到 OmniDesk 中接受',
  'notify.message.title': '{name} 发来新消息',
  'notify.settings.open': '通知设置',
  'notify.settings.title': '通知',
  'notify.settings.intro': '选择哪些事项弹出桌面通知、哪些播放提示音。设置保存在本机，仅对您生效。',
  'notify.settings.kind': '事项',
  'notify.settings.show': '弹出通知',
  'notify.settings.sound': '提示音',
  'notify.kind.offer': '分配给我的接入邀请',
  'notify.kind.message': '我的工单有客户新消息',
  'notify.kind.sla': '我的工单 SLA 预警',
  'notify.kind.alarm': '主管告警',
  'notify.showLabel': '{kind}：弹出桌面通知',
  'notify.soundLabel': '{kind}：播放提示音',
  'notify.mute': '全部静音',
  'notify.tryTone': '试听接入提示音',
  'notify.close': '关闭',
  'notify.permission.default': '尚未允许浏览器显示通知。',
  'notify.permission.allow': '允许桌面通知',
  'notify.permission.granted': '已允许桌面通知。',
  'notify.permission.denied': '浏览器已阻止此页面的通知。请在网站设置（地址栏左侧的图标）中允许通知，然后重新打开此面板。提示音仍会播放。',
  'notify.permission.unsupported': '此浏览器无法显示桌面通知；提示音仍会播放。',
  'notify.permission.desktop': '通过系统通知显示。如果没有出现，请在系统设置中允许 OmniDesk 发送通知。',
};
