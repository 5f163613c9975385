import { HEARTH_VERSION } from '../version';
import { run } from './main';

// Entry of the server bundle (build/server/hearth.js), started by bin/hearth.js.
process.exit(await run(process.argv.slice(2), HEARTH_VERSION));
