// ICMP for IPv4 (RFC 792): message types and codes the stack sends or reads.

export const ICMP_HEADER = 8;
export const ICMP_TYPE = { ECHO_REPLY: 0, DEST_UNREACHABLE: 3, ECHO_REQUEST: 8, TIME_EXCEEDED: 11 } as const;
export const ICMP_UNREACH = { NET: 0, HOST: 1, PROTOCOL: 2, PORT: 3, FRAG_NEEDED: 4 } as const;
/** An error quotes the offending IP header and the first 8 bytes of its data (RFC 792); Linux quotes up to 576 bytes in all. */
export const ICMP_ERROR_QUOTE_MAX = 576 - 20 - ICMP_HEADER;
