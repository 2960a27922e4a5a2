// personality(2) (include/uapi/linux/personality.h).

export const PER_LINUX = 0;
/** Disables address-space layout randomization for the images the process execs (setarch -R). */
export const ADDR_NO_RANDOMIZE = 0x0040000;
/** personality(0xffffffff) only queries. */
export const PERSONALITY_QUERY = 0xffffffff;
