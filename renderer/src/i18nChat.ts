/**
 * The web chat indicators' strings (visitor typing, read marks), spread into the
 * dictionaries of i18n.ts like the routing ones.
 */

export const chatEn = {
  'chat.visitorTyping': 'Customer is typing…',
  'chat.read': 'Read',
  'chat.readTitle': 'The customer has seen this message in the chat window',
};

export const chatZhCN: Record<keyof typeof chatEn, string> = {
  'chat.visitorTyping': '客户正在输入…',
  'chat.read': '已读',
  'chat.readTitle': '客户已在聊天窗口中看到此消息',
};
