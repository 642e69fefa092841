// npm run bench: every benchmark in turn (or one: `node bench/run.js http|render|layout|batch|bookkeeping|align|cog|serve`); figures go to bench/results/.
import { benchAlign } from './align.js';
import { benchBatch } from './batch.js';
import { benchBookkeeping } from './bookkeeping.js';
import { benchCog } from './cog.js';
import { benchHttp } from './http.js';
import { benchLayout } from './layout.js';
import { benchRender } from './render.js';
import { benchServe } from './serve.js';

const only = process.argv[2];
if (!only || only === 'http') await benchHttp();
if (!only || only === 'render') await benchRender();
if (!only || only === 'layout') await benchLayout();
if (!only || only === 'batch') await benchBatch();
if (!only || only === 'bookkeeping') await benchBookkeeping();
if (!only || only === 'align') await benchAlign();
if (!only || only === 'cog') await benchCog();
if (!only || only === 'serve') await benchServe();
