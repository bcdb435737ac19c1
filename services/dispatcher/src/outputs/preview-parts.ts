import type { MessagePart } from '@postee/shared'

/** A part measured in UTF-8 bytes, the unit HTTP bodies and most byte limits are stated in. */
export function bytesPart(name: string, text: string, limit: number | undefined): MessagePart {
  return { name, size: Buffer.byteLength(text, 'utf8'), limit, unit: 'bytes' }
}

/**
 * A part measured in characters as JavaScript, Java (Jira) and ServiceNow count them: UTF-16
 * units, so the number is the one the renderers fit against.
 */
export function charactersPart(name: string, text: string, limit: number | undefined): MessagePart {
  return { name, size: text.length, limit, unit: 'characters' }
}
