/** bad usage or input: the CLI prints the message and exits 2 without running anything */
export class UsageError extends Error {}
