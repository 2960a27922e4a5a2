#!/usr/bin/env node
'use strict';
const argv = process.argv.slice(2);
// A Sentry (do, sandbox) loads its ~200 modules through the start-up cache
// (dist/cli/startcache.js), one per verb: their sets of modules differ.
const main = argv[0] === 'do' || argv[0] === 'sandbox'
  ? require('../dist/cli/startcache.js').requireCached(argv[0], `${__dirname}/../dist/cli/main.js`)
  : require('../dist/cli/main.js');
main.main(argv);
