// The bridge ioctls any socket accepts (include/uapi/linux/sockios.h), which
// Linux hands to the bridge module (net/socket.c, net/bridge/br_ioctl.c).
export const SIOC_BRIDGE = { GIFBR: 0x8940, SIFBR: 0x8941, BRADDBR: 0x89a0, BRDELBR: 0x89a1, BRADDIF: 0x89a2, BRDELIF: 0x89a3 } as const;

/** args[0] of the old deviceless SIOCGIFBR/SIOCSIFBR calls (include/uapi/linux/if_bridge.h). */
export const BRCTL = { GET_VERSION: 0, GET_BRIDGES: 1, ADD_BRIDGE: 2, DEL_BRIDGE: 3 } as const;
/** What BRCTL_GET_VERSION answers. */
export const BRCTL_VERSION = 1;
