/** The BGP wire codec: bytes <-> typed messages, validation, stream framing. No sockets, no timers. */
export * from './types.js';
export { MessageFramer, checkHeader } from './framer.js';
export { decodeMessage, encodeMessage, encodeNotification } from './codec.js';
export { encodeIpv4Announcements, encodeIpv4Withdrawals } from './update.js';
export { asPathLength, attributeName, emptyAttributes, encodePathAttributes, forwardableUnknownAttributes } from './attributes.js';
export { gracefulRestartOf, hasCapability, negotiateCodecOptions, offeredFamilies, openAsn } from './capabilities.js';
export { ipv4PrefixToPrefix, ipv6PrefixToPrefix, prefixToNlri } from './nlri.js';
export { notificationName, shutdownCommunication, shutdownData } from './notification.js';
export { checkMessage, validateOpen, validateUpdate } from './validate.js';
export type { CheckedMessage, CheckOptions, OpenContext, UpdateContext } from './validate.js';
