/** Nomen's version, in a module of its own so the operator commands load without the server. */
export const VERSION = '0.1.0';
