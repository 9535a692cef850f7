#!/usr/bin/env node
/** Entry point of the `bulwark` command. */
import { run } from './program.js';

process.exitCode = await run(process.argv);
