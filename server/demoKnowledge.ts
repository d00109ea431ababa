/**
 * The demo organisation's knowledge base (知识库): the articles a contact centre answers most
 * from — returns, invoices, parcel tracking, refunds — in Chinese, two in English, and one
 * draft only leads see, so `npm start` shows the side panel and the lead's screen at work.
 */
import type { ArticleInput } from '../shared/knowledge.js';

export const DEMO_ARTICLES: readonly ArticleInput[] = [
  {
    title: '退货流程',
    category: '售后',
    tags: ['退货', '售后', '七天无理由'],
    status: 'published',
    body: [
      '1. 签收后 7 天内，商品完好、配件齐全，可申请七天无理由退货。',
      '2. 在“我的订单 → 申请售后”选择“退货”，填写原因并上传照片。',
      '3. 审核通过后（一般 1 个工作日内），按页面提供的地址寄回，并填写快递单号。',
      '4. 仓库签收验货后 1–3 个工作日内退款，原路退回。',
      '质量问题退货的运费由我们承担；无理由退货的运费由客户承担。',
    ].join('\n'),
  },
  {
    title: '发票开具',
    category: '发票',
    tags: ['发票', '电子发票', '专票'],
    status: 'published',
    body: [
      '订单完成后可在“订单详情 → 申请开票”开具电子普通发票，开具后发送到预留邮箱。',
      '增值税专用发票需提供：公司名称、税号、注册地址与电话、开户行及账号，审核后 5 个工作日内寄出。',
      '发票抬头填错：已开具的电子发票可申请红冲后重开，每个订单限一次。',
    ].join('\n'),
  },
  {
    title: '物流查询',
    category: '物流',
    tags: ['物流', '快递', '配送'],
    status: 'published',
    body: [
      '在“订单详情”可查看物流轨迹；也可用快递单号在承运商官网查询。',
      '超过 48 小时没有更新：请向承运商核实，并在工单中记录单号与核实结果。',
      '显示已签收但客户未收到：先确认代收点与家人，仍未找到则登记丢件，24 小时内回访。',
    ].join('\n'),
  },
  {
    title: '退款到账时间',
    category: '售后',
    tags: ['退款', '到账'],
    status: 'published',
    body: '退款原路退回：微信、支付宝一般 1–3 个工作日到账；银行卡 3–7 个工作日；信用卡以发卡行入账时间为准。超过时限仍未到账，请提供订单号，由财务核实支付渠道回执。',
  },
  {
    title: 'Refund policy',
    category: 'Refunds',
    tags: ['refund', 'returns'],
    status: 'published',
    body: [
      'Items can be returned within 7 days of delivery if unused and complete.',
      'Refunds go back to the original payment method within 1–3 working days after the warehouse checks the return.',
      'We pay return shipping for faulty items; otherwise the customer pays it.',
    ].join('\n'),
  },
  {
    title: 'Tracking a parcel',
    category: 'Delivery',
    tags: ['delivery', 'tracking'],
    status: 'published',
    body: 'Open the order details to see the tracking history, or use the tracking number on the carrier’s website. No update for 48 hours: check with the carrier and note the result on the ticket.',
  },
  {
    title: '大促期间退货预案（草稿）',
    category: '售后',
    tags: ['退货', '大促'],
    status: 'draft',
    body: '大促期间退货审核时限放宽至 2 个工作日；仓库验货排队时，先安抚客户并告知预计时间。（待运营确认后发布）',
  },
];
