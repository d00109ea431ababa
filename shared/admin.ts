/**
 * Administration (issue 11): users and their routing skills, and the service policies (SLA
 * targets, first-response targets, the offer timeout). Admins write; leads read, and keep
 * changing capacity and presence through `lead:*` as before. Refusals an admin can meet are
 * codes (`AdminRefusalCode`) the UI says in its language. See docs/technical/administration.md.
 */
import { z } from 'zod';
import { CHANNELS, channelSchema, customerIdSchema, entityIdSchema, roleSchema, ticketGroupSchema, userSchema, type Channel, type Priority } from './domain.js';
import { DEFAULT_OFFER_TIMEOUT_MS, capacitySchema } from './routing.js';
import { DEFAULT_BUSINESS_HOURS, businessHoursSchema } from './businessHours.js';
import { DEFAULT_ORG_TIME_ZONE, timeZoneSchema } from './timeZone.js';

// ---------------------------------------------------------------------------------------
// Users

/**
 * A password an admin sets (a new user's first one, a reset). Sign-in itself accepts 1–200
 * characters (shared/httpApi.ts) so old passwords keep working; new ones need at least 8,
 * at most 200, and not the username.
 */
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 200;
export const newPasswordSchema = z.string().min(MIN_PASSWORD_LENGTH).max(MAX_PASSWORD_LENGTH);

/** Letters, digits, dot, dash, underscore: what a username may be (it appears in logs and URLs). */
export const usernameSchema = z
  .string()
  .trim()
  .min(2)
  .max(64)
  .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, dash or underscore only');

const skillsShape = {
  displayName: z.string().trim().min(1).max(100),
  role: roleSchema,
  channels: z.array(channelSchema).max(CHANNELS.length),
  groups: z.array(ticketGroupSchema).max(10),
  tier: z.union([z.literal(1), z.literal(2)]),
  senior: z.boolean(),
  languages: z
    .array(
      z
        .string()
        .trim()
        .regex(/^[a-z]{2,3}$/, 'a two- or three-letter language code'),
    )
    .min(1)
    .max(20),
  /** Phone extension (分机号), digits only; null = none. */
  extension: z
    .string()
    .trim()
    .regex(/^[0-9]{2,8}$/, '2–8 digits')
    .nullable(),
};

/** What an admin may set on a user (everything but the username and the password). */
export const userSkillsSchema = z.object(skillsShape).strict();
export type UserSkills = z.infer<typeof userSkillsSchema>;

export const adminCreateUserRequestSchema = z
  .object({ username: usernameSchema, password: newPasswordSchema, ...skillsShape })
  .strict()
  // params.code: what the workstation words in its language (renderer/src/formIssueText.ts); the message is for logs.
  .refine((value) => value.password.toLowerCase() !== value.username.toLowerCase(), {
    path: ['password'],
    message: 'must not be the username',
    params: { code: 'password_is_username' },
  });
export type AdminCreateUserRequest = z.infer<typeof adminCreateUserRequestSchema>;

export const adminUpdateUserRequestSchema = z.object({ userId: entityIdSchema, skills: userSkillsSchema }).strict();
export type AdminUpdateUserRequest = z.infer<typeof adminUpdateUserRequestSchema>;

export const adminSetActiveRequestSchema = z.object({ userId: entityIdSchema, active: z.boolean() }).strict();
export type AdminSetActiveRequest = z.infer<typeof adminSetActiveRequestSchema>;

export const adminResetPasswordRequestSchema = z.object({ userId: entityIdSchema, password: newPasswordSchema }).strict();
export type AdminResetPasswordRequest = z.infer<typeof adminResetPasswordRequestSchema>;

/** Capacity per channel: the same request leads already make (`lead:setCapacity`); admins reach it from the user editor. */
export const adminSetCapacityRequestSchema = z.object({ userId: entityIdSchema, capacity: capacitySchema }).strict();
export type AdminSetCapacityRequest = z.infer<typeof adminSetCapacityRequestSchema>;

/** A user as the admin view lists them: the directory entry, whether they may sign in, and their capacity. */
export const adminUserSchema = userSchema.extend({
  active: z.boolean(),
  /** When they were deactivated; null while active. */
  deactivatedAt: z.number().int().nullable(),
  capacity: capacitySchema,
});
export type AdminUser = z.infer<typeof adminUserSchema>;

/** Why an admin's write was refused, said by the UI in its language. */
export const ADMIN_REFUSAL_CODES = [
  /** Deactivating or demoting oneself would lock the admin out mid-action. */
  'self_deactivation',
  /** Taking away one's own admin role, likewise. */
  'self_demotion',
  /** The change would leave no active admin. */
  'last_admin',
  'username_taken',
  'extension_taken',
  'not_found',
] as const;
export const adminRefusalCodeSchema = z.enum(ADMIN_REFUSAL_CODES);
export type AdminRefusalCode = z.infer<typeof adminRefusalCodeSchema>;

/** A write's answer: the user as it now is, or the refusal's code. */
export const adminUserResultSchema = z.union([
  z.object({ ok: z.literal(true), user: adminUserSchema }),
  z.object({ ok: z.literal(false), refusal: adminRefusalCodeSchema, message: z.string().max(500) }),
]);
export type AdminUserResult = z.infer<typeof adminUserResultSchema>;

export const adminUsersResultSchema = z.object({ users: z.array(adminUserSchema).max(10_000) });
export type AdminUsersResult = z.infer<typeof adminUsersResultSchema>;

// ---------------------------------------------------------------------------------------
// Audit

export const ADMIN_ACTIONS = [
  'user_created',
  'user_updated',
  'user_deactivated',
  'user_reactivated',
  'password_reset',
  'capacity_set',
  'policies_set',
  /** A channel's registry entry (owner, hours, auto-reply, volume, customer group, on/off). */
  'channel_set',
  /** A customer's VIP tier. */
  'customer_vip_set',
  /** A channel's backlog threshold (alarms:setThreshold; before and after name the channel). */
  'backlog_threshold_set',
  /** An agent's presence set by a lead (lead:setPresence): presence and away reason, before and after. */
  'presence_set',
  /** A report-reader credential made (after: its name, never the secret). */
  'report_credential_created',
  /** A report-reader credential revoked (before and after: its name and revocation time). */
  'report_credential_revoked',
] as const;
export const adminActionSchema = z.enum(ADMIN_ACTIONS);
export type AdminAction = z.infer<typeof adminActionSchema>;

/** One administrative change: who, what, when, before and after (passwords never appear). */
export const adminAuditEntrySchema = z.object({
  id: z.number().int(),
  at: z.number().int(),
  actorId: entityIdSchema,
  actorName: z.string().max(200),
  action: adminActionSchema,
  /** The user changed; null for a policy, channel, threshold or customer change (a customer is named in targetName, a channel in before/after). */
  targetId: entityIdSchema.nullable(),
  targetName: z.string().max(200).nullable(),
  before: z.unknown(),
  after: z.unknown(),
});
export type AdminAuditEntry = z.infer<typeof adminAuditEntrySchema>;

export const ADMIN_AUDIT_LIMIT = 200;
export const adminAuditRequestSchema = z.object({ userId: entityIdSchema.optional() }).strict();
export const adminAuditResultSchema = z.object({ entries: z.array(adminAuditEntrySchema).max(ADMIN_AUDIT_LIMIT) });
export type AdminAuditResult = z.infer<typeof adminAuditResultSchema>;

// ---------------------------------------------------------------------------------------
// Policies

const MINUTE_MS = 60_000;

/**
 * Wrap-up (话后处理) per channel, seconds: after a call ends or a chat is completed the agent
 * gets no new offers this long (or until they say they are ready). 0 = none (email, social).
 */
export const DEFAULT_WRAP_UP_SECONDS: Readonly<Record<Channel, number>> = { phone: 30, chat: 15, social: 0, email: 0 };
/** At most 10 minutes: longer is a break, which Away with a reason says better. */
export const MAX_WRAP_UP_SECONDS = 600;
const wrapUpSeconds = z.number().int().min(0).max(MAX_WRAP_UP_SECONDS);

/** A target in minutes: at least 1 minute, at most 30 days. */
const targetMinutes = z
  .number()
  .int()
  .min(1)
  .max(30 * 24 * 60);

export const policiesSchema = z
  .object({
    /** Resolution targets per priority, minutes (2 h / 4 h / 24 h by default). */
    slaMinutes: z.object({ urgent: targetMinutes, normal: targetMinutes, low: targetMinutes }).strict(),
    /** A complaint's resolution target whatever its priority; null = by priority. */
    complaintSlaMinutes: targetMinutes.nullable(),
    /** First-response targets per channel, minutes. */
    firstResponseMinutes: z.object({ phone: targetMinutes, chat: targetMinutes, social: targetMinutes, email: targetMinutes }).strict(),
    /** How long an agent has to accept a phone/chat offer, seconds (5–120). */
    offerTimeoutSeconds: z.number().int().min(5).max(120),
    /** Wrap-up after a call / completed contact, seconds per channel (an older client that does not send it keeps the defaults). */
    wrapUpSeconds: z
      .object({ phone: wrapUpSeconds, chat: wrapUpSeconds, social: wrapUpSeconds, email: wrapUpSeconds })
      .strict()
      .default({ ...DEFAULT_WRAP_UP_SECONDS }),
    /**
     * The organisation's time zone (IANA name): business hours, holidays and the times every
     * workstation shows are read in it. An older client that does not send it saves the default.
     */
    timeZone: timeZoneSchema.default(DEFAULT_ORG_TIME_ZONE),
  })
  .strict();
export type Policies = z.infer<typeof policiesSchema>;

/**
 * The defaults: the templates' SLA (urgent 2 h, normal 4 h, low 24 h), complaints by their
 * priority (triage makes them urgent), first responses phone 1 min, chat 2 min, social
 * 30 min, email 4 h, and a 15 s offer: the templates ask phones to be answered within
 * 10–15 s, so the offer expires at the end of that window rather than past it.
 */
export const DEFAULT_POLICIES: Readonly<Policies> = {
  slaMinutes: { urgent: 120, normal: 240, low: 24 * 60 },
  complaintSlaMinutes: null,
  firstResponseMinutes: { phone: 1, chat: 2, social: 30, email: 240 },
  offerTimeoutSeconds: DEFAULT_OFFER_TIMEOUT_MS / 1000,
  wrapUpSeconds: { ...DEFAULT_WRAP_UP_SECONDS },
  timeZone: DEFAULT_ORG_TIME_ZONE,
};

export const policiesResultSchema = z.object({
  policies: policiesSchema,
  updatedAt: z.number().int().nullable(),
  updatedByName: z.string().max(200).nullable(),
});
export type PoliciesResult = z.infer<typeof policiesResultSchema>;

export const policiesSetRequestSchema = z.object({ policies: policiesSchema }).strict();
export type PoliciesSetRequest = z.infer<typeof policiesSetRequestSchema>;

/** When a NEW ticket of this priority and type must be resolved, under `policies`. */
export function policyDueAt(policies: Policies, createdAt: number, priority: Priority, type: string): number {
  const minutes = type === 'complaint' && policies.complaintSlaMinutes !== null ? policies.complaintSlaMinutes : policies.slaMinutes[priority];
  return createdAt + minutes * MINUTE_MS;
}

/** The longest resolution window a new ticket may get under these policies. */
export function longestResolutionWindowMs(policies: Policies): number {
  return Math.max(...Object.values(policies.slaMinutes), policies.complaintSlaMinutes ?? 0) * MINUTE_MS;
}

export function offerTimeoutMsOf(policies: Policies): number {
  return policies.offerTimeoutSeconds * 1000;
}

/** Wrap-up per channel in ms, as the routing engine takes it. */
export function wrapUpMsOf(policies: Policies): Record<Channel, number> {
  const { phone, chat, social, email } = policies.wrapUpSeconds;
  return { phone: phone * 1000, chat: chat * 1000, social: social * 1000, email: email * 1000 };
}

export function firstResponseTargetMs(policies: Policies, channel: Channel): number {
  return policies.firstResponseMinutes[channel] * MINUTE_MS;
}

// ---------------------------------------------------------------------------------------
// Channel registry (渠道信息登记表)

/** Who may name a customer group: free text an operations team uses (e.g. 全部客户, 企业客户, VIP). */
const customerGroupSchema = z.string().trim().max(100);

/** One channel's registry entry: who owns it, its hours and off-hours auto-reply, the expected volume, its customers, on or off. */
export const channelSettingsSchema = z
  .object({
    /** Switched off: new inbound contacts are refused (HTTP 503 + reason; the chat widget says it is unavailable). Queued work stays. */
    enabled: z.boolean(),
    /** The lead or admin responsible (渠道负责人); null = nobody named. */
    ownerId: entityIdSchema.nullable(),
    /** Expected contacts per day (日均量), for planning; 0 = not estimated. */
    expectedDailyVolume: z.number().int().min(0).max(1_000_000),
    customerGroup: customerGroupSchema,
    hours: businessHoursSchema,
  })
  .strict();
export type ChannelSettings = z.infer<typeof channelSettingsSchema>;

export const channelRegistrySchema = z
  .object({ phone: channelSettingsSchema, chat: channelSettingsSchema, social: channelSettingsSchema, email: channelSettingsSchema })
  .strict();
export type ChannelRegistry = z.infer<typeof channelRegistrySchema>;

/** Every channel on, open around the clock, nobody named: a server that never set the registry behaves as before it existed. */
export function defaultChannelSettings(): ChannelSettings {
  return { enabled: true, ownerId: null, expectedDailyVolume: 0, customerGroup: '', hours: businessHoursSchema.parse(DEFAULT_BUSINESS_HOURS) };
}

export function defaultChannelRegistry(): ChannelRegistry {
  return { phone: defaultChannelSettings(), chat: defaultChannelSettings(), social: defaultChannelSettings(), email: defaultChannelSettings() };
}

export const channelRegistryResultSchema = z.object({
  channels: channelRegistrySchema,
  /** Each channel's owner's display name (null when none or no longer a user). */
  ownerNames: z.object({ phone: z.string().nullable(), chat: z.string().nullable(), social: z.string().nullable(), email: z.string().nullable() }),
  updatedAt: z.number().int().nullable(),
  updatedByName: z.string().max(200).nullable(),
});
export type ChannelRegistryResult = z.infer<typeof channelRegistryResultSchema>;

export const channelSetRequestSchema = z.object({ channel: channelSchema, settings: channelSettingsSchema }).strict();
export type ChannelSetRequest = z.infer<typeof channelSetRequestSchema>;

/** A registry write's answer: the registry as now stored, or why not (an owner who is not an active lead or admin). */
export const channelSetResultSchema = z.union([
  z.object({ ok: z.literal(true), registry: channelRegistryResultSchema }),
  z.object({ ok: z.literal(false), refusal: z.enum(['owner_not_found']), message: z.string().max(500) }),
]);
export type ChannelSetResult = z.infer<typeof channelSetResultSchema>;

// ---------------------------------------------------------------------------------------
// Report-reader credentials

/**
 * Every report-reader secret starts with this, so any endpoint and the socket handshake can say
 * at once, without a lookup, that such a credential reads reports only (as `ghp_` marks a GitHub token).
 */
export const REPORT_CREDENTIAL_PREFIX = 'odr_';

export const reportCredentialNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(80)
  .regex(/^[^\p{Cc}]+$/u, { message: 'must not hold control characters' });

/** A credential as listed: never its secret, nor its hash. */
export const reportCredentialSchema = z.object({
  id: entityIdSchema,
  name: z.string().max(200),
  createdById: entityIdSchema,
  createdByName: z.string().max(200),
  createdAt: z.number().int(),
  /** The last request it made (to the minute: a busy puller does not write on every request); null if never used. */
  lastUsedAt: z.number().int().nullable(),
});
export type ReportCredential = z.infer<typeof reportCredentialSchema>;

export const reportCredentialsResultSchema = z.object({ credentials: z.array(reportCredentialSchema).max(1_000) });
export type ReportCredentialsResult = z.infer<typeof reportCredentialsResultSchema>;

export const reportCredentialCreateRequestSchema = z.object({ name: reportCredentialNameSchema }).strict();
export type ReportCredentialCreateRequest = z.infer<typeof reportCredentialCreateRequestSchema>;

/** The secret travels in this answer only: the server keeps its SHA-256 and cannot show it again. */
export const reportCredentialCreateResultSchema = z.union([
  z.object({ ok: z.literal(true), credential: reportCredentialSchema, secret: z.string().startsWith(REPORT_CREDENTIAL_PREFIX).max(200) }),
  z.object({ ok: z.literal(false), refusal: z.enum(['name_taken']), message: z.string().max(500) }),
]);
export type ReportCredentialCreateResult = z.infer<typeof reportCredentialCreateResultSchema>;

export const reportCredentialRevokeRequestSchema = z.object({ id: entityIdSchema }).strict();
export type ReportCredentialRevokeRequest = z.infer<typeof reportCredentialRevokeRequestSchema>;

export const reportCredentialRevokeResultSchema = z.union([
  z.object({ ok: z.literal(true), id: entityIdSchema }),
  z.object({ ok: z.literal(false), refusal: z.enum(['not_found']), message: z.string().max(500) }),
]);
export type ReportCredentialRevokeResult = z.infer<typeof reportCredentialRevokeResultSchema>;

// ---------------------------------------------------------------------------------------
// Customers' VIP tier

export const VIP_TIER_MAX = 5;
export const customerVipSetRequestSchema = z.object({ customerId: customerIdSchema, vipTier: z.number().int().min(0).max(VIP_TIER_MAX) }).strict();
export type CustomerVipSetRequest = z.infer<typeof customerVipSetRequestSchema>;

export const customerVipSetResultSchema = z.union([
  z.object({ ok: z.literal(true), customerId: customerIdSchema, vipTier: z.number().int().min(0).max(VIP_TIER_MAX) }),
  z.object({ ok: z.literal(false), refusal: z.enum(['not_found']), message: z.string().max(500) }),
]);
export type CustomerVipSetResult = z.infer<typeof customerVipSetResultSchema>;

// ---------------------------------------------------------------------------------------
// The off-hours auto-reply as a timeline message

/** The author of an off-hours auto-reply (an outbound message no agent wrote); both languages, as the CSAT invitation's. */
export const AUTO_REPLY_AUTHOR_NAME = '自动回复 / Auto-reply';

/** Whether an outbound message is the server's off-hours auto-reply (the timeline marks it "automatic"). */
export function isAutomaticReply(message: { direction: string; authorId: string | null; authorName: string }): boolean {
  return message.direction === 'outbound' && message.authorId === null && message.authorName === AUTO_REPLY_AUTHOR_NAME;
}
