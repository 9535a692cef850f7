/** The version of the `bulwark` command, as `--version` prints it and reports name their tool. */
export const VERSION = '0.1.0';
