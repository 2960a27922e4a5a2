// The bridge ioctls any socket accepts (include/uapi/linux/sockios.h), which
// Linux hands to the bridge module (net/socket.c): without it, ENOPKG.
export const SIOC_BRIDGE = { GIFBR: 0x8940, SIFBR: 0x8941, BRADDBR: 0x89a0, BRDELBR: 0x89a1 } as const;
