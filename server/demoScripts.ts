/**
 * The demo organisation's team scripts (话术库): the templates' standard greeting per channel
 * (read aloud on the phone, an email with a subject, a short chat line), the complaint script
 * in the templates' order (apologise → verify → solve → follow up) and a closing line, each
 * in Chinese and English, plus one personal script of agent1's. Variables are ICU arguments
 * (shared/scripts.ts) the picker fills from the ticket, the customer and the agent.
 */
import type { ScriptInput } from '../shared/scripts.js';

export const DEMO_TEAM_SCRIPTS: readonly ScriptInput[] = [
  {
    scope: 'team',
    language: 'zh',
    title: '标准问候',
    category: '问候',
    keyword: 'greet',
    body: '您好，{customer.name}，我是客服{agent.name}，很高兴为您服务，请问有什么可以帮您？',
    variants: {
      phone: { text: '您好，欢迎致电客服中心，工号{agent.extension}，我是客服{agent.name}，请问有什么可以帮您？' },
      email: {
        subject: '关于您的工单 {ticket.id}',
        body: '尊敬的{customer.name}：\n\n您好！感谢您联系我们，我是客服{agent.name}，已收到您关于“{ticket.subject}”的来信，现为您处理。\n\n祝好\n{agent.name}',
      },
      chat: { text: '您好{customer.name}，我是{agent.name}，请问有什么可以帮您？' },
    },
  },
  {
    scope: 'team',
    language: 'zh',
    title: '投诉处理（致歉 → 核实 → 解决 → 回访）',
    category: '投诉',
    keyword: 'sorry',
    body:
      '{customer.name}，非常抱歉给您带来不便，我完全理解您的心情。\n' +
      '为了尽快为您解决，我先核实一下：您的工单号是{ticket.id}，问题是“{ticket.subject}”，对吗？\n' +
      '我们的处理方案是：{solution}\n' +
      '处理完成后，我们会在24小时内回访，确认问题已经解决。',
    variants: {
      phone: {
        text: '先致歉：非常抱歉给您带来不便。再核实：跟您确认一下，工单号{ticket.id}，问题是{ticket.subject}。给出方案：{solution}。最后告知回访：24小时内我们会再联系您确认结果。',
      },
      email: {
        subject: '关于您的投诉（工单 {ticket.id}）的处理',
        body: '尊敬的{customer.name}：\n\n非常抱歉给您带来不便。我们已核实您反映的“{ticket.subject}”。\n处理方案：{solution}\n我们将在24小时内回访，确认问题已解决。\n\n{agent.name}',
      },
      chat: { text: '非常抱歉给您带来不便！我先核实一下工单{ticket.id}的情况，马上为您处理。' },
    },
  },
  {
    scope: 'team',
    language: 'zh',
    title: '结束语',
    category: '结束',
    keyword: 'bye',
    body: '感谢您的耐心，{customer.name}。如还有其他问题，欢迎随时联系我们，祝您生活愉快！',
    variants: { phone: null, email: null, chat: { text: '感谢您的耐心，祝您生活愉快！' } },
  },
  {
    scope: 'team',
    language: 'en',
    title: 'Standard greeting',
    category: 'Greeting',
    keyword: 'hello',
    body: 'Hello {customer.name}, this is {agent.name}. How can I help you today?',
    variants: {
      phone: { text: 'Thank you for calling customer service, this is {agent.name}. How may I help you?' },
      email: {
        subject: 'About your request {ticket.id}',
        body: 'Dear {customer.name},\n\nThank you for contacting us. I have received your message about "{ticket.subject}" and am looking into it.\n\nBest regards,\n{agent.name}',
      },
      chat: { text: 'Hi {customer.name}, {agent.name} here. How can I help?' },
    },
  },
  {
    scope: 'team',
    language: 'en',
    title: 'Complaint (apologise → verify → solve → follow up)',
    category: 'Complaint',
    keyword: 'apology',
    body:
      "{customer.name}, I'm very sorry for the trouble this has caused.\n" +
      'Let me verify: your ticket is {ticket.id}, about "{ticket.subject}", is that right?\n' +
      'Here is what we will do: {solution}\n' +
      "We'll follow up within 24 hours to make sure it is resolved.",
    variants: {
      phone: null,
      email: {
        subject: 'Your complaint (ticket {ticket.id})',
        body: 'Dear {customer.name},\n\nI\'m very sorry for the trouble. We have verified "{ticket.subject}".\nWhat we will do: {solution}\nWe\'ll follow up within 24 hours.\n\n{agent.name}',
      },
      chat: { text: "I'm very sorry for the trouble! Let me check ticket {ticket.id} right away." },
    },
  },
];

/** agent1's own script: personal libraries are seeded too, so the manage screen shows both. */
export const DEMO_PERSONAL_SCRIPTS: Readonly<Record<string, readonly ScriptInput[]>> = {
  agent1: [
    {
      scope: 'personal',
      language: 'zh',
      title: '查询物流（我的）',
      category: '订单',
      keyword: 'wuliu',
      body: '{customer.name}您好，我帮您查一下订单的物流，请稍等片刻。',
      variants: { phone: null, email: null, chat: null },
    },
  ],
};
