// The UDP header (RFC 768).

export const UDP_HEADER = 8;
/** The largest UDP payload in one IPv4 datagram: 65535 - 20 - 8. */
export const UDP_MAX_PAYLOAD = 65507;
