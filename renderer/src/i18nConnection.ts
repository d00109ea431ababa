/**
 * Strings of the link to the workstation: the screen of a browser-mode page opened without
 * (or with an outdated) launch key, "retry now" while offline, and the desktop app's core
 * process stopping, and why the link to the server is down (shared/connection.ts's codes). Spread into i18n.ts.
 */

export const connectionEn = {
  'launch.title': 'Open the workstation from its launch link',
  'launch.missing':
    'This page was opened without the workstation’s launch key, so it cannot act for you. Open the link printed by npm start (or npm run workstation) in the terminal.',
  'launch.refused':
    'The workstation did not accept this page’s launch key. It was probably restarted: every start makes a new key. Open the new link printed in the terminal.',
  'launch.example': 'The link looks like:',
  'launch.why': 'The key keeps other programs on this computer from acting as you.',
  'seats.fullTitle': 'Every seat of this workstation is taken',
  'seats.full':
    'This workstation already runs as many people side by side as it allows (one per browser profile). Close the workstation in a browser profile nobody uses, or have someone sign out and close their page, then reload this page.',
  'seats.fullWhy': 'Each browser profile gets its own seat, with its own sign-in and cache.',
  'connection.retryNow': 'Retry now',
  'connection.retryNowTitle': 'Try to reach the server again now instead of waiting',
  'connectionProblem.server_unreachable': 'Cannot reach the server at {server}',
  'connectionProblem.server_unreachable_short': 'Server unreachable',
  'connectionProblem.too_many_connections':
    'The server at {server} is refusing new connections from your network for now (too many at once); retrying automatically',
  'connectionProblem.too_many_connections_short': 'Server busy; retrying',
  'connectionProblem.sign_in_too_slow':
    'The server at {server} is busy: signing in took longer than it allows, so it closed the connection. Your network is fine; retrying automatically',
  'connectionProblem.sign_in_too_slow_short': 'Server slow to sign you in; retrying',
  'connectionProblem.too_many_sessions':
    'The server at {server} refused this connection: you are signed in from too many windows or devices at once. Close one you no longer use; retrying automatically',
  'connectionProblem.too_many_sessions_short': 'Signed in on too many windows; retrying',
  'connectionProblem.sync_failed': 'Sync failed ({detail}); retrying',
  'connectionProblem.send_failed': 'Sending local changes failed ({detail}); retrying',
  'connectionProblem.client_outdated': 'This workstation is too old for the server: install the update. Your work is kept and will be sent after updating.',
  'connectionProblem.client_outdated_short': 'Workstation too old: install the update',
  'connectionProblem.session_expired': 'Your session expired; sign in again',
  'connectionProblem.session_revoked': 'This session was signed out on the server; sign in again',
  'connectionProblem.password_refused': 'The server did not accept your password; sign in again',
  'connectionProblem.account_changed': 'Your account changed on the server; sign in again',
  'connectionProblem.cache_unreadable': 'The local cache could not be opened ({detail})',
  'connectionProblem.unknown': 'The connection to the server has a problem',
  'coreProcess.restarting':
    'The workstation service stopped unexpectedly and is restarting. Your saved work is kept; an action in progress may need to be done again.',
  'coreProcess.failed':
    'The workstation service keeps stopping and was not restarted again. Your saved work is kept on this computer. Quit and restart OmniDesk; if it happens again, contact your administrator.',
};

export const connectionZhCN: Record<keyof typeof connectionEn, string> = {
  'launch.title': '请通过启动链接打开工作台',
  'launch.missing': '此页面缺少本次启动的访问密钥，无法代您操作。请打开 npm start（或 npm run workstation）在终端中打印的链接。',
  'launch.refused': '工作台未接受此页面的访问密钥，可能已重新启动（每次启动都会生成新密钥）。请打开终端中新打印的链接。',
  'launch.example': '链接形如：',
  'launch.why': '该密钥可防止本机上的其他程序冒充您操作。',
  'seats.fullTitle': '工作台的席位已全部占用',
  'seats.full':
    '此工作台同时使用的人数已达上限（每个浏览器配置文件占一个席位）。请在无人使用的浏览器配置文件中关闭工作台，或请他人退出并关闭页面，然后重新加载此页面。',
  'seats.fullWhy': '每个浏览器配置文件都有自己的席位，各自登录、各自缓存。',
  'connection.retryNow': '立即重试',
  'connection.retryNowTitle': '不再等待，立即重新连接服务器',
  'connectionProblem.server_unreachable': '无法连接服务器 {server}',
  'connectionProblem.server_unreachable_short': '无法连接服务器',
  'connectionProblem.too_many_connections': '服务器 {server} 暂时拒绝来自您所在网络的新连接（同时连接过多），正在自动重试',
  'connectionProblem.too_many_connections_short': '服务器繁忙，正在重试',
  'connectionProblem.sign_in_too_slow': '服务器 {server} 繁忙：登录耗时超过其允许的时间，连接已被关闭。您的网络正常，正在自动重试',
  'connectionProblem.sign_in_too_slow_short': '服务器登录响应过慢，正在重试',
  'connectionProblem.too_many_sessions': '服务器 {server} 拒绝了此连接：您同时在过多的窗口或设备上登录。请关闭不再使用的窗口，正在自动重试',
  'connectionProblem.too_many_sessions_short': '登录窗口过多，正在重试',
  'connectionProblem.sync_failed': '同步失败，正在重试',
  'connectionProblem.send_failed': '本地更改发送失败，正在重试',
  'connectionProblem.client_outdated': '工作台版本过旧，服务器已拒绝连接：请安装更新。您的工作已保存，更新后会自动发送。',
  'connectionProblem.client_outdated_short': '工作台版本过旧：请安装更新',
  'connectionProblem.session_expired': '登录已过期，请重新登录',
  'connectionProblem.session_revoked': '此会话已在服务器上退出，请重新登录',
  'connectionProblem.password_refused': '服务器未接受您的密码，请重新登录',
  'connectionProblem.account_changed': '您的账号在服务器上已变更，请重新登录',
  'connectionProblem.cache_unreadable': '无法打开本机缓存，请重新登录',
  'connectionProblem.unknown': '与服务器的连接出现问题',
  'coreProcess.restarting': '工作台服务意外停止，正在重新启动。已保存的工作不会丢失；正在进行的操作可能需要重做。',
  'coreProcess.failed': '工作台服务反复停止，已不再自动重启。已保存的工作仍保留在本机。请退出并重新启动 OmniDesk；如仍出现此问题，请联系管理员。',
};
