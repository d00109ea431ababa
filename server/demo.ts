/**
 * The demo organisation (`--demo`): seven users, one integration token and about twenty
 * tickets over the four channels, seeded through the ordinary store writes so the change
 * log holds them exactly as if they had arrived live. Only ever run on an empty database.
 */
import type { Channel, Role, TicketStatus, User } from '../shared/domain.js';
import type { RoutingAssignee, TicketRouter } from './routing.js';
import type { ChannelContact, NewUser, ServerStore } from './store.js';
import { DEMO_WECHAT_ACCOUNT } from './channels/wechat/config.js';
import { DEMO_WEBCHAT_SITE } from './channels/webchat/webchat.js';
import { DEFAULT_CAPACITY, type Capacity } from '../shared/routing.js';
import { DEMO_ARTICLES } from './demoKnowledge.js';
import { DEMO_PERSONAL_SCRIPTS, DEMO_TEAM_SCRIPTS } from './demoScripts.js';

export const DEMO_PASSWORD = 'demo';
export const DEMO_INTEGRATION_TOKEN = 'demo-token';

const ALL_CHANNELS: Channel[] = ['phone', 'chat', 'social', 'email'];

/** The demo's users (password `demo`); ids equal usernames so logs read easily. admin1 manages users and policies (docs/technical/administration.md). */
export const DEMO_USERS: ReadonlyArray<Omit<NewUser, 'password'> & { id: string; role: Role }> = [
  { id: 'admin1', username: 'admin1', displayName: '系统管理员', role: 'admin', channels: [], groups: [], tier: 1 },
  {
    id: 'lead1',
    username: 'lead1',
    displayName: '李主管',
    role: 'lead',
    channels: ALL_CHANNELS,
    groups: ['orders', 'after_sales', 'billing', 'technical'],
    tier: 2,
    senior: true,
  },
  {
    id: 'agent1',
    username: 'agent1',
    displayName: '王芳',
    role: 'agent',
    channels: ALL_CHANNELS,
    groups: ['orders', 'after_sales'],
    tier: 1,
    extension: '8001',
  },
  { id: 'agent2', username: 'agent2', displayName: '张强', role: 'agent', channels: ['phone', 'chat'], groups: ['orders'], tier: 1, extension: '8002' },
  { id: 'agent3', username: 'agent3', displayName: '刘洋', role: 'agent', channels: ['chat', 'social'], groups: ['after_sales'], tier: 1, extension: '8003' },
  { id: 'agent4', username: 'agent4', displayName: '陈静', role: 'agent', channels: ['email', 'social'], groups: ['billing'], tier: 1, extension: '8004' },
  {
    id: 'agent5',
    username: 'agent5',
    displayName: '赵磊',
    role: 'agent',
    channels: ['phone', 'email'],
    groups: ['technical'],
    tier: 2,
    senior: true,
    extension: '8005',
  },
  {
    id: 'agent6',
    username: 'agent6',
    displayName: 'Emily Chen',
    role: 'agent',
    channels: ['chat', 'email'],
    groups: ['orders'], // English-speaking customers reach her by `languages`, not by a group (groups are the ticket topics)
    tier: 1,
    languages: ['en', 'zh'],
    extension: '8006',
  },
];

type DemoStep =
  | { minutesAgo: number; reply: string }
  | { minutesAgo: number; note: string }
  | { minutesAgo: number; status: TicketStatus }
  /** The result (处理结果) a ticket needs before it is completed. */
  | { minutesAgo: number; result: string }
  | { minutesAgo: number; customerSays: string };

interface DemoTicket {
  minutesAgo: number;
  channel: Channel;
  customer: ChannelContact['customer'];
  subject?: string;
  text: string;
  /** Username of the agent it was routed to; null leaves it queued. */
  assignee: string | null;
  steps?: DemoStep[];
}

const ZHANG_WEI = { name: '张伟', phone: '+86 138-0013-8000' };
const LI_NA = { name: '李娜', email: 'li.na@example.cn', phone: '13912340002' };

const DEMO_TICKETS: DemoTicket[] = [
  {
    minutesAgo: 26 * 60,
    channel: 'phone',
    customer: { name: '周杰', phone: '13700137001' },
    subject: '会员积分未到账',
    text: '上周购物的积分一直没有到账，麻烦帮忙查一下。',
    assignee: 'agent2',
    steps: [
      { minutesAgo: 25 * 60 + 40, note: '电话回复：已为客户补录积分 860 分，预计 1 小时内到账。' },
      { minutesAgo: 25 * 60 + 1, result: '已补录积分 860 分' },
      { minutesAgo: 25 * 60, status: 'completed' },
    ],
  },
  {
    minutesAgo: 24 * 60 + 30,
    channel: 'social',
    customer: { name: '罗琳', socialId: 'wx_luolin_88' },
    subject: '公众号留言：门店营业时间',
    text: '请问春熙路门店周末几点开门？',
    assignee: 'agent3',
    steps: [
      { minutesAgo: 24 * 60 + 10, reply: '您好，春熙路门店周末 10:00–22:00 营业，欢迎光临！' },
      { minutesAgo: 24 * 60, status: 'closed' },
    ],
  },
  {
    minutesAgo: 5 * 60 + 10,
    channel: 'email',
    customer: { name: '黄丽', email: 'huangli@example.com' },
    subject: '退款申请：订单 DD20241102113 未收到退款',
    text: '我 11 月 2 日申请的退款到现在还没有到账，订单号 DD20241102113，请尽快处理。',
    assignee: 'agent4',
    steps: [
      { minutesAgo: 4 * 60 + 30, note: '已联系财务，退款卡在支付渠道，等待回执。' },
      { minutesAgo: 2 * 60, customerSays: '已经过去好几天了，还是没有消息吗？' },
    ],
  },
  {
    minutesAgo: 3 * 60 + 20,
    channel: 'phone',
    customer: ZHANG_WEI,
    subject: '订单物流查询延迟',
    text: '我的订单 DD20241108021 显示已发货三天了，物流一直没有更新，能帮我查一下吗？',
    assignee: 'agent1',
    steps: [
      { minutesAgo: 3 * 60 + 15, note: '电话回复：已告知张先生正在联系顺丰核实，今天内回电。' },
      { minutesAgo: 3 * 60 + 10, note: '顺丰单号 SF1234567890，中转站滞留，已催件。' },
    ],
  },
  {
    minutesAgo: 3 * 60,
    channel: 'email',
    customer: { name: '赵敏', email: 'zhaomin@example.cn' },
    subject: '发票抬头填错了，需要重开',
    text: '你好，我上周的订单开的电子发票抬头写错了，应为"杭州云帆科技有限公司"，税号 91330106MA2H12345X，麻烦重开。',
    assignee: 'agent1',
  },
  {
    minutesAgo: 2 * 60 + 50,
    channel: 'email',
    customer: LI_NA,
    subject: '申请开具增值税专用发票',
    text: '您好，订单 DD20241107088 需要开具增值税专用发票，开票信息见附件，谢谢。',
    assignee: 'agent4',
    steps: [
      { minutesAgo: 2 * 60 + 20, reply: '李女士您好，专票需要提供一般纳税人证明，请回复邮件补充，谢谢。' },
      { minutesAgo: 2 * 60 + 19, status: 'awaiting_customer' },
    ],
  },
  {
    minutesAgo: 2 * 60 + 30,
    channel: 'chat',
    customer: { name: '陈晓燕', phone: '15800158003' },
    subject: '售后维修进度查询',
    text: '我上周寄回去维修的扫地机器人现在到哪一步了？',
    assignee: 'agent1',
    steps: [{ minutesAgo: 2 * 60 + 28, reply: '您好，已查询到您的维修单 WX20241105007，目前在检测中，预计周五寄回。' }],
  },
  {
    minutesAgo: 2 * 60 + 10,
    channel: 'chat',
    customer: { name: '吴婷', phone: '18600186004' },
    subject: '退款什么时候到账',
    text: '我取消的订单退款什么时候能到账？',
    assignee: 'agent1',
    steps: [
      { minutesAgo: 2 * 60 + 8, reply: '您好，退款已原路退回，一般 1–3 个工作日到账，请问是用什么方式支付的？' },
      { minutesAgo: 2 * 60 + 7, status: 'awaiting_customer' },
    ],
  },
  {
    minutesAgo: 110,
    channel: 'phone',
    customer: { name: '刘芳', phone: '13912345678' },
    subject: '快递丢件投诉',
    text: '我要投诉！包裹显示签收了但我根本没收到，已经第二次了，非常生气。',
    assignee: 'agent5',
    steps: [{ minutesAgo: 100, note: '客户情绪激动，已安抚；需联系快递站调取签收照片。' }],
  },
  {
    minutesAgo: 95,
    channel: 'email',
    customer: { name: 'Emily Watson', email: 'emily.watson@example.com' },
    subject: 'Order #88231 not delivered',
    text: 'Hello, my order #88231 was due last Friday and has not arrived. Could you check where it is?',
    assignee: 'agent6',
    steps: [{ minutesAgo: 80, reply: 'Hi Emily, sorry for the delay. I have asked the courier for an update and will get back to you today.' }],
  },
  {
    minutesAgo: 85,
    channel: 'social',
    customer: { name: '郑凯', socialId: 'wx_zhengkai' },
    subject: '公众号留言：优惠券无法使用',
    text: '公众号领的满 200 减 30 的券结算时提示不可用，怎么回事？',
    assignee: 'agent1',
  },
  {
    minutesAgo: 75,
    channel: 'chat',
    customer: ZHANG_WEI,
    subject: '更改收货地址',
    text: '我还有一个订单想改一下收货地址，改到公司：上海市浦东新区张江路 88 号。',
    assignee: 'agent2',
  },
  {
    minutesAgo: 70,
    channel: 'chat',
    customer: { name: '谢婷婷', phone: '13600136005' },
    subject: '紧急：订单被重复扣款',
    text: '紧急！同一个订单被扣了两次款，一共 1299 元，请马上处理！',
    assignee: 'agent1',
  },
  {
    minutesAgo: 60,
    channel: 'phone',
    customer: { name: '高源', phone: '13500135006' },
    subject: '路由器无法联网',
    text: '新买的路由器按说明书设置后一直无法联网，指示灯闪红色。',
    assignee: 'agent5',
    // Solved on the call: 赵磊 holds one open call-back (刘芳), within the default phone capacity of 1.
    steps: [
      { minutesAgo: 55, note: '电话指导：长按 reset 键 10 秒恢复出厂设置，再按快速向导重新配置。' },
      { minutesAgo: 51, result: '已电话指导恢复出厂设置并重新配置，路由器联网正常' },
      { minutesAgo: 50, status: 'completed' },
    ],
  },
  {
    minutesAgo: 50,
    channel: 'phone',
    customer: { name: '马超', phone: '13300133007' },
    subject: '订单物流 → 错误配送',
    text: '收到的货不是我买的型号，我买的是 256G 的，收到的是 128G。',
    assignee: 'agent2',
  },
  {
    minutesAgo: 40,
    channel: 'chat',
    customer: LI_NA,
    subject: '专票资料已补充',
    text: '一般纳税人证明我已经发到邮箱了，请查收。',
    assignee: 'agent3',
  },
  {
    minutesAgo: 30,
    channel: 'social',
    customer: { name: '孙浩', socialId: 'weibo_sunhao' },
    subject: '微博私信：售后维修预约',
    text: '空调不制冷了，想预约上门维修，最快什么时候可以？',
    assignee: null,
  },
  {
    minutesAgo: 20,
    channel: 'chat',
    customer: { name: 'John Smith', email: 'john.smith@example.com' },
    subject: 'Refund request for damaged item',
    text: 'The blender I received was cracked. I would like a refund please.',
    assignee: null,
  },
  {
    minutesAgo: 12,
    channel: 'email',
    customer: { name: '林峰', email: 'linfeng@example.cn' },
    subject: '电子发票下载失败',
    text: '在订单页面点击下载电子发票一直提示失败，换了浏览器也不行。',
    assignee: null,
  },
  {
    minutesAgo: 6,
    channel: 'chat',
    customer: { name: '何静', phone: '13100131008' },
    subject: '查询订单物流',
    text: '你好，我想查一下订单 DD20241108155 什么时候能到？',
    assignee: null,
  },
];

const MINUTE_MS = 60_000;

/** Per-agent capacity beyond the defaults (phone 1, chat 3, social 5, email 10). */
const DEMO_CAPACITIES: Record<string, Partial<Capacity>> = {
  agent1: { chat: 4 },
  agent2: { chat: 3 },
  agent3: { social: 6 },
  agent4: { email: 12, social: 4 },
  agent5: { email: 8 },
  agent6: { chat: 2, email: 6 },
};

/** The demo's customers are the organisation's own records: their phones, emails and social ids count as proven. */
const SEEDED_PROOF: ChannelContact['proven'] = ['phone', 'email', 'socialId'];

/** VIP customers (vipTier > 0): routed to senior agents first. */
const DEMO_VIP_CUSTOMERS: Record<string, number> = { 张伟: 2, 李娜: 1 };

function fixedRouter(assignee: User | null, channel: Channel): TicketRouter {
  const target: RoutingAssignee | null = assignee ? { id: assignee.id, username: assignee.username, displayName: assignee.displayName } : null;
  return {
    route: () =>
      Promise.resolve({
        assignee: target,
        reason: target ? { code: 'least_loaded', channel, openTickets: 0, tieBreak: 'none' } : { code: 'queued', channel, cause: 'no_agent_online' },
      }),
  };
}

/** The source a demo contact came through, as the channel would have stored it (a reply leaves the same way). */
function demoSource(spec: DemoTicket): string {
  switch (spec.channel) {
    case 'phone':
      return 'cti';
    case 'chat':
      return `webchat:${DEMO_WEBCHAT_SITE}`;
    case 'email':
      return 'email';
    case 'social':
      return spec.customer.socialId?.startsWith('weibo') ? 'webhook:weibo' : `wechat:${DEMO_WECHAT_ACCOUNT.appId}`;
  }
}

/** Seeds the demo organisation when the database has no users; returns whether it did. */
export async function seedDemoOrganisation(store: ServerStore, now: number): Promise<boolean> {
  if ((await store.countUsers()) > 0) return false;
  const users = new Map<string, User>();
  for (const spec of DEMO_USERS) users.set(spec.username, await store.createUser({ ...spec, password: DEMO_PASSWORD }, now));
  await store.createIntegrationToken('demo', DEMO_INTEGRATION_TOKEN, null, now);
  for (const script of DEMO_TEAM_SCRIPTS) await store.scripts.save(users.get('lead1')!, undefined, script, now);
  for (const [username, scripts] of Object.entries(DEMO_PERSONAL_SCRIPTS)) {
    for (const script of scripts) await store.scripts.save(users.get(username)!, undefined, script, now);
  }
  for (const article of DEMO_ARTICLES) await store.knowledge.save(users.get('lead1')!, undefined, article, now);
  for (const [userId, capacity] of Object.entries(DEMO_CAPACITIES)) {
    await store.routing.saveAgentSettings(
      userId,
      {
        presence: 'offline',
        presenceCause: 'disconnected',
        presenceSince: now,
        awayReason: null,
        capacity: { ...DEFAULT_CAPACITY, ...capacity },
        phoneBlocksChat: true,
      },
      now,
    );
  }
  const customerIds = new Map<string, string>();

  let mutationCounter = 0;
  await store.withTransaction(async () => {
    for (const spec of [...DEMO_TICKETS].sort((a, b) => b.minutesAgo - a.minutesAgo)) {
      const assignee = spec.assignee ? (users.get(spec.assignee) ?? null) : null;
      const source = demoSource(spec);
      const contact: ChannelContact = {
        channel: spec.channel,
        customer: spec.customer,
        text: spec.text,
        source,
        ...(spec.subject ? { subject: spec.subject } : {}),
        proven: SEEDED_PROOF,
        // A phone ticket with an agent is a call that agent answered: its first response (or the board counts a miss).
        ...(spec.channel === 'phone' && assignee ? { firstResponseAt: now - spec.minutesAgo * MINUTE_MS } : {}),
      };
      const { ticketId, ticket } = await store.ingestInbound(contact, {
        now: now - spec.minutesAgo * MINUTE_MS,
        router: fixedRouter(assignee, spec.channel),
      });
      if (spec.customer.name) customerIds.set(spec.customer.name, ticket.customerId);
      for (const step of spec.steps ?? []) {
        const at = now - step.minutesAgo * MINUTE_MS;
        if ('customerSays' in step) {
          await store.ingestInbound({ channel: spec.channel, customer: spec.customer, text: step.customerSays, source, proven: SEEDED_PROOF }, { now: at });
          continue;
        }
        const actor = assignee ?? users.get('lead1')!;
        const mutationId = `demo-${String(++mutationCounter)}`;
        const base = { mutationId, ticketId, createdAt: at };
        const result =
          'reply' in step
            ? await store.applyMutation(actor, 'demo-seed', { ...base, kind: 'reply', messageId: `demo-msg-${String(mutationCounter)}`, text: step.reply }, at)
            : 'note' in step
              ? await store.applyMutation(actor, 'demo-seed', { ...base, kind: 'note', noteId: `demo-note-${String(mutationCounter)}`, text: step.note }, at)
              : 'result' in step
                ? await store.applyMutation(actor, 'demo-seed', { ...base, kind: 'setFields', result: step.result }, at)
                : await store.applyMutation(actor, 'demo-seed', { ...base, kind: 'setStatus', status: step.status }, at);
        if (!result.ok) throw new Error(`demo seed step failed on ${ticketId}: ${result.reason}`);
        // The seeded history was delivered long ago; the channels must not send it again now.
        if ('reply' in step) await store.setDeliveryStatus(`demo-msg-${String(mutationCounter)}`, { status: 'sent' }, at);
      }
    }
    for (const [name, vipTier] of Object.entries(DEMO_VIP_CUSTOMERS)) {
      const customerId = customerIds.get(name);
      if (customerId) await store.routing.setCustomerVipTier(customerId, vipTier, now);
    }
  });
  return true;
}
