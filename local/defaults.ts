/** Defaults of the local runtime that the command line shows in its help, kept apart so the help loads none of the runtime. */

/** Where the local stand-ins keep their data. */
export const DEFAULT_DATA_DIR = '.sluice';

/** Where `npm run api` listens, and where the `sluice` command looks by default. */
export const DEFAULT_API_HOST = '127.0.0.1';
export const DEFAULT_API_PORT = 4810;
