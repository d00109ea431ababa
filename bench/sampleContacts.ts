/**
 * Chinese sample contacts for the benchmarks, deterministic per index: every index is a
 * different customer (so each first contact opens a new ticket), identified the way its
 * channel identifies people (phone number, e-mail address, social account).
 */
import type { Channel } from '../shared/domain.js';
import type { InboundContact } from '../shared/httpApi.js';

const SURNAMES = ['张', '王', '李', '赵', '刘', '陈', '杨', '黄', '周', '吴', '徐', '孙'];
const GIVEN_NAMES = ['伟', '芳', '娜', '敏', '静', '磊', '洋', '勇', '艳', '杰', '秀英', '建华'];
const SUBJECTS = ['订单物流查询延迟', '退款进度咨询', '发票开具申请', '商品质量问题', '会员积分未到账', '修改收货地址', '售后维修预约', '优惠券无法使用'];
const OPENINGS = [
  '您好，我上周下的订单到现在还没有收到，物流信息三天没有更新了，麻烦帮我查一下。',
  '请问我申请的退款什么时候能到账？已经过了七个工作日，银行那边说没有收到。',
  '我需要为这笔订单开具增值税专用发票，公司抬头和税号已经填好了，请尽快处理。',
  '收到的商品外包装破损，里面的杯子也碎了一个，希望能换一个新的或者退款。',
  '上个月的消费积分一直没有到账，会员等级也没有更新，请帮忙核实一下。',
  '下单时地址填错了，能不能帮我改成公司地址？订单还没有发货。',
];
const FOLLOW_UPS = ['补充一下订单号和截图，请查收，谢谢。', '请问有进展了吗？我这边比较着急。', '好的，我等你们的回复。'];

function pick<T>(list: readonly T[], index: number): T {
  return list[index % list.length]!;
}

export function customerName(index: number): string {
  return `${pick(SURNAMES, index)}${pick(GIVEN_NAMES, Math.floor(index / SURNAMES.length))}`;
}

/** The first contact of customer `index` on `channel`: it opens a new ticket. */
export function firstContact(index: number, channel: Channel): InboundContact {
  const name = customerName(index);
  const customer: InboundContact['customer'] =
    channel === 'phone'
      ? { name, phone: `1${String(3 + (index % 7))}${String(index).padStart(9, '0')}` }
      : channel === 'email'
        ? { name, email: `customer${String(index)}@example.cn` }
        : { name, socialId: `${channel}_${String(index)}` };
  return {
    channel,
    customer,
    subject: pick(SUBJECTS, index),
    text: `${pick(OPENINGS, index)}（客户编号 ${String(index)}）`,
  };
}

/** A later message from the same customer on the same channel: it joins the open ticket. */
export function followUpContact(index: number, channel: Channel): InboundContact {
  const first = firstContact(index, channel);
  return { channel, customer: first.customer, text: pick(FOLLOW_UPS, index) };
}
