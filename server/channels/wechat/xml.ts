/**
 * The small, flat XML WeChat pushes (`<xml><Field>value</Field>…</xml>`), parsed without any
 * DTD: a document with `<!DOCTYPE` or `<!ENTITY` is refused before parsing, so no entity can
 * expand (billion laughs) and no external entity can be fetched. Only the five predefined
 * entities and character references are decoded.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** Why a body is not acceptable WeChat XML; the message is safe to log and to answer. */
export class WechatXmlError extends Error {}

const CDATA = '#cdata';
const TEXT = '#text';

const parser = new XMLParser({
  ignoreAttributes: true,
  // Entities are decoded below, for text only; CDATA is kept apart so it is never decoded.
  processEntities: false,
  htmlEntities: false,
  cdataPropName: CDATA,
  textNodeName: TEXT,
  // MsgId and OpenIDs must stay strings (MsgId does not fit in a double).
  parseTagValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  maxNestedTags: 16,
});

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeText(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|lt|gt|amp|quot|apos);/g, (whole, name: string) => {
    if (!name.startsWith('#')) return PREDEFINED[name]!;
    const code = name[1] === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    return code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) && code !== 0 ? String.fromCodePoint(code) : whole;
  });
}

/** A leaf's text: decoded text parts, then CDATA parts as they are. Null for nested elements. */
function leafText(value: unknown): string | null {
  if (typeof value === 'string') return decodeText(value);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.some(([key]) => key !== CDATA && key !== TEXT)) return null;
  const parts = (key: string): string[] => {
    const part = (value as Record<string, unknown>)[key];
    if (part === undefined) return [];
    return (Array.isArray(part) ? part : [part]).map(String);
  };
  return [...parts(TEXT).map(decodeText), ...parts(CDATA)].join('');
}

/**
 * Parses a pushed message into its top-level text fields (`{ MsgType: 'text', Content: '你好', … }`).
 * Nested elements are skipped; a repeated field, a root other than `<xml>`, or anything that is
 * not well-formed XML is refused.
 */
export function parseWechatXml(xml: string): Record<string, string> {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new WechatXmlError('The XML declares a DOCTYPE or ENTITY, which WeChat never sends; refused.');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new WechatXmlError(`The body is not well-formed XML (line ${String(valid.err.line)}: ${valid.err.msg})`);
  let document: unknown;
  try {
    document = parser.parse(xml);
  } catch (error) {
    throw new WechatXmlError(`The body is not acceptable XML: ${error instanceof Error ? error.message : String(error)}`);
  }
  const roots = Object.keys(document as Record<string, unknown>);
  if (roots.length !== 1 || roots[0] !== 'xml') throw new WechatXmlError('The XML root element is not <xml>.');
  const root = (document as { xml: unknown }).xml;
  if (typeof root !== 'object' || root === null || Array.isArray(root)) throw new WechatXmlError('The <xml> element has no fields.');
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(root as Record<string, unknown>)) {
    if (name === TEXT || name === CDATA) continue;
    if (Array.isArray(value)) throw new WechatXmlError(`The field <${name}> appears more than once.`);
    const text = leafText(value);
    if (text !== null) fields[name] = text;
  }
  return fields;
}

/** Wraps text in CDATA, splitting any `]]>` inside it so it cannot close the section early. */
export function cdata(text: string): string {
  return `<![CDATA[${text.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}
