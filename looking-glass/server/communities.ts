/** A community with what it means, when the mesh or RFCs give it a meaning. */
export interface DecodedCommunity {
  readonly value: string;
  readonly meaning?: string;
}

export interface CommunityDictionary {
  readonly communities: Readonly<Record<string, string>>;
  readonly largeCommunities: Readonly<Record<string, string>>;
}

/** IANA's well-known communities (RFC 1997, 7999, 8326, 7611). */
const WELL_KNOWN: Readonly<Record<string, string>> = {
  '65535:0': 'GRACEFUL_SHUTDOWN',
  '65535:1': 'ACCEPT_OWN',
  '65535:666': 'BLACKHOLE',
  '65535:65281': 'NO_EXPORT',
  '65535:65282': 'NO_ADVERTISE',
  '65535:65283': 'NO_EXPORT_SUBCONFED',
  '65535:65284': 'NOPEER',
};

export function decodeCommunities(values: readonly string[], dictionary: CommunityDictionary): DecodedCommunity[] {
  return values.map((value) => withMeaning(value, WELL_KNOWN[value] ?? dictionary.communities[value]));
}

export function decodeLargeCommunities(values: readonly string[], dictionary: CommunityDictionary): DecodedCommunity[] {
  return values.map((value) => withMeaning(value, dictionary.largeCommunities[value]));
}

function withMeaning(value: string, meaning: string | undefined): DecodedCommunity {
  return meaning === undefined ? { value } : { value, meaning };
}
